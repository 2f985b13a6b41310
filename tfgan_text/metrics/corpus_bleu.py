"""Corpus BLEU, the translation protocol (Papineni et al. 2002): each hypothesis against its OWN references.

The task metric of conditional generation. Unlike `metrics.bleu` (the text-GAN
protocol: every test sentence is a reference of every sample, and sentence
scores are averaged), here clipped n-gram counts and lengths are pooled over
the corpus before dividing:

    p_k  = sum_i clipped_k(h_i, refs_i) / sum_i max(1, #k-grams(h_i))
    BP   = 1 if c > r, 0 if c == 0, else exp(1 - r / c)
    BLEU-n = BP * exp(sum_{k=1..n} (1/n) log p_k)

with c the total hypothesis length and r the sum over sentences of the
reference length closest to the hypothesis length (ties go to the shorter).
A hypothesis n-gram is clipped at its largest count in any one of its
references. This is nltk's `corpus_bleu(references, hypotheses,
weights=(1/n,)*n)` without smoothing, reproduced operation for operation: 0
when no unigram matches, and a zero higher-order precision replaced by the
smallest positive float, so the score is below 1e-76 for n <= 4 (0 in any
printed table) rather than exactly 0.

`metrics.bleu`'s vectorised index is built for one shared reference set, so it
does not fit per-hypothesis references; plain Counters over tuples are fast
enough (all orders are counted in one pass, and reference n-grams absent from
the hypothesis are dropped before counting).
"""
from __future__ import annotations

import collections
import itertools
import math
import sys
from typing import Hashable, Iterator, Sequence

from tfgan_text.metrics.bleu import as_sentences

__all__ = ["corpus_bleu"]

# nltk's no-smoothing stand-in for a zero precision (log of it is about -708).
_ZERO_PRECISION = sys.float_info.min


def _ngrams(tokens: Sequence[Hashable], max_n: int) -> Iterator[tuple]:
    """Every n-gram of orders 1..max_n as a tuple (its length is its order)."""
    return itertools.chain.from_iterable(
        zip(*[tokens[start:] for start in range(n)]) for n in range(1, max_n + 1))


def _closest_length(reference_lengths: list[int], hypothesis_length: int) -> int:
    return min(reference_lengths, key=lambda length: (abs(length - hypothesis_length), length))


def corpus_bleu(hypotheses: Sequence[Sequence[Hashable]], references: Sequence[Sequence[Sequence[Hashable]]],
                max_n: int = 4) -> dict[int, float]:
    """{n: corpus BLEU-n} for n = 1..max_n (cumulative, uniform weights).

    `references[i]` is the list of reference sentences of `hypotheses[i]`;
    tokens are any hashables (word strings or integer ids).
    """
    if isinstance(max_n, bool) or not isinstance(max_n, int) or max_n < 1:
        raise ValueError(f"max_n must be a positive integer, got {max_n!r}")
    hypotheses = as_sentences(hypotheses, "hypotheses")
    if isinstance(references, (str, bytes)):
        raise TypeError("references must be one list of reference sentences per hypothesis, not a string")
    references = list(references)
    if len(hypotheses) != len(references):
        raise ValueError(f"corpus BLEU needs one reference list per hypothesis: "
                         f"got {len(hypotheses)} hypotheses but {len(references)} reference lists")
    if not hypotheses:
        raise ValueError("corpus BLEU of an empty corpus: no hypotheses given")

    numerators = [0] * (max_n + 1)  # index = order; clipped matches pooled over the corpus
    denominators = [0] * (max_n + 1)
    hypothesis_total = reference_total = 0
    for index, (hypothesis, refs) in enumerate(zip(hypotheses, references)):
        refs = as_sentences(refs, f"references of hypothesis {index}")
        if not refs:
            raise ValueError(f"hypothesis {index} has no reference sentence")
        hypothesis = tuple(hypothesis)
        hypothesis_counts = collections.Counter(_ngrams(hypothesis, max_n))
        in_hypothesis = hypothesis_counts.__contains__
        # Largest count of each hypothesis n-gram in any single reference.
        reference_counts = [collections.Counter(filter(in_hypothesis, _ngrams(tuple(ref), max_n))) for ref in refs]
        max_reference_counts = reference_counts[0]
        for counts in reference_counts[1:]:
            for gram, count in counts.items():
                if count > max_reference_counts[gram]:
                    max_reference_counts[gram] = count
        for gram, reference_count in max_reference_counts.items():
            count = hypothesis_counts[gram]
            numerators[len(gram)] += count if count < reference_count else reference_count
        length = len(hypothesis)
        for n in range(1, max_n + 1):
            denominators[n] += max(1, length - n + 1)
        hypothesis_total += length
        reference_total += _closest_length([len(ref) for ref in refs], length)

    if hypothesis_total > reference_total:
        brevity_penalty = 1.0
    elif hypothesis_total == 0:
        brevity_penalty = 0.0
    else:
        brevity_penalty = math.exp(1.0 - reference_total / hypothesis_total)
    if numerators[1] == 0:
        return {n: 0.0 for n in range(1, max_n + 1)}
    precisions = [numerators[k] / denominators[k] if numerators[k] else _ZERO_PRECISION
                  for k in range(max_n + 1)]
    return {n: brevity_penalty * math.exp(math.fsum((1 / n) * math.log(precisions[k]) for k in range(1, n + 1)))
            for n in range(1, max_n + 1)}
