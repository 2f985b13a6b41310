"""Conditional (source -> target) tasks: a TSV parallel corpus, or an embedded synthetic mapping.

A pair travels as ONE int32 row `[source (S ids) | target (T ids)]`, so the data
pipeline, tf.distribute's batch splitting and the D rounds' shuffles handle
pairs exactly as they handle sequences; `split` and `pack` convert. Sources and
targets share one vocabulary (a copy needs the same ids on both sides).
Sources are padded with pad (no eos); targets end with eos as in every task.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from tfgan_text.data import corpus
from tfgan_text.data.tasks import Limit, Task, check_vocabulary, heldout_split
from tfgan_text.data.tokenizers import Tokenizer, get_tokenizer
from tfgan_text.data.vocabulary import Vocabulary
from tfgan_text.errors import UsageError
from tfgan_text.sampling import SequenceSpec

MAPPINGS = ("copy", "reverse")


@dataclasses.dataclass
class ConditionalTask(Task):
    source_length: int = 0  # S: source ids at the front of every row

    conditional = True

    def split(self, rows):
        """(sources [N, S], targets [N, T]) of packed rows [N, S + T] (arrays or tensors)."""
        return rows[:, : self.source_length], rows[:, self.source_length:]

    def pack(self, sources, targets) -> tf.Tensor:
        return tf.concat([tf.cast(sources, tf.int32), tf.cast(targets, tf.int32)], axis=1)

    @property
    def train_targets(self) -> np.ndarray:
        return self.train[:, self.source_length:]

    def condition(self, generator, rows):
        sources, targets = self.split(rows)
        return generator.conditioned(sources), targets

    def with_targets(self, rows, targets):
        return self.pack(self.split(rows)[0], targets)

    def target_scorer(self, scorer, rows):
        def score_targets(targets):  # [M, T], M a multiple of N: rows b*k .. b*k+k-1 answer source b
            sources = self.split(rows)[0]
            copies = tf.shape(targets)[0] // tf.shape(sources)[0]
            return scorer(self.pack(tf.repeat(sources, copies, axis=0), targets))

        return score_targets

    def decode_source(self, ids) -> str:
        return self.tokenizer.detokenize(self.vocabulary.decode(ids))

    def references(self, rows: np.ndarray) -> tuple[np.ndarray, list[list[list[str]]]]:
        """(the distinct sources of `rows` [M, S], and for each the tokens of all its targets there):
        BLEU's references, several where a source has several targets."""
        sources, targets = self.split(rows)
        grouped: dict[bytes, list] = {}
        first_row: dict[bytes, int] = {}
        for index, (source, target) in enumerate(zip(sources, targets)):
            key = source.tobytes()
            first_row.setdefault(key, index)
            grouped.setdefault(key, []).append(self.vocabulary.decode(target))
        order = sorted(first_row.values())
        return sources[order], [grouped[sources[i].tobytes()] for i in order]


def _spec(vocabulary: Vocabulary, target_length: int) -> SequenceSpec:
    return SequenceSpec(vocab_size=len(vocabulary), max_length=target_length, bos_id=vocabulary.bos_id,
                        eos_id=vocabulary.eos_id, pad_id=vocabulary.pad_id,
                        banned_ids=(vocabulary.pad_id, vocabulary.bos_id))


def _encode_pairs(pairs, vocabulary: Vocabulary, source_length: int, target_length: int) -> np.ndarray:
    rows = np.full([len(pairs), source_length + target_length], vocabulary.pad_id, np.int32)
    for row, (source, target) in enumerate(pairs):
        rows[row, : len(source)] = vocabulary.encode(source)
        encoded = vocabulary.encode(target) + [vocabulary.eos_id]
        rows[row, source_length: source_length + len(encoded)] = encoded
    return rows


def _conditional_task(name, train_pairs, test_pairs, test_description, vocabulary, tokenizer,
                      source_length, target_length) -> ConditionalTask:
    """Packs the pairs (targets get eos: T = target_length + 1)."""
    spec = _spec(vocabulary, target_length + 1)
    return ConditionalTask(name, spec, _encode_pairs(train_pairs, vocabulary, source_length, spec.max_length),
                           _encode_pairs(test_pairs, vocabulary, source_length, spec.max_length), test_description,
                           vocabulary=vocabulary, tokenizer=tokenizer, source_length=source_length)


# --- the embedded default: a synthetic mapping with a known answer -------------------------------------

def mapping_task(kind: str, num_symbols: int, min_length: int, max_length: int, num_train: int, num_test: int,
                 seed: int) -> ConditionalTask:
    """Random symbol strings (lengths uniform in [min_length, max_length]) mapped to their copy or reversal.

    The answer is known, so accuracy and BLEU against the reference have a ceiling of 1.
    Held-out sources never occur in the training set.
    """
    if kind not in MAPPINGS:
        raise UsageError(f"--task={kind}: unknown mapping; expected one of {', '.join(MAPPINGS)}")
    if not 1 <= min_length <= max_length:
        raise UsageError(f"--mapping_min_length={min_length}, --mapping_max_length={max_length}: need "
                         "1 <= min <= max")
    rng = np.random.default_rng(seed)
    symbols = [f"s{i}" for i in range(num_symbols)]

    def draw(count, excluded=frozenset()):
        drawn, attempts = [], 0
        while len(drawn) < count:
            attempts += 1
            if attempts > 20 * count + 1000:
                raise UsageError(f"--mapping_num_train/--mapping_num_test: cannot draw {count} distinct held-out "
                                 "sources; raise --mapping_num_symbols or --mapping_max_length")
            source = tuple(rng.choice(symbols, size=rng.integers(min_length, max_length + 1)))
            if source in excluded:
                continue
            drawn.append(source)
        return drawn

    train_sources = draw(num_train)
    test_sources = draw(num_test, excluded=frozenset(train_sources))
    target_of = (lambda s: list(s)) if kind == "copy" else (lambda s: list(reversed(s)))
    vocabulary = Vocabulary.build([symbols])
    return _conditional_task(
        kind, [(list(s), target_of(s)) for s in train_sources], [(list(s), target_of(s)) for s in test_sources],
        f"{num_test:,} held-out sources ({kind} of {min_length}-{max_length} symbols of {num_symbols})",
        vocabulary, get_tokenizer("whitespace"), max_length, max_length)


