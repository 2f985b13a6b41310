import numpy as np
import pytest

from tfgan_text.errors import UsageError
from tests.data.builders import build_corpus, write


def test_heldout_split_encoding_and_eos(tmp_path):
    lines = [f"sentence number {w} ." for w in "abababab"]
    task = build_corpus(write(tmp_path, "train.txt", lines))
    assert task.train.shape == (6, 5) and task.test.shape == (2, 5)  # 4 words + eos
    assert "held-out 25%" in task.test_description
    assert (task.train[:, -1] == task.vocabulary.eos_id).all()
    decoded = sorted(task.decode(row) for row in np.concatenate([task.train, task.test]))
    assert decoded == sorted(lines)
    assert task.spec.banned_ids == (task.vocabulary.pad_id, task.vocabulary.bos_id)


def test_long_sentences_are_dropped_or_truncated_and_counted(tmp_path):
    path = write(tmp_path, "train.txt", ["a b c d e", "a b", "c d", "a"])
    messages = []
    task = build_corpus(path, max_length=3, heldout_fraction=0.25, log=messages.append)
    assert task.train.shape[1] == 4 and "dropped 1 of" in " ".join(messages)
    messages.clear()
    test = tmp_path / "test.txt"
    test.write_text("a b c d e\n")
    task = build_corpus(path, test_path=str(test), max_length=3, long_sentences="truncate", log=messages.append)
    assert "truncated 1 of 4" in messages[0] and task.decode(task.test[0]) == "a b c"


def test_every_line_too_long_is_an_error(tmp_path):
    path = write(tmp_path, "train.txt", ["a b c d", "a b c d e"])
    with pytest.raises(UsageError, match="every line is longer than --max_length=2"):
        build_corpus(path, max_length=2, test_path=path)
