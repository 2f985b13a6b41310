"""LeakGAN's losses (Guo et al. 2018): MANAGER by cosine to feature differences, WORKER by intrinsic reward.

Pure tensor-in, tensor-out functions. Features f_0..f_T [B, T+1, F] are D's features of the
prefixes of length 0..T of a sequence; goals g_0..g_{T-1} [B, T, F] are the MANAGER's, g_t
emitted while reading f_t (before token t). c is the goal horizon (step size).
"""
from __future__ import annotations

import tensorflow as tf


def cosine(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """d_cos(a, b) along the last axis (0 where either vector is 0)."""
    return tf.reduce_sum(tf.math.l2_normalize(a, axis=-1) * tf.math.l2_normalize(b, axis=-1), axis=-1)


def rescaled_activation(rewards: tf.Tensor, delta: float = 12.0) -> tf.Tensor:
    """Bootstrapped rescaled activation: per time step, reward -> sigmoid(delta * (0.5 - rank / B)).

    rank is 1 for the largest reward of the batch at that step, B for the smallest (ties by
    batch order), so the rescaled rewards of every step spread over the same range whatever D's scale.
    """
    rewards = tf.convert_to_tensor(rewards, tf.float32)  # [B, T]
    batch_size = tf.cast(tf.shape(rewards)[0], tf.float32)
    order = tf.argsort(rewards, axis=0, direction="DESCENDING", stable=True)
    rank = tf.cast(tf.argsort(order, axis=0, stable=True) + 1, tf.float32)  # inverse permutation, 1-based
    return tf.stop_gradient(tf.sigmoid(delta * (0.5 - rank / batch_size)))


def feature_targets(features: tf.Tensor, step_size: int) -> tf.Tensor:
    """f_{t+c} - f_t [B, T, F] for t = 0..T-1, with f_{t+c} = f_T past the end."""
    length = tf.shape(features)[1] - 1
    ahead = tf.gather(features, tf.minimum(tf.range(length) + step_size, length), axis=1)
    return ahead - features[:, :-1]


def manager_loss(goals: tf.Tensor, features: tf.Tensor, rewards: tf.Tensor, step_size: int,
                 mask: tf.Tensor | None = None, normalizer: float | tf.Tensor | None = None) -> tf.Tensor:
    """-sum_{b,t} Q_bt d_cos(f_{t+c} - f_t, g_t) / normalizer (default B): goals point where D's features move.

    Pre-training uses Q = 1 on real sequences; adversarial training, the rescaled Monte Carlo rewards.
    """
    terms = tf.stop_gradient(rewards) * cosine(tf.stop_gradient(feature_targets(features, step_size)), goals)
    if mask is not None:
        terms = terms * mask
    if normalizer is None:
        normalizer = tf.cast(tf.shape(goals)[0], tf.float32)
    return -tf.reduce_sum(terms) / tf.cast(normalizer, tf.float32)


def intrinsic_rewards(goals: tf.Tensor, features: tf.Tensor, step_size: int) -> tf.Tensor:
    """The WORKER's reward for token t [B, T]: (1/c) sum_{i=1..c} d_cos(f_{t+1} - f_{t+1-i}, g_{t+1-i}).

    Emitting token t moves the features from f_t to f_{t+1}; each of the last c goals is rewarded
    by how far the features have moved its way since it was set (terms before t = 0 are 0).
    """
    goals = tf.stop_gradient(goals)
    features = tf.stop_gradient(features)
    length = tf.shape(goals)[1]
    after = features[:, 1:]  # f_{t+1}, t = 0..T-1
    total = tf.zeros(tf.shape(goals)[:2])
    for i in range(1, step_size + 1):
        source = tf.range(length) + 1 - i  # t + 1 - i
        valid = tf.cast(source >= 0, tf.float32)[None, :]
        source = tf.maximum(source, 0)
        moved = after - tf.gather(features, source, axis=1)
        total += valid * cosine(moved, tf.gather(goals, source, axis=1))
    return total / step_size
