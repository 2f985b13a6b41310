import numpy as np
import pytest

from tfgan_text.data.parallel import mapping_task
from tfgan_text.errors import UsageError
from tests.data.builders import build_parallel, write


@pytest.mark.parametrize("kind", ["copy", "reverse"])
def test_mapping_task_pairs_sources_with_their_known_answer(kind):
    task = mapping_task(kind, num_symbols=6, min_length=2, max_length=5, num_train=300, num_test=40, seed=3)
    assert task.conditional and task.source_length == 5 and task.spec.max_length == 6
    assert task.train.shape == (300, 11) and task.test.shape == (40, 11)
    sources, targets = task.split(task.train)
    for source, target in zip(sources, targets):
        words = task.vocabulary.decode(source)
        assert 2 <= len(words) <= 5
        assert task.vocabulary.decode(target) == (words if kind == "copy" else words[::-1])
        assert target[len(words)] == task.vocabulary.eos_id  # eos ends every target
    train_sources = {row.tobytes() for row in sources}
    assert not any(row.tobytes() in train_sources for row in task.split(task.test)[0])  # held out
    np.testing.assert_array_equal(task.pack(sources, targets).numpy(), task.train)
    assert task.train_targets.shape == (300, 6)


def test_tsv_corpus_vocabulary_from_both_sides_and_references(tmp_path):
    lines = ["hello there\tgeneral kenobi", "good morning\tbonjour !", "hello there\tsalut"] * 2 + ["a b\tc d"] * 2
    test = write(tmp_path, "test.tsv", ["hello there\tgeneral kenobi", "hello there\tsalut", "a b\tc"])
    task = build_parallel(write(tmp_path, "train.tsv", lines), test_path=test)
    for word in ("hello", "kenobi", "bonjour", "!"):
        assert word in task.vocabulary.tokens
    sources, references = task.references(task.test)
    assert [task.decode_source(s) for s in sources] == ["hello there", "a b"]
    assert references == [[["general", "kenobi"], ["salut"]], [["c"]]]  # both targets of a repeated source


@pytest.mark.parametrize("line, message", [
    ("no tab here", "line 2 has no tab \\(expected 'source<TAB>target'\\)"),
    ("a\tb\tc", "line 2 has 2 tabs \\(expected one, 'source<TAB>target'\\)"),
    ("\tonly target", "line 2 has an empty source"),
])
def test_malformed_tsv_lines_name_the_file_and_line(tmp_path, line, message):
    path = write(tmp_path, "train.tsv", ["fine\tpair", line])
    with pytest.raises(UsageError, match=f"--train_data=.*train.tsv: {message}"):
        build_parallel(path)


def test_long_pairs_are_dropped_or_truncated(tmp_path):
    path = write(tmp_path, "train.tsv", ["a b c d\tx", "a\tx y z w", "a b\tx y", "b\ty"])
    messages = []
    task = build_parallel(path, test_path=path, max_length=2, max_source_length=2, log=messages.append)
    assert len(task.train) == 2 and "dropped 2 of 4 pairs" in messages[0]
    task = build_parallel(path, test_path=path, max_length=2, max_source_length=2, long_sentences="truncate",
                 log=messages.append)
    assert len(task.train) == 4 and task.decode_source(task.split(task.train)[0][0]) == "a b"


def test_target_scorer_packs_each_answer_with_its_own_source():
    task = mapping_task("copy", num_symbols=6, min_length=2, max_length=4, num_train=10, num_test=2, seed=0)
    rows = task.train[:3]
    answers = np.repeat(task.split(rows)[1], 2, axis=0)  # two answers per source, in source order
    packed = task.target_scorer(lambda r: r, rows)(answers).numpy()
    np.testing.assert_array_equal(packed, np.repeat(rows, 2, axis=0))
