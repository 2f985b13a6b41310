"""A task is what a method trains on and how its samples are read and judged.

Three kinds: the embedded grammar task (English-like sentences sampled from a
probabilistic grammar, the default, no data needed: tfgan_text/data/grammar.py),
the synthetic oracle task (sequences sampled from a fixed LSTM) and a text
corpus (one sentence per line). Each gives int32 arrays [N, T] of token ids, a
`SequenceSpec`, and a way to turn ids back into text.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import tensorflow as tf

from tfgan_text.config import MAX_SEQUENCE_LENGTH
from tfgan_text.data import corpus
from tfgan_text.data.tokenizers import Tokenizer
from tfgan_text.data.vocabulary import SPECIAL_TOKENS, Vocabulary
from tfgan_text.errors import UsageError
from tfgan_text.models.generator import Generator
from tfgan_text.sampling import AutoregressiveGenerator, Sampler, SequenceSpec


@dataclasses.dataclass
class Task:
    name: str  # "grammar", "oracle" or "corpus"
    spec: SequenceSpec
    train: np.ndarray  # [N, T] int32
    test: np.ndarray  # [M, T] int32, never trained on
    test_description: str  # what `test` is, printed beside NLL-test
    vocabulary: Vocabulary | None = None
    tokenizer: Tokenizer | None = None
    oracle: AutoregressiveGenerator | None = None  # the true model of the data, where it is known
    grammatical: Callable[[np.ndarray], np.ndarray] | None = None  # token ids [N, T] -> [N] bool: derived

    conditional = False  # a source -> target task (tfgan_text.data.parallel.ConditionalTask)

    def decode(self, ids) -> str:
        if self.vocabulary is None:
            return " ".join(str(int(i)) for i in ids)
        return self.tokenizer.detokenize(self.vocabulary.decode(ids))

    # A conditional task's rows hold (source, target) pairs; these four let a method treat both
    # kinds of task alike. Here a row is the target itself and nothing conditions the generator.
    @property
    def train_targets(self) -> np.ndarray:
        """The training target sequences [N, T] (word counts, D's real data)."""
        return self.train

    def condition(self, generator, rows: tf.Tensor):
        """(the generator as it generates for `rows`, the target tokens of `rows`)."""
        return generator, rows

    def with_targets(self, rows: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        """Rows like `rows` whose targets are `targets` (generated sequences D can judge)."""
        return targets

    def target_scorer(self, scorer, rows: tf.Tensor):
        """`scorer` (rows -> scores) as a function of target tokens generated for `rows` (roll-outs)."""
        return scorer


# The training and held-out sets of a sampled task (oracle, grammar), as a run directory keeps them.
SampledSets = tuple[np.ndarray, np.ndarray]


def sample_sets(sampler, spec: SequenceSpec, num_train: int, num_test: int, data_seed: int,
                saved: SampledSets | None = None) -> SampledSets:
    """The training and held-out sets drawn from `sampler` with fixed seeds, or `saved` (a run's copy of
    them, which resume, evaluate and export read instead of sampling again) when it has their shapes and ids."""
    if saved is not None:
        train, test = saved
        if (train.shape == (num_train, spec.max_length) and test.shape == (num_test, spec.max_length)
                and all(a.dtype.kind == "i" and a.min(initial=0) >= 0 and a.max(initial=0) < spec.vocab_size
                        for a in saved)):
            return train.astype(np.int32), test.astype(np.int32)
    return (sampler(num_train, tf.constant([data_seed, 1])).tokens.numpy(),
            sampler(num_test, tf.constant([data_seed, 2])).tokens.numpy())


def oracle_task(oracle: Generator, length: int, num_train: int, num_test: int, data_seed: int,
                saved: SampledSets | None = None) -> Task:
    """Training and held-out sets sampled from `oracle` with fixed seeds (start token 0)."""
    spec = SequenceSpec(vocab_size=oracle.vocab_size, max_length=length, bos_id=0)
    train, test = sample_sets(Sampler(oracle, spec), spec, num_train, num_test, data_seed, saved)
    return Task("oracle", spec, train, test, f"{num_test:,} fresh oracle samples (held out)",
                oracle=oracle)


def corpus_task(train_path: str, test_path: str | None, tokenizer: Tokenizer, min_count: int,
                max_vocab_size: int, max_length: int, long_sentences: str, heldout_fraction: float,
                split_seed: int, vocabulary: Vocabulary | None = None, log=print) -> Task:
    """Tokenises the corpus, builds (or reuses) the vocabulary and pads to T = max words + 1 (eos).

    Without `test_path`, a seeded `heldout_fraction` of the training file is held out
    and reported as such. `max_length` 0 means the longest training sentence that is no outlier (`Limit`).
    """
    train_sentences = tokenizer.tokenize(corpus.read_lines(train_path, "train_data"))
    if test_path:
        test_sentences = tokenizer.tokenize(corpus.read_lines(test_path, "test_data"))
        test_description = f"test split {test_path}"
    else:
        train_sentences, test_sentences = heldout_split(train_sentences, heldout_fraction, split_seed, train_path,
                                                        "lines")
        num_heldout = len(test_sentences)
        test_description = f"held-out {heldout_fraction:.0%} of {train_path} ({num_heldout:,} lines, not trained on)"

    where = f"--train_data={train_path}"
    limit = Limit.of([len(s) for s in train_sentences], max_length, "--max_length", where)
    train_sentences = _fit_length(train_sentences, limit, long_sentences, where, log, limit.outliers)
    test_sentences = _fit_length(test_sentences, limit, long_sentences,
                                 f"--test_data={test_path}" if test_path else "the held-out split", log)
    max_length = limit.value
    if vocabulary is None:
        vocabulary = Vocabulary.build(train_sentences, min_count=min_count, max_size=max_vocab_size)
        check_vocabulary(vocabulary, {"": train_sentences}, min_count, max_vocab_size, where)
    spec = SequenceSpec(vocab_size=len(vocabulary), max_length=max_length + 1, bos_id=vocabulary.bos_id,
                        eos_id=vocabulary.eos_id, pad_id=vocabulary.pad_id,
                        banned_ids=(vocabulary.pad_id, vocabulary.bos_id))
    return Task("corpus", spec, _encode(train_sentences, vocabulary, spec.max_length),
                _encode(test_sentences, vocabulary, spec.max_length), test_description,
                vocabulary=vocabulary, tokenizer=tokenizer)


MAX_UNKNOWN_SHARE = 0.9  # a training set with more <unk> than this teaches a model nothing but <unk>


def check_vocabulary(vocabulary: Vocabulary, sides: dict[str, list[list[str]]], min_count: int,
                     max_vocab_size: int, where: str) -> None:
    """Refuses a vocabulary built from `sides` ({"": sentences}, or {"sources": ..., "targets": ...}) that
    keeps no real token, or leaves more than MAX_UNKNOWN_SHARE of a side's tokens <unk>; names the flag
    that made it so (--min_count, --max_vocab_size)."""
    flags, advice = [], []
    if min_count > 1:
        flags.append(f"--min_count={min_count}")
        advice.append("lower --min_count")
    if max_vocab_size and len(vocabulary) >= max_vocab_size:
        flags.append(f"--max_vocab_size={max_vocab_size}")
        advice.append("raise --max_vocab_size")
    named = " / ".join(flags) or where
    advice = " or ".join(advice) or "is it the right file?"
    if len(vocabulary) <= len(SPECIAL_TOKENS):
        raise UsageError(f"{named}: the vocabulary of {where} keeps no token besides {', '.join(SPECIAL_TOKENS)}, "
                         f"so every training token would be <unk>; {advice}")
    distinct = len({token for sentences in sides.values() for sentence in sentences for token in sentence})
    for side, sentences in sides.items():
        total = sum(len(sentence) for sentence in sentences)
        unknown = sum(vocabulary.encode(sentence).count(vocabulary.unk_id) for sentence in sentences)
        if total and unknown > MAX_UNKNOWN_SHARE * total:
            raise UsageError(f"{named}: {unknown / total:.0%} of the {total:,} training tokens of "
                             f"{side + ' of ' if side else ''}{where} would be <unk> (the vocabulary keeps "
                             f"{len(vocabulary) - len(SPECIAL_TOKENS):,} of {distinct:,} distinct tokens); {advice}")


def heldout_split(items: list, fraction: float, seed: int, train_path: str, unit: str) -> tuple[list, list]:
    """(kept, held out): a seeded `fraction` of `items` held out, the rest kept in file order."""
    order = np.random.default_rng(seed).permutation(len(items))
    num_heldout = int(round(fraction * len(items)))
    if num_heldout < 1 or num_heldout >= len(items):
        raise UsageError(f"--heldout_fraction={fraction}: holds out {num_heldout} of {len(items)} {unit} of "
                         f"--train_data={train_path}; pass --test_data or a fraction that leaves both splits "
                         "non-empty")
    return [items[i] for i in sorted(order[num_heldout:])], [items[i] for i in order[:num_heldout]]


# --max_length=0: the longest training line, but a line longer than OUTLIER_FACTOR x the
# OUTLIER_QUANTILE length (nearest rank below, so the second-longest line in corpora under 1,000
# lines) and than OUTLIER_FLOOR tokens is an outlier: one 1 MB line must not set T to 200,000 while
# the other lines have 10 words. Natural corpora keep their longest line: COCO's is 35 words at a
# 99.9th percentile of 28 (180 characters at 140).
OUTLIER_QUANTILE, OUTLIER_FACTOR, OUTLIER_FLOOR = 0.999, 4, 32


@dataclasses.dataclass(frozen=True)
class Limit:
    """The length a corpus is fitted to, as the flag `flag` gave it or (0) as the training lines chose it."""

    value: int
    flag: str
    chosen: bool = False  # the flag was 0
    outliers: str = ""  # what the default left out, for the log ('' when nothing)

    @classmethod
    def of(cls, lengths: list[int], value: int, flag: str, where: str) -> "Limit":
        """`value`, or with `value` 0 the longest of `lengths` that is no outlier (at most MAX_SEQUENCE_LENGTH)."""
        if value:
            return cls(value, flag)
        lengths = np.asarray(lengths)
        reference = int(np.quantile(lengths, OUTLIER_QUANTILE, method="lower"))
        within = lengths[lengths <= max(OUTLIER_FACTOR * reference, OUTLIER_FLOOR)]
        value = int(within.max())
        if value > MAX_SEQUENCE_LENGTH:
            raise UsageError(f"{where}: {flag}=0 would train on lines of {value:,} tokens, beyond the "
                             f"{MAX_SEQUENCE_LENGTH:,} this library trains on; pass {flag}={MAX_SEQUENCE_LENGTH} or "
                             "less (longer lines are dropped, or cut with --long_sentences=truncate)")
        outliers = len(lengths) - len(within)
        note = "" if not outliers else (
            f", leaving out {outliers:,} outlier{'s' if outliers > 1 else ''} over {OUTLIER_FACTOR}x the "
            f"99.9th-percentile length ({reference}); the longest has {int(lengths.max()):,} tokens")
        return cls(value, flag, True, note)

    def __str__(self) -> str:
        return f"{self.value} tokens (the default {self.flag}=0)" if self.chosen else f"{self.flag}={self.value} tokens"


def _fit_length(sentences, limit: Limit, long_sentences, where, log, note=""):
    max_length = limit.value
    long = sum(len(s) > max_length for s in sentences)
    if long == 0:
        return sentences
    if long_sentences == "truncate":
        log(f"{where}: truncated {long:,} of {len(sentences):,} lines to {limit}{note}")
        return [s[:max_length] for s in sentences]
    if long == len(sentences):
        raise UsageError(f"{where}: every line is longer than {limit} "
                         f"(raise {limit.flag} or pass --long_sentences=truncate)")
    log(f"{where}: dropped {long:,} of {len(sentences):,} lines longer than {limit}{note}")
    return [s for s in sentences if len(s) <= max_length]


def _encode(sentences, vocabulary: Vocabulary, length: int) -> np.ndarray:
    ids = np.full([len(sentences), length], vocabulary.pad_id, np.int32)
    for row, sentence in enumerate(sentences):
        encoded = vocabulary.encode(sentence) + [vocabulary.eos_id]
        ids[row, : len(encoded)] = encoded
    return ids
