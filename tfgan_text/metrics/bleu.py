"""BLEU-n and leave-one-out Self-BLEU-n as used by the text-GAN literature.

The definition is the one of Texygen and the papers that copy its numbers: for
each hypothesis `h`,

    nltk.translate.bleu_score.sentence_bleu(
        references=ALL reference sentences, hypothesis=h,
        weights=(1/n,) * n, smoothing_function=SmoothingFunction().method1)

and BLEU-n is the mean over hypotheses. Self-BLEU-n scores every sentence of a
generated set against all the OTHER sentences of the set (leave-one-out by
position: an identical copy elsewhere in the set still counts as a reference).

This module reproduces nltk's arithmetic exactly (clipped counts against the
maximum count over references, denominators of at least 1, the closest
reference length with ties going to the shorter one, a score of 0 when no
unigram matches, epsilon = 0.1 added to zero numerators) but in vectorised
numpy without nltk:

* tokens become integer ids; the n-gram starting at each position gets a dense
  id built order by order from (id of its (n-1)-gram prefix, last token), so
  keys never overflow whatever the vocabulary size;
* for the reference set, once: for every distinct n-gram its largest
  per-sentence count, the sentence holding it and the second largest count
  (the latter two give the leave-one-out maximum), and the sorted sentence
  lengths (closest reference length by `np.searchsorted`).
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

__all__ = ["BleuScorer", "bleu", "self_bleu"]

# nltk's SmoothingFunction(epsilon=0.1).method1 adds this to zero numerators.
_EPSILON = 0.1
DEFAULT_ORDERS: tuple[int, ...] = (2, 3, 4, 5)


def as_sentences(sentences: Iterable[Sequence[str]], what: str) -> list[Sequence[str]]:
    if isinstance(sentences, (str, bytes)):
        raise TypeError(f"{what} must be a sequence of token sequences, not a string")
    sentences = list(sentences)
    for sentence in sentences:
        if isinstance(sentence, (str, bytes)):
            raise TypeError(
                f"each of the {what} must be a sequence of tokens (e.g. a list of str), "
                f"not a string: {sentence[:40]!r}"
            )
    return sentences


def _check_orders(orders: Iterable[int], max_n: int | None = None) -> tuple[int, ...]:
    orders = tuple(orders)
    if not orders:
        raise ValueError("no BLEU orders given")
    for n in orders:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"a BLEU order must be a positive integer, got {n!r}")
        if max_n is not None and n > max_n:
            raise ValueError(f"BLEU order {n} exceeds this scorer's max_n={max_n}")
    return tuple(int(n) for n in orders)


class _Flat:
    """Sentences as one flat array of token ids with per-position bookkeeping."""

    def __init__(self, token_ids: np.ndarray, lengths: np.ndarray):
        self.tokens = token_ids  # (T,) int64, -1 for tokens unknown to the vocabulary
        self.lengths = lengths  # (S,) int64
        self.num_sentences = len(lengths)
        self.sentence = np.repeat(np.arange(self.num_sentences, dtype=np.int64), lengths)
        ends = np.cumsum(lengths)
        positions = np.arange(len(token_ids), dtype=np.int64)
        # Number of tokens from each position to the end of its sentence.
        self.remaining = ends[self.sentence] - positions

    def starts(self, n: int) -> np.ndarray:
        """Positions at which an n-gram starts and fits inside its sentence."""
        return np.flatnonzero(self.remaining >= n)


def _closest_length(h: np.ndarray, lo: np.ndarray, has_lo: np.ndarray,
                    hi: np.ndarray, has_hi: np.ndarray) -> np.ndarray:
    """nltk's closest_ref_length given the nearest lengths below (lo < h) and at/above (hi >= h).

    nltk minimises (|r - h|, r), so a tie between lo and hi goes to lo.
    """
    take_lo = has_lo & (~has_hi | (h - lo <= hi - h))
    return np.where(take_lo, lo, hi)


def _combine(num: np.ndarray, den: np.ndarray, hyp_len: np.ndarray, ref_len: np.ndarray,
             n: int) -> np.ndarray:
    """Sentence BLEU-n from per-order clipped numerators and denominators, shape (max_n, H)."""
    num_n = num[:n].astype(np.float64)
    den_n = den[:n].astype(np.float64)
    # method1: a zero numerator becomes epsilon; otherwise the exact ratio (nltk's
    # float(Fraction) is the correctly rounded num / den, as is this division).
    precision = np.where(num_n > 0, num_n / den_n, _EPSILON / den_n)
    log_mean = np.sum((1.0 / n) * np.log(precision), axis=0)
    h = hyp_len.astype(np.float64)
    r = ref_len.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        penalty = np.where(h > r, 1.0, np.where(h == 0, 0.0, np.exp(1.0 - r / h)))
    # nltk returns 0 outright when no unigram matches (this covers empty hypotheses).
    return np.where(num[0] == 0, 0.0, penalty * np.exp(log_mean))


class BleuScorer:
    """BLEU against a fixed reference set, indexed once for fast repeated scoring.

    `references` are tokenised sentences (lists of str tokens); every hypothesis
    is scored against ALL of them, as nltk's `sentence_bleu` with uniform
    weights and smoothing method 1 does. `max_n` is the largest order needed.
    """

    def __init__(self, references: Sequence[Sequence[str]], max_n: int = 5):
        if isinstance(max_n, bool) or not isinstance(max_n, (int, np.integer)) or max_n < 1:
            raise ValueError(f"max_n must be a positive integer, got {max_n!r}")
        references = as_sentences(references, "references")
        if not references:
            raise ValueError("the reference set is empty: BLEU needs at least one reference sentence")
        self.max_n = int(max_n)
        self._vocab: dict = {}
        setdefault = self._vocab.setdefault
        lengths = np.fromiter((len(s) for s in references), dtype=np.int64, count=len(references))
        tokens = np.fromiter(
            (setdefault(t, len(self._vocab)) for s in references for t in s),
            dtype=np.int64, count=int(lengths.sum()),
        )
        self._base = max(len(self._vocab), 1)
        self._refs = _Flat(tokens, lengths)
        if len(tokens) and len(tokens) * self._base >= 2**62:
            raise ValueError("reference set too large for int64 n-gram keys")
        self._build_index()
        sorted_lengths, counts = np.unique(lengths, return_counts=True)
        self._ref_lengths = sorted_lengths  # distinct reference lengths, ascending
        self._ref_length_counts = counts

    @property
    def num_references(self) -> int:
        return self._refs.num_sentences

    def _build_index(self) -> None:
        """Per order: sorted n-gram keys, and per n-gram top-1/top-2 per-sentence counts."""
        refs = self._refs
        num_sentences = refs.num_sentences
        self._keys: list[np.ndarray] = []  # keys[n-1]: sorted (prefix id * base + token)
        self._top1: list[np.ndarray] = []  # max count over reference sentences
        self._top2: list[np.ndarray] = []  # max over the sentences other than argmax
        self._argmax: list[np.ndarray] = []  # a sentence holding top1
        self._pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (sentence, ngram, count)
        ids = refs.tokens  # dense ids of the n-grams starting at each position
        for n in range(1, self.max_n + 1):
            starts = refs.starts(n)
            if n == 1:
                keys = np.arange(len(self._vocab), dtype=np.int64)
                gram = ids[starts]
            else:
                key = ids[starts] * self._base + refs.tokens[starts + n - 1]
                keys, gram = np.unique(key, return_inverse=True)
                gram = gram.reshape(-1).astype(np.int64)
                ids = np.full(len(refs.tokens), -1, dtype=np.int64)
                ids[starts] = gram
            num_grams = len(keys)
            # Per-sentence counts, sorted by n-gram id then sentence.
            pair_key, count = np.unique(gram * num_sentences + refs.sentence[starts],
                                        return_counts=True)
            pair_gram = pair_key // num_sentences
            pair_sentence = pair_key % num_sentences
            count = count.astype(np.int64)
            # Within each n-gram, order by count descending (stable, n-gram ids stay grouped).
            order = np.lexsort((-count, pair_gram))
            g, s, c = pair_gram[order], pair_sentence[order], count[order]
            first = np.searchsorted(g, np.arange(num_grams, dtype=np.int64))
            top1 = c[first] if num_grams else np.zeros(0, dtype=np.int64)
            argmax = s[first] if num_grams else np.zeros(0, dtype=np.int64)
            group_end = np.append(first[1:], len(g)) if num_grams else first
            second = np.minimum(first + 1, max(len(c) - 1, 0))
            top2 = np.where(first + 1 < group_end, c[second] if len(c) else 0, 0).astype(np.int64)
            self._keys.append(keys)
            self._top1.append(top1)
            self._top2.append(top2)
            self._argmax.append(argmax)
            self._pairs.append((pair_sentence, pair_gram, count))

    # ---- hypotheses against the full reference set -------------------------------------

    def _counts(self, hypotheses: Sequence[Sequence[str]], max_order: int):
        hypotheses = as_sentences(hypotheses, "hypotheses")
        if not hypotheses:
            raise ValueError("no hypotheses to score")
        get = self._vocab.get
        lengths = np.fromiter((len(s) for s in hypotheses), dtype=np.int64, count=len(hypotheses))
        tokens = np.fromiter((get(t, -1) for s in hypotheses for t in s),
                             dtype=np.int64, count=int(lengths.sum()))
        hyps = _Flat(tokens, lengths)
        num_hyps = hyps.num_sentences
        num = np.zeros((max_order, num_hyps), dtype=np.int64)
        ids = tokens  # reference n-gram id at each position, -1 if absent from the references
        for n in range(1, max_order + 1):
            if n > 1:
                starts = hyps.starts(n)
                prefix = ids[starts]
                last = tokens[starts + n - 1]
                ok = (prefix >= 0) & (last >= 0)
                starts, key = starts[ok], prefix[ok] * self._base + last[ok]
                keys = self._keys[n - 1]
                pos = np.searchsorted(keys, key)
                found = pos < len(keys)
                found[found] = keys[pos[found]] == key[found]
                ids = np.full(len(tokens), -1, dtype=np.int64)
                ids[starts[found]] = pos[found]
            matched = np.flatnonzero(ids >= 0)
            if len(matched):
                num_grams = len(self._keys[n - 1])
                pair_key, count = np.unique(hyps.sentence[matched] * num_grams + ids[matched],
                                            return_counts=True)
                clipped = np.minimum(count, self._top1[n - 1][pair_key % num_grams])
                num[n - 1] = np.bincount(pair_key // num_grams, weights=clipped,
                                         minlength=num_hyps).round().astype(np.int64)
        orders = np.arange(1, max_order + 1, dtype=np.int64)[:, None]
        den = np.maximum(1, lengths[None, :] - orders + 1)
        ref_len = self._closest_ref_length(lengths)
        return num, den, lengths, ref_len

    def _closest_ref_length(self, h: np.ndarray) -> np.ndarray:
        sorted_lengths = self._ref_lengths
        last = len(sorted_lengths) - 1
        i = np.searchsorted(sorted_lengths, h)  # first length >= h
        hi = sorted_lengths[np.minimum(i, last)]
        lo = sorted_lengths[np.maximum(i - 1, 0)]
        return _closest_length(h, lo, i > 0, hi, i <= last)

    def sentence_scores(self, hypotheses: Sequence[Sequence[str]], n: int) -> np.ndarray:
        """BLEU-n of every hypothesis against all references, shape (len(hypotheses),)."""
        (n,) = _check_orders((n,), self.max_n)
        return _combine(*self._counts(hypotheses, n), n)

    def score(self, hypotheses: Sequence[Sequence[str]], n: int) -> float:
        """BLEU-n: the mean sentence BLEU-n over the hypotheses."""
        return float(np.mean(self.sentence_scores(hypotheses, n)))

    def all_sentence_scores(self, hypotheses: Sequence[Sequence[str]],
                            orders: Iterable[int] = DEFAULT_ORDERS) -> dict[int, np.ndarray]:
        """Sentence BLEU-n for several orders at once (n-grams are counted once)."""
        orders = _check_orders(orders, self.max_n)
        counts = self._counts(hypotheses, max(orders))
        return {n: _combine(*counts, n) for n in orders}

    def scores(self, hypotheses: Sequence[Sequence[str]],
               orders: Iterable[int] = DEFAULT_ORDERS) -> dict[int, float]:
        """{n: BLEU-n} for several orders at once."""
        return {n: float(np.mean(s)) for n, s in self.all_sentence_scores(hypotheses, orders).items()}

    # ---- leave-one-out: each reference against all the other references ----------------

    def leave_one_out_sentence_scores(self, orders: Iterable[int] = DEFAULT_ORDERS
                                      ) -> dict[int, np.ndarray]:
        """{n: per-sentence BLEU-n of each reference against all the OTHER references}.

        This is Self-BLEU when the references are a generated set.
        """
        orders = _check_orders(orders, self.max_n)
        num_sentences = self._refs.num_sentences
        if num_sentences < 2:
            raise ValueError("leave-one-out (Self-)BLEU needs at least 2 sentences")
        max_order = max(orders)
        num = np.zeros((max_order, num_sentences), dtype=np.int64)
        for n in range(1, max_order + 1):
            sentence, gram, count = self._pairs[n - 1]
            top1, top2, argmax = self._top1[n - 1], self._top2[n - 1], self._argmax[n - 1]
            max_other = np.where(argmax[gram] == sentence, top2[gram], top1[gram])
            clipped = np.minimum(count, max_other)
            num[n - 1] = np.bincount(sentence, weights=clipped,
                                     minlength=num_sentences).round().astype(np.int64)
        lengths = self._refs.lengths
        orders_col = np.arange(1, max_order + 1, dtype=np.int64)[:, None]
        den = np.maximum(1, lengths[None, :] - orders_col + 1)
        # Closest length among the other sentences: the own length if another sentence
        # shares it, else the nearest distinct lengths below and above.
        distinct, counts = self._ref_lengths, self._ref_length_counts
        j = np.searchsorted(distinct, lengths)
        last = len(distinct) - 1
        lo = distinct[np.maximum(j - 1, 0)]
        hi = distinct[np.minimum(j + 1, last)]
        ref_len = np.where(counts[j] >= 2, lengths,
                           _closest_length(lengths, lo, j > 0, hi, j < last))
        return {n: _combine(num, den, lengths, ref_len, n) for n in orders}

    def leave_one_out_scores(self, orders: Iterable[int] = DEFAULT_ORDERS) -> dict[int, float]:
        """{n: mean leave-one-out BLEU-n} over the reference sentences (Self-BLEU)."""
        return {n: float(np.mean(s)) for n, s in self.leave_one_out_sentence_scores(orders).items()}


def bleu(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
         orders: Iterable[int] = DEFAULT_ORDERS) -> dict[int, float]:
    """{n: BLEU-n}: mean over hypotheses of nltk sentence BLEU-n against ALL references."""
    orders = _check_orders(orders)
    return BleuScorer(references, max_n=max(orders)).scores(hypotheses, orders)


def self_bleu(sentences: Sequence[Sequence[str]],
              orders: Iterable[int] = DEFAULT_ORDERS) -> dict[int, float]:
    """{n: Self-BLEU-n}: each sentence against all the other sentences (leave-one-out), averaged."""
    orders = _check_orders(orders)
    sentences = as_sentences(sentences, "sentences")
    if len(sentences) < 2:
        raise ValueError(f"Self-BLEU needs at least 2 sentences, got {len(sentences)}")
    return BleuScorer(sentences, max_n=max(orders)).leave_one_out_scores(orders)
