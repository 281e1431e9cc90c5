"""Vietnamese text: normalisation and syllables, sentences, words."""
