"""Policy-gradient losses for discrete sequence generators (REINFORCE and its relatives).

Pure tensor-in, tensor-out functions: the caller supplies log G(y_t | y_<t)
[B, T] (with gradient), rewards or returns [B, T] (constants), a mask and the
normaliser. SeqGAN, RankGAN, LeakGAN, ScratchGAN and MaliGAN are all built
from these.
"""
from __future__ import annotations

import tensorflow as tf


def discounted_returns(rewards: tf.Tensor, discount: float, mask: tf.Tensor | None = None) -> tf.Tensor:
    """R_t = sum_{s >= t} discount^(s - t) r_s over the unmasked positions of rewards [B, T]."""
    rewards = tf.convert_to_tensor(rewards, tf.float32)
    if mask is not None:
        rewards = rewards * mask
    length = tf.shape(rewards)[1]
    steps = tf.range(length)
    ahead = tf.cast(steps[:, None] - steps[None, :], tf.float32)  # [s, t] = s - t
    weights = tf.where(ahead >= 0, tf.pow(tf.cast(discount, tf.float32), tf.maximum(ahead, 0.0)), 0.0)
    return tf.matmul(rewards, weights)  # [B, T]: sum_s r_s * weights[s, t]


def reinforce_loss(log_probs: tf.Tensor, returns: tf.Tensor, baseline: float | tf.Tensor = 0.0,
                   mask: tf.Tensor | None = None, normalizer: float | tf.Tensor | None = None) -> tf.Tensor:
    """-sum_{b,t} (R_bt - baseline) * log G(y_bt | y_b<t) / normalizer (default: the batch size).

    The advantage R - baseline is a constant (stop_gradient); `log_probs` carries
    the gradient. SeqGAN: returns = Q, baseline 0, normalizer B.
    """
    advantages = tf.stop_gradient(tf.cast(returns, tf.float32) - baseline)
    terms = log_probs * advantages
    if mask is not None:
        terms = terms * mask
    if normalizer is None:
        normalizer = tf.cast(tf.shape(log_probs)[0], tf.float32)
    return -tf.reduce_sum(terms) / tf.cast(normalizer, tf.float32)


def maligan_weights(log_ratio: tf.Tensor) -> tf.Tensor:
    """MaliGAN's normalised importance weights minus the baseline, along the last axis.

    log_ratio = log(D / (1 - D)), the optimal-discriminator estimate of
    log(p_data / p_G). w_i = r_i / sum_j r_j (a softmax of the log ratios, so
    large ratios cannot overflow) minus the baseline 1/n: the weights of a
    group sum to zero. A constant for the gradient.
    """
    log_ratio = tf.cast(log_ratio, tf.float32)
    count = tf.cast(tf.shape(log_ratio)[-1], tf.float32)
    return tf.stop_gradient(tf.nn.softmax(log_ratio, axis=-1) - 1.0 / count)


def weighted_sequence_loss(log_probs: tf.Tensor, weights: tf.Tensor, mask: tf.Tensor | None = None) -> tf.Tensor:
    """-sum_i w_i sum_t log G(x_t^i | x_<t^i) for log_probs [N, T] and sequence weights [N] (MaliGAN)."""
    if mask is not None:
        log_probs = log_probs * mask
    return -tf.reduce_sum(tf.stop_gradient(weights) * tf.reduce_sum(log_probs, axis=1))


def discriminator_rewards(real_probability: tf.Tensor, mask: tf.Tensor, dense: bool = True) -> tf.Tensor:
    """ScratchGAN's rewards [B, T] from a per-token D(x_t | x_<t): r_t = 2 D - 1 at every position, or
    (dense=False, the ablation) only at the last position before the mask ends; 0 where masked."""
    rewards = (2.0 * tf.cast(real_probability, tf.float32) - 1.0) * mask
    if dense:
        return rewards
    is_last = mask - tf.concat([mask[:, 1:], tf.zeros_like(mask[:, :1])], axis=1)  # 1 where the mask ends
    return rewards * is_last


def moving_average_baseline(previous: float | tf.Tensor, mean_return: float | tf.Tensor,
                            decay: float) -> tf.Tensor:
    """b <- decay * b + (1 - decay) * mean return of the batch (ScratchGAN's REINFORCE baseline)."""
    return decay * tf.cast(previous, tf.float32) + (1.0 - decay) * tf.cast(mean_return, tf.float32)
