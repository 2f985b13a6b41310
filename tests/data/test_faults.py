"""Issue #16, the data layer: every fault of a corpus, TSV or vectors file is ONE line naming the flag or file."""
import numpy as np
import pytest

from tfgan_text import config as config_module
from tfgan_text import main
from tfgan_text.config import ConfigError, TaskConfig
from tfgan_text.data import word_vectors
from tfgan_text.data.word_vectors import read_word_vectors
from tfgan_text.errors import UsageError
from tests.data.builders import build_corpus, build_parallel, write

NORMAL = [f"the {animal} number {i} sat on the mat ." for i, animal in enumerate(["cat", "dog", "cow", "owl", "fox"]
                                                                                  * 10)]  # 50 lines of 9 words
HUGE = " ".join(["word"] * 200_000)  # one line of 1 MB


def one_line(error) -> str:
    message = str(error.value)
    assert message and len(message.splitlines()) == 1, message
    return message


# --- 1. one huge line must not set the length ---------------------------------------------------------------

@pytest.mark.parametrize("long_sentences, kept", [("drop", 50), ("truncate", 51)])
def test_one_huge_line_is_left_out_of_the_default_length_and_counted_in_the_log(tmp_path, long_sentences, kept):
    path = write(tmp_path, "train.txt", NORMAL[:25] + [HUGE] + NORMAL[25:])
    test = write(tmp_path, "test.txt", NORMAL[:5])
    messages = []
    task = build_corpus(path, test_path=test, long_sentences=long_sentences, log=messages.append)
    assert task.spec.max_length == 10  # 9 words + eos, not 200,001
    assert task.train.shape == (kept, 10)
    log = "\n".join(messages)
    assert f"{'dropped' if long_sentences == 'drop' else 'truncated'} 1 of 51 lines" in log
    assert "1 outlier" in log and "200,000 tokens" in log


def test_ordinary_long_tails_keep_the_longest_line(tmp_path):
    """Only extreme outliers are left out: a line 3x the others, or any line of a tiny corpus, still counts."""
    lines = NORMAL + [" ".join(["w"] * 27)]
    task = build_corpus(write(tmp_path, "train.txt", lines), test_path=write(tmp_path, "test.txt", NORMAL[:3]))
    assert task.spec.max_length == 28 and len(task.train) == 51
    task = build_corpus(write(tmp_path, "tiny.txt", ["a", "a b c d e f g h i j k l"]), test_path=write(
        tmp_path, "t.txt", ["a"]))
    assert task.spec.max_length == 13


def test_one_huge_target_or_source_of_a_tsv_is_left_out(tmp_path):
    pairs = [f"{line}\t{line[::-1]}" for line in NORMAL]
    path = write(tmp_path, "train.tsv", pairs[:10] + [f"short\t{HUGE}", f"{HUGE}\tshort"] + pairs[10:])
    messages = []
    task = build_parallel(path, test_path=write(tmp_path, "test.tsv", pairs[:4]), log=messages.append)
    assert task.source_length < 20 and task.spec.max_length < 20
    assert len(task.train) == 50 and "dropped 2 of 52 pairs" in "\n".join(messages)


@pytest.mark.parametrize("field", ["max_length", "max_source_length"])
def test_length_flags_have_an_upper_bound(field):
    limit = config_module.MAX_SEQUENCE_LENGTH
    with pytest.raises(ConfigError, match=f"^{field}={limit + 1}: must be at most"):
        TaskConfig(**{field: limit + 1})
    TaskConfig(**{field: limit})


def test_a_corpus_of_only_very_long_lines_is_refused_naming_max_length(tmp_path):
    path = write(tmp_path, "train.txt", [" ".join(["w"] * (config_module.MAX_SEQUENCE_LENGTH + 10))] * 4)
    with pytest.raises(UsageError) as error:
        build_corpus(path, heldout_fraction=0.25)
    message = one_line(error)
    assert message.startswith(f"--train_data={path}: ") and "--max_length" in message
    task = build_corpus(path, heldout_fraction=0.25, max_length=16, long_sentences="truncate")
    assert task.spec.max_length == 17


