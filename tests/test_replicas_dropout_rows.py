"""`replicas.dropout_rows`: dropout of chosen rows of a larger batch, as one device drops that batch out."""
import numpy as np
import tensorflow as tf

from tfgan_text import replicas


def test_all_rows_in_order_are_tensorflows_own_dropout():
    x, seed = tf.random.normal([6, 7]), tf.constant([4, 2])
    assert np.array_equal(replicas.dropout_rows(x, 0.3, seed, tf.range(6), 6),
                          tf.nn.experimental.stateless_dropout(x, 0.3, seed))


def test_chosen_rows_get_the_masks_of_those_rows_of_the_whole_batch():
    """A replica's share of a batch beside rows every replica holds (RankGAN's references), in any order."""
    whole, seed = tf.random.normal([10, 5]), tf.constant([7, 1])
    expected = tf.nn.experimental.stateless_dropout(whole, 0.5, seed)
    rows = tf.constant([3, 4, 8, 9, 0])
    dropped = replicas.dropout_rows(tf.gather(whole, rows), 0.5, seed, rows, 10)
    assert np.array_equal(dropped, tf.gather(expected, rows))
    assert 0 < int(tf.math.count_nonzero(dropped)) < 25  # the masks do drop something, and not everything


def test_rate_zero_keeps_everything():
    x = tf.random.normal([3, 2])
    assert np.array_equal(replicas.dropout_rows(x, 0.0, tf.constant([0, 0]), tf.range(3), 3), x)
