"""Per-example randomness: on one device the helpers are TensorFlow's own draws; tokens follow the distribution."""
import numpy as np
import pytest
import tensorflow as tf

from tfgan_text import replicas
from tfgan_text.sampling import SequenceSpec, draw_tokens, token_distribution


def test_one_device_draws_are_tensorflows_own():
    seed = tf.constant([4, 2])
    assert np.array_equal(replicas.uniform([5, 3], seed), tf.random.stateless_uniform([5, 3], seed))
    assert np.array_equal(replicas.normal([5, 3], seed), tf.random.stateless_normal([5, 3], seed))
    x = tf.random.normal([6, 7])
    assert np.array_equal(replicas.dropout(x, 0.3, seed), tf.nn.experimental.stateless_dropout(x, 0.3, seed))


def test_rows_of_a_larger_set_are_its_rows():
    """A replica's share of a global set of `total` rows is those rows of the global draw (padding repeats)."""
    seed = tf.constant([1, 9])
    everything = tf.random.stateless_uniform([7, 2], seed)
    share = replicas.take_rows(everything, tf.constant(4), tf.constant(4))  # rows 4..7 of 7: the last repeats
    assert np.array_equal(share, tf.gather(everything, [4, 5, 6, 6]))
    assert np.array_equal(replicas.uniform([7, 2], seed, total=7), everything)


@pytest.mark.parametrize("vocab_size", [6, 200])  # one block of the two-level search, and several
def test_inverse_cdf_tokens_follow_the_distribution_and_never_a_banned_id(vocab_size):
    spec = SequenceSpec(vocab_size=vocab_size, max_length=1, bos_id=1, pad_id=0, banned_ids=(0, 1, vocab_size - 1))
    logits = tf.random.stateless_normal([1, vocab_size], [2, 2]) * 2.0
    distribution = token_distribution(tf.repeat(logits, 200_000, axis=0), spec)
    tokens = draw_tokens(distribution, tf.random.stateless_uniform([200_000], [3, 3], dtype=tf.float64)).numpy()
    frequencies = np.bincount(tokens, minlength=vocab_size) / len(tokens)
    expected = distribution.probs_parameter()[0].numpy()
    assert frequencies[0] == frequencies[1] == frequencies[-1] == 0.0
    assert np.abs(frequencies - expected).max() < 0.005, (frequencies, expected)


def test_inverse_cdf_at_the_top_of_the_unit_interval_stays_on_possible_tokens():
    """u * total may round up to the total: the draw must stay on the last token with probability > 0."""
    spec = SequenceSpec(vocab_size=5, max_length=1, bos_id=4, pad_id=3, banned_ids=(3, 4))  # the last two banned
    distribution = token_distribution(tf.constant([[1.0, 2.0, 3.0, 0.0, 0.0]] * 3), spec)
    top = np.nextafter(1.0, 0.0)
    tokens = draw_tokens(distribution, tf.constant([0.0, top, 1.0], tf.float64)).numpy()
    assert tokens[0] == 0 and tokens[1] == 2 and tokens[2] == 2


def test_top_k_draws_stay_in_the_top_k():
    spec = SequenceSpec(vocab_size=50, max_length=1, bos_id=0)
    logits = tf.random.stateless_normal([1000, 50], [5, 5])
    tokens = draw_tokens(token_distribution(logits, spec, top_k=3),
                         tf.random.stateless_uniform([1000], [6, 6], dtype=tf.float64))
    top3 = tf.math.top_k(logits, 3).indices
    assert bool(tf.reduce_all(tf.reduce_any(tf.equal(top3, tokens[:, None]), axis=1)))
