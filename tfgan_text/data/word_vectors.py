"""Pre-trained word vectors in the common GloVe text format: `word v1 ... vd`, one word per line.

ScratchGAN feeds fixed pre-trained vectors to G and D beside their trainable
embeddings. `read_word_vectors` turns a vectors file into a [V, d] matrix in
the task's id order; words the file lacks get a seeded random vector (drawn
with the spread of the file's own vectors) and are reported, since a table
that is mostly random carries no prior at all.
"""
from __future__ import annotations

import os
import re
from typing import Sequence

import numpy as np

from tfgan_text.errors import UsageError


def task_words(task) -> list[str]:
    """The word of every id: the vocabulary's tokens, or the id itself on the oracle task."""
    if task.vocabulary is not None:
        return list(task.vocabulary.tokens)
    return [str(i) for i in range(task.spec.vocab_size)]


# Far above any published word vectors (GloVe and word2vec 300-d, contextual ones 1,024-d): a file whose
# line breaks were lost reads as one vector of millions of values, and a [V, d] table of it exhausts memory.
MAX_VECTOR_DIM = 4096
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # the bytes that are not UTF-8, as errors="surrogateescape" keeps them


def read_word_vectors(path: str, words: Sequence[str], seed: int,
                      flag: str = "--embeddings_file") -> tuple[np.ndarray, list[str]]:
    """(matrix [len(words), d] float32, the words missing from the file)."""
    if not os.path.isfile(path):
        raise UsageError(f"{flag}={path}: no such file (make one with `python -m tfgan_text.glove`)")
    where = f"{flag}={path}"
    wanted = {word: index for index, word in enumerate(words)}
    found: dict[int, np.ndarray] = {}
    dim = header_dim = None
    for line_number, line in _text_lines(path, where):
        parts = line.rstrip("\n").rstrip(" ").split(" ")
        if len(parts) == 2 and line_number == 1 and all(p.isdecimal() for p in parts):
            header_dim = int(parts[1])  # a word2vec-style "count dim" header
            continue
        if len(parts) < 2:
            raise UsageError(f"{where}: line {line_number} is not `word v1 ... vd`")
        if dim is None:
            dim = len(parts) - 1
            if dim > MAX_VECTOR_DIM:
                raise UsageError(f"{where}: line {line_number} has {dim:,} values, more than the "
                                 f"{MAX_VECTOR_DIM:,} of any word vectors (lost line breaks?)")
        if header_dim is not None and len(parts) - 1 != header_dim:
            raise UsageError(f"{where}: line {line_number} has {len(parts) - 1} values, but the header "
                             f"(line 1) declares {header_dim}")
        if len(parts) - 1 != dim:
            raise UsageError(f"{where}: line {line_number} has {len(parts) - 1} values, the first vector has {dim}")
        index = wanted.get(parts[0])
        if index is None or index in found:
            continue
        try:
            found[index] = np.asarray(parts[1:], dtype=np.float32)
        except ValueError:
            raise UsageError(f"{where}: line {line_number} has a value that is not a number") from None
        if not np.all(np.isfinite(found[index])):
            raise UsageError(f"{where}: line {line_number} has a value that is not finite")
    if dim is None:
        raise UsageError(f"{where}: the file holds no vectors")
    if not found:
        raise UsageError(f"{where}: none of the task's {len(words):,} words is in the file "
                         "(was it made for another corpus or tokenizer?)")
    known = np.stack(list(found.values()))
    rng = np.random.default_rng(seed)
    matrix = rng.normal(known.mean(axis=0), known.std(axis=0) + 1e-6, size=(len(words), dim)).astype(np.float32)
    for index, vector in found.items():
        matrix[index] = vector
    missing = [word for index, word in enumerate(words) if index not in found]
    return matrix, missing


def word_vector_dim(path: str, flag: str = "--embeddings_file") -> int:
    """d of the `word v1 ... vd` vectors in `path` (its header's, else its first vector's), read from the
    first lines only: a run keeps it, so that resuming with another file of other vectors is refused."""
    where = f"{flag}={path}"
    for line_number, line in _text_lines(path, where):
        parts = line.rstrip("\n").rstrip(" ").split(" ")
        if len(parts) == 2 and line_number == 1 and all(p.isdecimal() for p in parts):
            return int(parts[1])
        if len(parts) >= 2:
            return len(parts) - 1
    raise UsageError(f"{where}: the file holds no vectors")


def _text_lines(path: str, where: str):
    """(number, text) of each line of `path`, read lazily (vectors files run to gigabytes); a line that is
    not UTF-8 is an error naming it."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            for number, line in enumerate(f, 1):
                bad = _NOT_UTF8.search(line)
                if bad:
                    offset = len(line[:bad.start()].encode("utf-8", "surrogateescape"))
                    raise UsageError(f"{where}: line {number} is not valid UTF-8 (byte {offset}: "
                                     f"{line[bad.start()].encode('utf-8', 'surrogateescape')!r})")
                yield number, line.lstrip("\ufeff") if number == 1 else line
    except OSError as e:
        raise UsageError(f"{where}: cannot read it ({e.strerror or e.__class__.__name__})") from None


def write_word_vectors(path: str, words: Sequence[str], vectors: np.ndarray) -> int:
    """Writes `word v1 ... vd` lines atomically; skips words with whitespace (the format cannot hold them).

    Returns the number of words written.
    """
    written = 0
    temporary = f"{path}.tmp-{os.getpid()}"
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    try:
        with open(temporary, "w", encoding="utf-8") as f:
            for word, vector in zip(words, vectors):
                if not word or any(ch.isspace() for ch in word):
                    continue
                f.write(word + " " + " ".join(f"{v:.6g}" for v in vector) + "\n")
                written += 1
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return written
