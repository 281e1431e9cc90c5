"""Put the diacritics back on a question typed without them, from the corpus's own words.

"an khe tiep nhan bao nhieu don" folds many Vietnamese words together ("ban" may be bán, bàn, bạn,
bản, ban...). The articles themselves say which accented syllables exist and which follow which, so
a bigram model of the corpus, decoded with Viterbi, picks "an khê tiếp nhận bao nhiêu đơn".

Questions are not written like articles: "nào", "đâu", "bao nhiêu" are everyday in them and rare in
news ("khu vuc nao" read as "khu vực não" in a health corpus). So the corpus model is mixed with a small
model of everyday question and function words (`COMMON_PHRASES`), which also covers words the
articles lack. Once restored, the question goes through the normal accented retrieval.

A small corpus says little about which of two words is meant ("Dong bang" read "Đóng băng" among 240
paragraphs), but the passage the question is about usually does: the caller may pass the passages a
search that needs no diacritics found first (folded BM25), whose word pairs are mixed in as a third
model (`CONTEXT_SHARE`).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..text.normalise import TOKEN_PATTERN, fold, has_diacritics, nfc
from .postings import term_key

# Everyday words of questions: a model of their own (`_SmallModel`), mixed with the corpus's.
COMMON_PHRASES = """
bao nhiêu | mấy | khi nào | bao giờ | lúc nào | năm nào | ngày nào | tháng nào | ở đâu | nơi nào | đâu |
là gì | là ai | ai là | cái gì | điều gì | việc gì | những gì | tại sao | vì sao | như thế nào | thế nào |
ra sao | bằng cách nào | có phải | hay không | có không | được không | của ai | cho ai | với ai |
người nào | những người nào | cái nào | loại nào | tỉnh nào | nước nào | thành phố nào | đơn vị nào |
cơ quan nào | tổ chức nào | số lượng | bao lâu | bao xa | đã | đang | sẽ | được | bị | của | và | các |
những | một | có | không | trong | ngoài | trên | dưới | với | về | cho | từ | đến | tại | theo | năm |
tháng | ngày | người | nào | gì | ai | nhiều | ít | lớn nhất | nhỏ nhất | đầu tiên | cuối cùng
"""
# The share of a question's words drawn from COMMON_PHRASES rather than from the articles. Chosen on the
# tuning questions of both open sets, which it restores better from 0.05 to 0.2 (docs/quality.md).
PHRASE_SHARE = 0.1
# ... and counted in the corpus too, as a few occurrences: a small corpus may lack them altogether.
COMMON_WEIGHT = 3
# The share drawn from the passages passed as context. Chosen on the tuning questions of both open sets
# with the first passage of folded BM25 as context (questions restored whole: XQuAD-vi 75.6 -> 80.0 %,
# UIT-ViNewsQA 75.5 -> 77.7 %; one passage did better than 2, 3 or 5, docs/quality.md).
CONTEXT_SHARE = 0.1


def _pair_key(a: str, b: str) -> int:
    return term_key(f"{a} {b}")


def _phrases() -> list[list[str]]:
    return [p.split() for p in nfc(COMMON_PHRASES).replace("\n", " ").split("|") if p.strip()]


class _SmallModel:
    """A bigram model of a few word sequences (COMMON_PHRASES, each phrase counted once, or the
    passages passed as context), backed off to its words."""

    def __init__(self, phrases: Iterable[Sequence[str]]) -> None:
        self.unigrams: Counter = Counter()
        self.bigrams: Counter = Counter()
        for phrase in phrases:
            self.unigrams.update(phrase)
            self.bigrams.update(zip(phrase, phrase[1:], strict=False))
        self.following: Counter = Counter()
        for (a, _), n in self.bigrams.items():
            self.following[a] += n
        self.total = sum(self.unigrams.values()) or 1

    def p(self, prev: str | None, word: str) -> float:
        p_uni = self.unigrams.get(word, 0) / self.total
        if prev is None:
            return p_uni
        return (self.bigrams.get((prev, word), 0) + p_uni) / (self.following.get(prev, 0) + 1)


PHRASES = _SmallModel(_phrases())


class DiacriticRestorer:
    """Unigram counts (a dict: tens of thousands of syllables) and bigram counts (sorted 64-bit keys
    and counts: a million pairs at 22 644 articles, mapped at load instead of parsed)."""

    def __init__(
        self,
        unigrams: Counter,
        bigram_keys: np.ndarray,
        bigram_counts: np.ndarray,
        following: Counter,
        followers: Counter,
    ):
        self.unigrams = unigrams
        self.bigram_keys = bigram_keys  # uint64, sorted
        self.bigram_counts = bigram_counts  # int64
        self.following = following  # how often each word starts a bigram
        self.followers = followers  # how many different words follow it (Witten-Bell)
        self.total = sum(unigrams.values()) or 1
        self.vocab = len(unigrams) or 1
        self.forms: dict[str, list[str]] = defaultdict(list)
        for word in unigrams.keys() | PHRASES.unigrams.keys():
            self.forms[fold(word)].append(word)
        for words in self.forms.values():
            words.sort()  # the same lattice, so the same choice on ties, whatever the counting order

    @classmethod
    def from_counts(cls, unigrams: Counter, bigrams: Counter) -> DiacriticRestorer:
        pairs = list(bigrams.items())
        keys = np.array([_pair_key(a, b) for (a, b), _ in pairs], dtype=np.uint64)
        counts = np.array([n for _, n in pairs], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        following: Counter = Counter()
        followers: Counter = Counter()
        for (a, _), n in pairs:
            following[a] += n
            followers[a] += 1
        return cls(unigrams, keys[order], counts[order], following, followers)

    @staticmethod
    def count(docs: Iterable[Sequence[str]]) -> tuple[Counter, Counter]:
        """Syllable and syllable-pair counts of tokenised chunks (numbers are left out)."""
        uni: Counter = Counter()
        bi: Counter = Counter()
        for doc in docs:
            words = [t for t in doc if t.isalpha()]
            uni.update(words)
            bi.update(zip(words, words[1:], strict=False))
        return uni, bi

    @classmethod
    def from_tokens(cls, docs: Iterable[Sequence[str]], min_bigram: int = 1) -> DiacriticRestorer:
        uni, bi = cls.count(docs)
        if min_bigram > 1:
            bi = Counter({k: v for k, v in bi.items() if v >= min_bigram})
        for phrase in _phrases():
            for w in phrase:
                uni[w] += COMMON_WEIGHT
            for pair in zip(phrase, phrase[1:], strict=False):
                bi[pair] += COMMON_WEIGHT
        return cls.from_counts(uni, bi)

    def updated(self, removed: Iterable[Sequence[str]], added: Iterable[Sequence[str]]) -> DiacriticRestorer:
        """This model minus the counts of `removed` chunks plus those of `added` ones: equal to a model
        built from the whole new corpus, without reading the unchanged chunks again."""
        plus_uni, plus_bi = self.count(added)
        minus_uni, minus_bi = self.count(removed)
        unigrams = self.unigrams + plus_uni
        unigrams.subtract(minus_uni)
        unigrams = +unigrams
        delta: Counter = Counter(plus_bi)
        delta.subtract(minus_bi)
        pairs = [(pair, n) for pair, n in delta.items() if n]
        change_keys = np.array([_pair_key(a, b) for (a, b), _ in pairs], dtype=np.uint64)
        change = np.array([n for _, n in pairs], dtype=np.int64)
        before = self._counts(change_keys)
        following = self.following.copy()
        followers = self.followers.copy()
        for ((a, _), n), old in zip(pairs, before.tolist(), strict=True):
            following[a] += n
            followers[a] += (old + n > 0) - (old > 0)  # a pair that appears or disappears
        keys = np.concatenate([self.bigram_keys, change_keys])
        counts = np.concatenate([self.bigram_counts, change])
        keys, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse, weights=counts, minlength=len(keys)).astype(np.int64)
        alive = counts > 0
        return DiacriticRestorer(unigrams, keys[alive], counts[alive], +following, +followers)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        data = {
            "unigrams": dict(self.unigrams),
            "following": dict(self.following),
            "followers": dict(self.followers),
        }
        (folder / "unigrams.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        np.save(folder / "bigram_keys.npy", self.bigram_keys)
        np.save(folder / "bigram_counts.npy", self.bigram_counts)

    @classmethod
    def load(cls, folder: Path) -> DiacriticRestorer:
        data = json.loads((folder / "unigrams.json").read_text(encoding="utf-8"))
        keys = np.load(folder / "bigram_keys.npy", mmap_mode="r")
        counts = np.load(folder / "bigram_counts.npy", mmap_mode="r")
        following, followers = Counter(data["following"]), Counter(data["followers"])
        return cls(Counter(data["unigrams"]), keys, counts, following, followers)

    def _counts(self, keys: np.ndarray) -> np.ndarray:
        """The bigram counts of these pair keys (0 for a pair never seen)."""
        if not len(self.bigram_keys) or not len(keys):
            return np.zeros(len(keys), dtype=np.int64)
        at = np.minimum(np.searchsorted(self.bigram_keys, keys), len(self.bigram_keys) - 1)
        return np.where(self.bigram_keys[at] == keys, self.bigram_counts[at], 0).astype(np.int64)

    def bigram(self, a: str, b: str) -> int:
        if not len(self.bigram_keys):
            return 0
        key = np.uint64(_pair_key(a, b))
        i = int(np.searchsorted(self.bigram_keys, key))
        return int(self.bigram_counts[i]) if i < len(self.bigram_keys) and self.bigram_keys[i] == key else 0

    def same_counts(self, other: DiacriticRestorer) -> bool:
        return (
            self.unigrams == other.unigrams
            and self.following == other.following
            and self.followers == other.followers
            and np.array_equal(self.bigram_keys, other.bigram_keys)
            and np.array_equal(self.bigram_counts, other.bigram_counts)
        )

    def _logp(self, prev: str | None, word: str, context: _SmallModel | None = None) -> float:
        """The corpus's bigram probability, backed off to its unigram by Witten-Bell (a word followed
        by many different words leaves more room for an unseen one), mixed with the question words'
        and, when given, the context passages'."""
        p = (self.unigrams.get(word, 0) + 0.1) / (self.total + 0.1 * self.vocab)
        seen = self.following.get(prev, 0) if prev is not None else 0
        if seen:
            distinct = self.followers.get(prev, 0)
            p = (self.bigram(prev, word) + distinct * p) / (seen + distinct)
        mixed = PHRASE_SHARE * PHRASES.p(prev, word)
        if context is None:
            return math.log((1 - PHRASE_SHARE) * p + mixed)
        return math.log(
            (1 - PHRASE_SHARE - CONTEXT_SHARE) * p + mixed + CONTEXT_SHARE * context.p(prev, word)
        )

    def restore_words(self, words: Sequence[str], context: Iterable[Sequence[str]] = ()) -> list[str]:
        """Most likely accented form of each (lower-case) syllable; unknown ones are kept as typed.
        `context`: tokenised passages the question is likely about (the module's docstring)."""
        if not words:
            return []
        passages = [[w for w in doc if w.isalpha()] for doc in context]
        local = _SmallModel(passages) if any(passages) else None
        lattice = [[w] if has_diacritics(w) else (self.forms.get(fold(w)) or [w]) for w in words]
        best: dict[str, tuple[float, list[str]]] = {c: (self._logp(None, c, local), [c]) for c in lattice[0]}
        for cands in lattice[1:]:
            nxt = {}
            for c in cands:
                score, path = max(
                    ((s + self._logp(p, c, local), path) for p, (s, path) in best.items()),
                    key=lambda x: x[0],
                )
                nxt[c] = (score, path + [c])
            best = nxt
        return max(best.values(), key=lambda x: x[0])[1]

    def restore(self, text: str, context: Iterable[Sequence[str]] = ()) -> str:
        """The text with each syllable typed without diacritics replaced by its restored form."""
        text = nfc(text)
        matches = [m for m in TOKEN_PATTERN.finditer(text) if m.group().isalpha()]
        restored = self.restore_words([m.group().lower() for m in matches], context)
        out, pos = [], 0
        for m, word in zip(matches, restored, strict=True):
            typed = m.group()
            out.append(text[pos : m.start()])
            out.append(typed if has_diacritics(typed) else _same_case(typed, word))
            pos = m.end()
        out.append(text[pos:])
        return "".join(out)


def _same_case(typed: str, word: str) -> str:
    """The restored word in the typed word's case, letter by letter where they align ("05-CTr/TU"
    keeps "CTr"); NFC gives one character per letter, accented or not, so they align unless the
    restorer returned another word."""
    if len(typed) == len(word):
        return "".join(w.upper() if t.isupper() else w for t, w in zip(typed, word, strict=True))
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