# --- a TSV parallel corpus -----------------------------------------------------------------------------

def read_pairs(path: str, flag: str) -> list[tuple[str, str]]:
    """The `source<TAB>target` lines of `path` (blank lines skipped, tabs after the target ignored)."""
    pairs = []
    for number, line in corpus.read_numbered_lines(path, flag):
        fields = line.split("\t")
        while len(fields) > 2 and not fields[-1].strip():
            fields.pop()
        where = f"--{flag}={path}: line {number}"
        if len(fields) == 1:
            raise UsageError(f"{where} has no tab (expected 'source<TAB>target'): {line.strip()[:60]!r}")
        if len(fields) > 2:
            raise UsageError(f"{where} has {len(fields) - 1} tabs (expected one, 'source<TAB>target'): "
                             f"{line.strip()[:60]!r}")
        source, target = (field.strip() for field in fields)
        if not source:
            raise UsageError(f"{where} has an empty source (before the tab)")
        if not target:
            raise UsageError(f"{where} has an empty target (after the tab)")
        pairs.append((source, target))
    return pairs


def parallel_task(train_path: str, test_path: str | None, tokenizer: Tokenizer, min_count: int,
                  max_vocab_size: int, max_length: int, max_source_length: int, long_sentences: str,
                  heldout_fraction: float, split_seed: int, vocabulary: Vocabulary | None = None,
                  log=print) -> ConditionalTask:
    """A TSV corpus; the vocabulary is built from both sides of the training pairs.

    Without `test_path`, a seeded `heldout_fraction` of the training pairs is held out.
    `max_length` / `max_source_length` 0: the longest training target / source that is no outlier (`Limit`).
    """
    train = _tokenize_pairs(read_pairs(train_path, "train_data"), tokenizer)
    if test_path:
        test = _tokenize_pairs(read_pairs(test_path, "test_data"), tokenizer)
        test_description = f"test split {test_path}"
    else:
        train, test = heldout_split(train, heldout_fraction, split_seed, train_path, "pairs")
        num_heldout = len(test)
        test_description = f"held-out {heldout_fraction:.0%} of {train_path} ({num_heldout:,} pairs)"
    where = f"--train_data={train_path}"
    source_limit = Limit.of([len(s) for s, _ in train], max_source_length, "--max_source_length", where)
    target_limit = Limit.of([len(t) for _, t in train], max_length, "--max_length", where)
    train = _fit_pairs(train, source_limit, target_limit, long_sentences, where, log,
                       source_limit.outliers + target_limit.outliers)
    test = _fit_pairs(test, source_limit, target_limit, long_sentences,
                      f"--test_data={test_path}" if test_path else "the held-out split", log)
    max_source_length, max_length = source_limit.value, target_limit.value
    if vocabulary is None:
        vocabulary = Vocabulary.build([side for pair in train for side in pair], min_count=min_count,
                                      max_size=max_vocab_size)
        check_vocabulary(vocabulary, {"the sources": [s for s, _ in train], "the targets": [t for _, t in train]},
                         min_count, max_vocab_size, where)
    return _conditional_task("parallel", train, test, test_description, vocabulary, tokenizer, max_source_length,
                             max_length)


def _tokenize_pairs(pairs, tokenizer: Tokenizer) -> list[tuple[list[str], list[str]]]:
    sources = tokenizer.tokenize([s for s, _ in pairs])
    targets = tokenizer.tokenize([t for _, t in pairs])
    return list(zip(sources, targets))


def _fit_pairs(pairs, source_limit: Limit, target_limit: Limit, long_sentences, where, log, note=""):
    """Pairs whose source or target is too long are dropped or truncated (--long_sentences)."""
    max_source_length, max_length = source_limit.value, target_limit.value
    long = sum(len(s) > max_source_length or len(t) > max_length for s, t in pairs)
    if long == 0:
        return pairs
    limits = f"{source_limit} / {target_limit}"
    if long_sentences == "truncate":
        log(f"{where}: truncated {long:,} of {len(pairs):,} pairs to {limits}{note}")
        return [(s[:max_source_length], t[:max_length]) for s, t in pairs]
    if long == len(pairs):
        raise UsageError(f"{where}: every pair is longer than {limits} (raise them or pass "
                         "--long_sentences=truncate)")
    log(f"{where}: dropped {long:,} of {len(pairs):,} pairs longer than {limits}{note}")
    return [(s, t) for s, t in pairs if len(s) <= max_source_length and len(t) <= max_length]
