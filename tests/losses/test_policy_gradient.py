import numpy as np
import tensorflow as tf

from tfgan_text.losses.discriminator import log_density_ratio
from tfgan_text.losses.policy_gradient import (discounted_returns, discriminator_rewards, maligan_weights,
                                               moving_average_baseline, reinforce_loss, weighted_sequence_loss)


def test_reinforce_loss_matches_a_hand_computed_value_and_only_log_probs_carry_gradient():
    log_probs = tf.Variable([[-1.0, -2.0, -0.5], [-0.1, -3.0, -1.0]])
    returns = tf.Variable([[0.5, 0.25, 1.0], [0.2, 0.4, 0.6]])
    mask = tf.constant([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    with tf.GradientTape(persistent=True) as tape:
        loss = reinforce_loss(log_probs, returns, baseline=0.1, mask=mask)
    # -(sum of (R - 0.1) * log p over the unmasked positions) / B, B = 2
    by_hand = -((0.4 * -1.0 + 0.15 * -2.0 + 0.9 * -0.5) + (0.1 * -0.1 + 0.3 * -3.0)) / 2
    np.testing.assert_allclose(float(loss), by_hand, rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(loss, log_probs), -(returns.numpy() - 0.1) * mask.numpy() / 2,
                               rtol=1e-6)
    assert tape.gradient(loss, returns) is None


def test_seqgan_loss_without_baseline_is_q_weighted_log_likelihood_over_batch():
    log_probs = tf.constant([[-1.0, -2.0], [-3.0, -4.0]])
    q = tf.constant([[0.2, 0.4], [0.6, 0.8]])
    np.testing.assert_allclose(float(reinforce_loss(log_probs, q)), (0.2 + 0.8 + 1.8 + 3.2) / 2, rtol=1e-6)


def test_discounted_returns():
    rewards = np.array([[1.0, 2.0, 3.0, 4.0]], np.float32)
    mask = np.array([[1.0, 1.0, 1.0, 0.0]], np.float32)
    gamma = 0.5
    expected = [[1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3.0, 0.0]]
    np.testing.assert_allclose(discounted_returns(rewards, gamma, mask), expected, rtol=1e-6)
    np.testing.assert_allclose(discounted_returns(rewards, 1.0), [[10.0, 9.0, 7.0, 4.0]], rtol=1e-6)


def test_maligan_weights_are_normalised_ratios_minus_the_baseline_and_sum_to_zero():
    d_real = np.array([0.9, 0.5, 0.2, 0.99], np.float32)
    logits = tf.constant(np.stack([np.zeros(4), np.log(d_real / (1 - d_real))], axis=1), tf.float32)
    np.testing.assert_allclose(tf.nn.softmax(logits)[:, 1], d_real, rtol=1e-5)
    weights = maligan_weights(log_density_ratio(logits)).numpy()
    r = d_real / (1 - d_real)
    np.testing.assert_allclose(weights, r / r.sum() - 1 / 4, rtol=1e-4, atol=1e-6)
    assert abs(weights.sum()) < 1e-6
    grouped = maligan_weights(tf.constant([[1.0, 2.0, 3.0], [50.0, 900.0, -900.0]])).numpy()
    np.testing.assert_allclose(grouped.sum(axis=1), [0.0, 0.0], atol=1e-6)  # no overflow for huge ratios


def test_weighted_sequence_loss():
    log_probs = tf.constant([[-1.0, -2.0], [-3.0, -4.0]])
    weights = tf.constant([0.25, -0.25])
    np.testing.assert_allclose(float(weighted_sequence_loss(log_probs, weights)), -(0.25 * -3 - 0.25 * -7))
    mask = tf.constant([[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(float(weighted_sequence_loss(log_probs, weights, mask)), -(0.25 * -2 - 0.25 * -4))


def test_scratchgan_returns_and_baseline_match_a_hand_computation():
    d = np.array([[0.9, 0.2, 0.6, 0.7]], np.float32)  # D(x_t | x_<t); the sequence ends (eos) at t = 2
    mask = np.array([[1, 1, 1, 0]], np.float32)
    gamma, decay = 0.5, 0.25
    rewards = discriminator_rewards(d, mask).numpy()
    np.testing.assert_allclose(rewards, [[0.8, -0.6, 0.2, 0.0]], atol=1e-6)  # 2 D - 1, nothing past eos
    returns = discounted_returns(rewards, gamma, mask).numpy()
    expected = [[0.8 - 0.6 * 0.5 + 0.2 * 0.25, -0.6 + 0.2 * 0.5, 0.2, 0.0]]
    np.testing.assert_allclose(returns, expected, atol=1e-6)
    mean_return = returns[mask > 0].mean()
    baseline = moving_average_baseline(0.4, mean_return, decay)
    np.testing.assert_allclose(float(baseline), 0.25 * 0.4 + 0.75 * mean_return, rtol=1e-6)


def test_sparse_rewards_are_one_reward_at_the_end_of_each_sequence():
    d = np.array([[0.9, 0.2, 0.6, 0.7], [0.1, 0.3, 0.5, 0.8]], np.float32)
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], np.float32)
    np.testing.assert_allclose(discriminator_rewards(d, mask, dense=False).numpy(),
                               [[0, 0, 0.2, 0], [0, 0, 0, 0.6]], atol=1e-6)


def test_reinforce_loss_sends_no_gradient_past_the_end_token():
    log_probs = tf.Variable(tf.random.normal([2, 4]))
    mask = tf.constant([[1, 1, 0, 0], [1, 1, 1, 1]], tf.float32)
    with tf.GradientTape() as tape:
        loss = reinforce_loss(log_probs, tf.ones([2, 4]), baseline=0.3, mask=mask, normalizer=6.0)
    grad = tape.gradient(loss, log_probs).numpy()
    np.testing.assert_array_equal(grad[0, 2:], 0.0)
    np.testing.assert_allclose(grad[mask.numpy() > 0], -0.7 / 6.0, rtol=1e-6)
