"""Reading and writing GloVe-format word vectors."""
import numpy as np
import pytest

from tfgan_text.data.word_vectors import read_word_vectors, write_word_vectors
from tfgan_text.errors import UsageError


def test_vectors_are_placed_in_vocabulary_order_and_missing_words_get_seeded_random_vectors(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("dog 1 2\ncat 3 4\nbird 5 6\ncat 9 9\n", encoding="utf-8")  # a repeat: the first one counts
    words = ["<pad>", "cat", "fish", "dog"]
    matrix, missing = read_word_vectors(str(path), words, seed=3)
    np.testing.assert_array_equal(matrix[[1, 3]], [[3, 4], [1, 2]])
    assert missing == ["<pad>", "fish"]
    again, _ = read_word_vectors(str(path), words, seed=3)
    np.testing.assert_array_equal(matrix, again)
    other, _ = read_word_vectors(str(path), words, seed=4)
    assert not np.array_equal(matrix[2], other[2])


def test_written_vectors_read_back_and_words_with_spaces_are_skipped(tmp_path):
    path = tmp_path / "out" / "v.txt"
    vectors = np.array([[0.5, -1.25], [2.0, 3.0], [7.0, 8.0]], np.float32)
    assert write_word_vectors(str(path), ["a", " ", "b"], vectors) == 2
    matrix, missing = read_word_vectors(str(path), ["a", "b", "c"], seed=0)
    np.testing.assert_allclose(matrix[:2], vectors[[0, 2]])
    assert missing == ["c"]


@pytest.mark.parametrize("text, message", [
    ("", "the file holds no vectors"),
    ("a 1 2\nb 1\n", "line 2 has 1 values, the first vector has 2"),
    ("a 1 x\n", "line 1 has a value that is not a number"),
    ("a 1 nan\n", "line 1 has a value that is not finite"),
    ("zz 1 2\n", "none of the task's 2 words is in the file (was it made for another corpus or tokenizer?)"),
    ("a\n", "line 1 is not `word v1 ... vd`"),
])
def test_bad_vector_files_are_one_line_errors_naming_the_flag(tmp_path, text, message):
    path = tmp_path / "v.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as error:
        read_word_vectors(str(path), ["a", "b"], seed=0)
    assert str(error.value) == f"--embeddings_file={path}: {message}"
    with pytest.raises(UsageError, match="no such file"):
        read_word_vectors(str(tmp_path / "absent.txt"), ["a"], seed=0)
