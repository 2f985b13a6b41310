"""The GloVe tool: co-occurrence counts, the weighted least-squares fit, the command line."""
import numpy as np
import tensorflow as tf

from tests.conftest import TINY_FLAGS
from tfgan_text import glove
from tfgan_text.models.glove import cooccurrences, glove_loss, train_glove
from tfgan_text.data.word_vectors import read_word_vectors


def test_cooccurrences_are_symmetric_weighted_by_inverse_distance_and_stop_at_eos():
    sequences = np.array([[4, 5, 6, 2, 0], [5, 4, 2, 0, 0]])
    rows, cols, counts = cooccurrences(sequences, window=2, pad_id=0, eos_id=2)
    table = {(int(r), int(c)): float(x) for r, c, x in zip(rows, cols, counts)}
    assert table[(4, 5)] == table[(5, 4)] == 2.0  # adjacent in both sentences
    assert table[(4, 6)] == 0.5  # distance 2
    assert table[(6, 2)] == 1.0 and table[(5, 2)] == 0.5 + 0.5  # eos is a word (distance 2 in both); pad is not
    assert (2, 4) in table and table[(2, 4)] == 1.0  # second sentence: "4 2" adjacent
    assert all(0 not in pair for pair in table)


def test_glove_fit_recovers_log_counts_of_a_low_rank_cooccurrence_matrix():
    rng = np.random.default_rng(0)
    true = rng.normal(size=(12, 3))
    log_counts = true @ true.T * 0.3 + 2.0
    rows, cols = np.nonzero(np.ones((12, 12)))
    counts = np.exp(log_counts[rows, cols])
    before = float(glove_loss(tf.zeros([12, 4]), tf.zeros([12, 4]), tf.zeros([12]), tf.zeros([12]),
                                    rows, cols, counts, 100.0, 0.75))
    vectors = train_glove(rows, cols, counts, 12, 4, epochs=300, seed=0, batch_size=144, learning_rate=0.1,
                                log=lambda message: None)
    assert vectors.shape == (12, 4)
    # Words with similar true vectors end up with similar fitted vectors.
    fitted = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    truth = true / np.linalg.norm(true, axis=1, keepdims=True)
    assert np.corrcoef((fitted @ fitted.T).ravel(), (truth @ truth.T).ravel())[0, 1] > 0.5
    assert before > 0


def test_command_line_writes_a_vectors_file_for_every_word_of_the_task(tmp_path):
    out = tmp_path / "vectors.txt"
    argv = ["x"] + TINY_FLAGS + [f"--vectors_output={out}", "--vectors_dim=5", "--vectors_epochs=2"]
    assert glove.run(argv) == 0
    matrix, missing = read_word_vectors(str(out), [str(i) for i in range(40)], seed=0)
    assert matrix.shape == (40, 5) and len(missing) < 5  # oracle ids that never occur have no vector


def test_command_line_without_an_output_is_a_usage_error(tmp_path, capsys):
    assert glove.run(["x"] + TINY_FLAGS) == 2
    assert "--vectors_output: required" in capsys.readouterr().err
