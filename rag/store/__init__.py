"""The on-disk store: generations of articles, chunks, vectors, dense and keyword indexes."""
