"""Fuzzing every file loader: random bytes, and random edits of a valid file, either load or raise a
`UsageError` (`ConfigError` is one) whose message is ONE line. Never any other exception (issue #16).

Loaders: a corpus text file (the whole corpus task: read, tokenize, split, fit, vocabulary), a TSV parallel
file (the parallel task), a vocabulary file (`Vocabulary.load`), a word-vectors file (`read_word_vectors`)
and a flagfile (`read_flagfile`, then the typed configs of its values).

Derandomized by default, so a CI run sees the same examples every time; `TFGAN_FUZZ_EXAMPLES=2000` draws
that many fresh random examples per loader instead (a search for new faults, not a CI setting).
"""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfgan_text.config import FIELD_OWNERS, read_flagfile
from tfgan_text.data.parallel import parallel_task
from tfgan_text.data.tasks import corpus_task
from tfgan_text.data.tokenizers import get_tokenizer
from tfgan_text.data.vocabulary import Vocabulary
from tfgan_text.data.word_vectors import read_word_vectors
from tfgan_text.errors import UsageError

EXAMPLES = int(os.environ.get("TFGAN_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXAMPLES or 60, deadline=None, database=None, derandomize=not EXAMPLES,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SENTENCES = ["the cat sat on the mat .", "a dog ran in the park !", "the man 's hat is red", "it was n't me",
             "two cats and a dog", "the park was green .", "a red hat", "the dog sat", "cats sat on mats",
             "is it a cat ?", "the mat was red", "dogs ran"]
VALID = {
    "corpus": "\n".join(SENTENCES).encode("utf-8") + b"\n",
    "tsv": "\n".join(f"{s}\t{' '.join(reversed(s.split()))}" for s in SENTENCES).encode("utf-8") + b"\n",
    "vocabulary": "\n".join(["<pad>", "<bos>", "<eos>", "<unk>", "the", "cat", "back\\\\slash", "new\\nline",
                             "caf\u00e9"]).encode("utf-8") + b"\n",
    "vectors": b"3 2\nthe 0.5 -1\ncat 1e-3 2\ndog 3 4.25\n",
    "flagfile": b"# a preset\n--method=seqgan\n--oracle_length=20\n--embedding_dim=32\n--learning_rate=0.01\n"
                b"--noxla\n--discriminator_filter_widths=1,2,3\n--discriminator_num_filters=4,5,6\n"
                b"--tokenizer=word\n--heldout_fraction=0.1\n--eval_bleu=true\n",
}
# Bytes that matter to these formats: separators, line breaks of every kind, bad UTF-8, numbers' edges.
INTERESTING = [b"\t", b"\n", b"\r", b"\r\n", b" ", b"", b"\x00", b"\xff", b"\xe9", b"\xef\xbb\xbf",
               "\u2028".encode(), "\x85".encode(), b"\x0b", b"\x1c", b"\\", b"\\n", b"=", b"-", b"--", b"#", b"<unk>",
               b"<pad>", b"nan", b"inf", b"-1", b"0", b"1e999", b"9" * 30, b"\xe2\x80", "\u00e9".encode(), b"no"]


def apply_edits(valid: bytes, edits) -> bytes:
    data = valid
    for kind, position, chunk in edits:
        position %= len(data) + 1
        if kind == "insert":
            data = data[:position] + chunk + data[position:]
        elif kind == "replace":
            data = data[:position] + chunk + data[position + len(chunk):]
        elif kind == "delete":
            data = data[:position] + data[position + len(chunk):]
        elif kind == "duplicate":
            data = data[:position] + data[position:position + 40] * 3 + data[position:]
        else:  # truncate
            data = data[:position]
    return data


def files(valid: bytes):
    """Random bytes, or `valid` with a few random edits."""
    chunk = st.one_of(st.sampled_from(INTERESTING), st.binary(min_size=1, max_size=6),
                      st.text(min_size=1, max_size=4).map(lambda t: t.encode("utf-8", "surrogatepass")))
    edit = st.tuples(st.sampled_from(["insert", "replace", "delete", "duplicate", "truncate"]),
                     st.integers(min_value=0, max_value=10_000), chunk)
    return st.one_of(st.binary(max_size=600),
                     st.lists(edit, min_size=1, max_size=6).map(lambda edits: apply_edits(valid, edits)))


def load_or_usage_error(load, content: bytes, suffix: str):
    """`load(path)` of a file holding `content`: its result, or None after a one-line UsageError."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "input" + suffix)
        with open(path, "wb") as f:
            f.write(content)
        try:
            return load(path)
        except UsageError as e:
            message = str(e)
            assert message and len(message.splitlines()) == 1 and "\r" not in message, repr(message)
            return None


def quiet(*_):
    pass


@FUZZ
@given(content=files(VALID["corpus"]), tokenizer=st.sampled_from(["word", "whitespace", "char"]))
def test_corpus_file(content, tokenizer):
    task = load_or_usage_error(lambda path: corpus_task(
        path, None, get_tokenizer(tokenizer), 1, 0, 0, "drop", 0.25, 0, log=quiet), content, ".txt")
    if task is not None:
        assert task.train.ndim == 2 and len(task.train) >= 1 and task.train.shape[1] == task.spec.max_length
        assert task.train.max() < task.spec.vocab_size


@FUZZ
@given(content=files(VALID["tsv"]), tokenizer=st.sampled_from(["word", "whitespace"]))
def test_tsv_parallel_file(content, tokenizer):
    task = load_or_usage_error(lambda path: parallel_task(
        path, None, get_tokenizer(tokenizer), 1, 0, 0, 0, "drop", 0.25, 0, log=quiet), content, ".tsv")
    if task is not None:
        assert task.train.shape[1] == task.source_length + task.spec.max_length


@FUZZ
@given(content=files(VALID["vocabulary"]))
def test_vocabulary_file(content):
    vocabulary = load_or_usage_error(Vocabulary.load, content, ".txt")
    if vocabulary is not None:
        assert vocabulary.tokens[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]


@FUZZ
@given(content=files(VALID["vectors"]))
def test_word_vectors_file(content):
    loaded = load_or_usage_error(lambda path: read_word_vectors(path, ["<pad>", "the", "cat", "bird"], seed=0),
                                 content, ".txt")
    if loaded is not None:
        matrix, _ = loaded
        assert matrix.shape[0] == 4 and np.all(np.isfinite(matrix))


def typed_configs(path):
    """The values of the flagfile at `path` as the typed configs that declare them (each checks its bounds)."""
    method, values = read_flagfile(path)
    owners = {}
    for name, value in values.items():
        owners.setdefault(FIELD_OWNERS[name], {})[name] = value
    return method, [owner.from_dict(fields, source=path) for owner, fields in owners.items()]


@FUZZ
@given(content=files(VALID["flagfile"]))
def test_flagfile(content):
    loaded = load_or_usage_error(typed_configs, content, ".cfg")
    if loaded is not None:
        for config in loaded[1]:
            for name, value in config.to_dict().items():
                assert not isinstance(value, float) or np.isfinite(value), (name, value)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_the_valid_files_load(kind, tmp_path):
    """The edits start from files that load (else the fuzz would only test the first error)."""
    path = tmp_path / f"valid-{kind}"
    path.write_bytes(VALID[kind])
    load = {"corpus": lambda p: corpus_task(p, None, get_tokenizer("word"), 1, 0, 0, "drop", 0.25, 0, log=quiet),
            "tsv": lambda p: parallel_task(p, None, get_tokenizer("word"), 1, 0, 0, 0, "drop", 0.25, 0, log=quiet),
            "vocabulary": Vocabulary.load,
            "vectors": lambda p: read_word_vectors(p, ["the", "cat"], seed=0),
            "flagfile": typed_configs}[kind]
    assert load(str(path)) is not None
