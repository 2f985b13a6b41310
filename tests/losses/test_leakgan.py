import numpy as np
import pytest
import tensorflow as tf

from tfgan_text.losses.leakgan import intrinsic_rewards, manager_loss, rescaled_activation


def test_rescaled_activation_maps_ranks_to_sigmoid_of_delta_times_half_minus_rank_over_b():
    rewards = tf.constant([[0.2, 0.9], [0.7, 0.1], [0.5, 0.5], [0.1, 0.3]])  # B = 4, per column ranks
    ranks = np.array([[3, 1], [1, 4], [2, 2], [4, 3]], np.float32)
    for delta in (12.0, 3.0):
        expected = 1.0 / (1.0 + np.exp(-delta * (0.5 - ranks / 4.0)))
        np.testing.assert_allclose(rescaled_activation(rewards, delta).numpy(), expected, rtol=1e-6)
    # Only the order matters: any increasing map of the rewards gives the same values.
    np.testing.assert_allclose(rescaled_activation(tf.exp(rewards * 7.0)).numpy(),
                               rescaled_activation(rewards).numpy())


def test_manager_and_intrinsic_rewards_follow_the_feature_differences():
    # Features move by +e_0 per step; a goal along e_0 is fully achieved, one along -e_0 is opposed.
    features = tf.constant(np.arange(4, dtype=np.float32)[None, :, None] * np.array([1.0, 0.0], np.float32))
    along = tf.constant([[[1.0, 0.0]] * 3])
    against = -along
    assert float(manager_loss(along, features, tf.ones([1, 3]), 2)) == pytest.approx(-3.0)
    assert float(manager_loss(against, features, tf.ones([1, 3]), 2)) == pytest.approx(3.0)
    # Intrinsic reward at t: mean over i = 1..c of cos(f_{t+1} - f_{t+1-i}, g_{t+1-i}); t = 0 has one term.
    np.testing.assert_allclose(intrinsic_rewards(along, features, 2).numpy(), [[0.5, 1.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(intrinsic_rewards(against, features, 2).numpy(), [[-0.5, -1.0, -1.0]], rtol=1e-6)