def test_the_cli_refuses_an_untrainable_length_in_one_line_and_writes_nothing(tmp_path, capsys):
    path = write(tmp_path, "train.txt", [" ".join(["w"] * (config_module.MAX_SEQUENCE_LENGTH + 10))] * 4)
    logdir = tmp_path / "run"
    assert main.run(["x", f"--train_data={path}", "--heldout_fraction=0.25", f"--logdir={logdir}", "--steps=1"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "--max_length" in error[0] and f"--train_data={path}" in error[0]
    assert not logdir.exists()


# --- 2. a corpus of unknown words ------------------------------------------------------------------------

UNIQUE = [" ".join(f"w{i}x{j}" for j in range(6)) for i in range(40)]  # every word once


def test_a_vocabulary_with_no_real_token_is_refused_naming_min_count(tmp_path):
    with pytest.raises(UsageError) as error:
        build_corpus(write(tmp_path, "train.txt", UNIQUE), min_count=2)
    message = one_line(error)
    assert message.startswith("--min_count=2: ") and "train.txt" in message


def test_a_training_set_mostly_unknown_is_refused(tmp_path):
    lines = [line + " common" for line in UNIQUE]  # 1 known token in 7: 86% <unk>, accepted
    build_corpus(write(tmp_path, "ok.txt", lines), min_count=2)
    lines = [line + " w0x0 w0x1" for line in UNIQUE[:8]] + UNIQUE[8:]  # 2 known words, 93% of tokens <unk>
    with pytest.raises(UsageError) as error:
        build_corpus(write(tmp_path, "train.txt", lines), min_count=2, test_path=write(tmp_path, "t.txt", ["a"]))
    message = one_line(error)
    assert message.startswith("--min_count=2: ") and "<unk>" in message and "%" in message


def test_a_vocabulary_cut_to_nothing_is_refused_naming_max_vocab_size(tmp_path):
    with pytest.raises(UsageError) as error:
        build_corpus(write(tmp_path, "train.txt", NORMAL), max_vocab_size=4)
    assert one_line(error).startswith("--max_vocab_size=4: ")


@pytest.mark.parametrize("side", ["source", "target"])
def test_a_tsv_of_unknown_words_is_refused(tmp_path, side):
    pairs = [f"{line}\tthe cat sat" if side == "source" else f"the cat sat\t{line}" for line in UNIQUE]
    with pytest.raises(UsageError) as error:
        build_parallel(write(tmp_path, "train.tsv", pairs), min_count=2)
    message = one_line(error)
    assert message.startswith("--min_count=2: ") and f"{side}s" in message and "train.tsv" in message
    with pytest.raises(UsageError) as error:
        build_parallel(write(tmp_path, "train.tsv", [f"{x}\t{x.replace('w', 'v')}" for x in UNIQUE]), min_count=2)
    assert one_line(error).startswith("--min_count=2: ")


# --- 3. the embeddings file ------------------------------------------------------------------------------

def test_an_embeddings_file_that_is_not_utf8_is_one_line_naming_the_line(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_bytes(b"a 1 2\nb\xe9 3 4\n")
    with pytest.raises(UsageError) as error:
        read_word_vectors(str(path), ["a", "b"], seed=0)
    assert one_line(error) == f"--embeddings_file={path}: line 2 is not valid UTF-8 (byte 1: b'\\xe9')"


def test_a_header_whose_dimension_differs_from_the_vectors_is_refused(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("2 300\na 1 2\nb 3 4\n", encoding="utf-8")
    with pytest.raises(UsageError) as error:
        read_word_vectors(str(path), ["a", "b"], seed=0)
    assert one_line(error) == (f"--embeddings_file={path}: line 2 has 2 values, but the header (line 1) "
                               "declares 300")
    path.write_text("2 2\na 1 2\nb 3 4\n", encoding="utf-8")
    matrix, _ = read_word_vectors(str(path), ["a", "b"], seed=0)
    np.testing.assert_array_equal(matrix, [[1, 2], [3, 4]])


def test_vectors_of_an_absurd_dimension_are_refused_before_a_table_is_made(tmp_path):
    """A file whose line breaks were lost reads as one vector of a million values: V x 1e6 floats would
    exhaust memory. The limit is far above any published word vectors (300-d; 1,024-d contextual ones)."""
    path = tmp_path / "vectors.txt"
    path.write_text("a " + " ".join(["0.5"] * 5000) + "\n", encoding="utf-8")
    with pytest.raises(UsageError) as error:
        read_word_vectors(str(path), ["a", "b"], seed=0)
    assert one_line(error) == (f"--embeddings_file={path}: line 1 has 5,000 values, more than the "
                               f"{word_vectors.MAX_VECTOR_DIM:,} of any word vectors (lost line breaks?)")


# --- 4. empty TSV fields ---------------------------------------------------------------------------------

@pytest.mark.parametrize("line, message", [
    ("source only\t", "line 3 has an empty target (after the tab)"),
    ("\ttarget only", "line 3 has an empty source (before the tab)"),
    ("no tab here", "line 3 has no tab (expected 'source<TAB>target'): 'no tab here'"),
    ("a\tb\tc", "line 3 has 2 tabs (expected one, 'source<TAB>target'): 'a\\tb\\tc'"),
])
def test_an_empty_tsv_field_is_named_with_the_file_and_line(tmp_path, line, message):
    path = write(tmp_path, "train.tsv", ["fine\tpair", "", line, "more\tpairs"])
    with pytest.raises(UsageError) as error:
        build_parallel(path)
    assert one_line(error) == f"--train_data={path}: {message}"


def test_trailing_tabs_after_a_target_are_ignored(tmp_path):
    path = write(tmp_path, "train.tsv", ["a b\tc d\t", "e\tf\t\t"] * 4)
    task = build_parallel(path)
    assert {task.decode(row[task.source_length:]) for row in task.train} <= {"c d", "f"}


# --- 5. what the fuzz of tests/test_fuzz_loaders.py found ------------------------------------------------

def test_a_vocabulary_file_that_is_not_one_is_a_one_line_error_naming_it(tmp_path):
    from tfgan_text.data.vocabulary import Vocabulary
    path = tmp_path / "vocab.txt"
    for content, reason in [(b"", "its first lines must be <pad>, <bos>, <eos>, <unk>"),
                            (b"<pad>\n<bos>\n<eos>\n<unk>\na\n<bos>\n", "line 6 repeats the token '<bos>' of line 2"),
                            (b"<pad>\n<bos>\n<eos>\n<unk>\n\x80\n", "line 5 is not valid UTF-8")]:
        path.write_bytes(content)
        with pytest.raises(UsageError) as error:
            Vocabulary.load(str(path))
        assert one_line(error) == f"{path}: not a vocabulary ({reason})"


@pytest.mark.parametrize("field, value", [("learning_rate", float("nan")), ("heldout_fraction", float("nan")),
                                          ("learning_rate", float("inf")),
                                          pytest.param("learning_rate", 10**400, id="learning_rate-10**400")])
def test_a_float_flag_that_is_not_finite_is_refused(field, value):
    """--heldout_fraction=nan passed the bounds (NaN compares false) and crashed the held-out split."""
    from tfgan_text.config import MethodConfig
    with pytest.raises(ConfigError, match=f"^{field}=(nan|inf): expected a finite number$"):
        MethodConfig(**{field: value})


@pytest.mark.parametrize("field", ["seed", "oracle_seed", "oracle_data_seed"])
def test_seeds_are_bounded(field, tmp_path):
    """--seed=-1 crashed the held-out split (numpy refuses negative seeds), --oracle_seed=-1 the random oracle."""
    from tfgan_text.config import MethodConfig
    with pytest.raises(ConfigError, match=f"^{field}=-1: must be at least 0$"):
        MethodConfig(**{field: -1})
    with pytest.raises(ConfigError, match=f"^{field}={2**31}: must be at most"):
        MethodConfig(**{field: 2**31})
    MethodConfig(**{field: 2**31 - 1})
