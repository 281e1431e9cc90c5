"""Put the diacritics back on a question typed without them, from the corpus's own words.

"an khe tiep nhan bao nhieu don" folds many Vietnamese words together ("ban" may be bán, bàn, bạn,
bản, ban...). The articles themselves say which accented syllables exist and which follow which, so
a bigram model of the corpus, decoded with Viterbi, picks "an khê tiếp nhận bao nhiêu đơn". A
small built-in list of everyday question and function words covers what the articles may lack.
Once restored, the question goes through the normal accented retrieval.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from .textnorm import TOKEN_PATTERN, fold, has_diacritics, nfc

# Everyday words of questions, weighted like a few occurrences in the corpus.
COMMON_PHRASES = """
bao nhiêu | mấy | khi nào | bao giờ | lúc nào | năm nào | ngày nào | tháng nào | ở đâu | nơi nào | đâu |
là gì | là ai | ai là | cái gì | điều gì | việc gì | những gì | tại sao | vì sao | như thế nào | thế nào |
ra sao | bằng cách nào | có phải | hay không | có không | được không | của ai | cho ai | với ai |
người nào | những người nào | cái nào | loại nào | tỉnh nào | nước nào | thành phố nào | đơn vị nào |
cơ quan nào | tổ chức nào | số lượng | bao lâu | bao xa | đã | đang | sẽ | được | bị | của | và | các |
những | một | có | không | trong | ngoài | trên | dưới | với | về | cho | từ | đến | tại | theo | năm |
tháng | ngày | người | nào | gì | ai | nhiều | ít | lớn nhất | nhỏ nhất | đầu tiên | cuối cùng
"""
COMMON_WEIGHT = 3


def _phrases() -> list[list[str]]:
    return [p.split() for p in nfc(COMMON_PHRASES).replace("\n", " ").split("|") if p.strip()]


class DiacriticRestorer:
    def __init__(self, unigrams: Counter, bigrams: Counter):
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = sum(unigrams.values()) or 1
        self.vocab = len(unigrams) or 1
        self.following: Counter = Counter()  # how often each word starts a bigram
        for (a, _), n in bigrams.items():
            self.following[a] += n
        self.forms: dict[str, list[str]] = defaultdict(list)
        for word in unigrams:
            self.forms[fold(word)].append(word)

    @classmethod
    def from_tokens(cls, docs: Iterable[Sequence[str]], min_bigram: int = 1) -> DiacriticRestorer:
        uni: Counter = Counter()
        bi: Counter = Counter()
        for doc in docs:
            words = [t for t in doc if t.isalpha()]
            uni.update(words)
            bi.update(zip(words, words[1:], strict=False))
        if min_bigram > 1:
            bi = Counter({k: v for k, v in bi.items() if v >= min_bigram})
        for phrase in _phrases():
            for w in phrase:
                uni[w] += COMMON_WEIGHT
            for pair in zip(phrase, phrase[1:], strict=False):
                bi[pair] += COMMON_WEIGHT
        return cls(uni, bi)

    def save(self, path: Path) -> None:
        data = {
            "unigrams": dict(self.unigrams),
            "bigrams": {f"{a} {b}": n for (a, b), n in self.bigrams.items()},
        }
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> DiacriticRestorer:
        data = json.loads(path.read_text(encoding="utf-8"))
        bigrams = Counter({tuple(k.split(" ", 1)): n for k, n in data["bigrams"].items()})
        return cls(Counter(data["unigrams"]), bigrams)

    def _logp(self, prev: str | None, word: str) -> float:
        """Interpolated bigram probability: the corpus says which syllable follows which."""
        p_uni = (self.unigrams.get(word, 0) + 0.1) / (self.total + 0.1 * self.vocab)
        if prev is None:
            return math.log(p_uni)
        c_prev = self.following.get(prev, 0)
        c_pair = self.bigrams.get((prev, word), 0)
        return math.log((c_pair + 2.0 * p_uni) / (c_prev + 2.0))

    def restore_words(self, words: Sequence[str]) -> list[str]:
        """Most likely accented form of each (lower-case) syllable; unknown ones are kept as typed."""
        if not words:
            return []
        lattice = [[w] if has_diacritics(w) else (self.forms.get(fold(w)) or [w]) for w in words]
        best: dict[str, tuple[float, list[str]]] = {c: (self._logp(None, c), [c]) for c in lattice[0]}
        for cands in lattice[1:]:
            nxt = {}
            for c in cands:
                score, path = max(
                    ((s + self._logp(p, c), path) for p, (s, path) in best.items()), key=lambda x: x[0]
                )
                nxt[c] = (score, path + [c])
            best = nxt
        return max(best.values(), key=lambda x: x[0])[1]

    def restore(self, text: str) -> str:
        """The text with each syllable typed without diacritics replaced by its restored form."""
        text = nfc(text)
        matches = [m for m in TOKEN_PATTERN.finditer(text) if m.group().isalpha()]
        restored = self.restore_words([m.group().lower() for m in matches])
        out, pos = [], 0
        for m, word in zip(matches, restored, strict=True):
            typed = m.group()
            out.append(text[pos : m.start()])
            out.append(typed if has_diacritics(typed) else _same_case(typed, word))
            pos = m.end()
        out.append(text[pos:])
        return "".join(out)


def _same_case(typed: str, word: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
