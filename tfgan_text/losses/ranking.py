"""RankGAN's ranker (Lin et al. 2017): rank scores from cosine relevance of CNN features, and its loss.

relevance a(s|u) = cos(y_s, y_u) for features y = F(s) of a sentence s and a reference u;
P(s|u, C') = exp(gamma a(s|u)) / sum_{s' in C'} exp(gamma a(s'|u));
rank score R(s|U, C) = mean over references u in U of P(s|u, C'), with C' = {s} + C.
Pure tensor-in, tensor-out functions over feature vectors [N, F].
"""
from __future__ import annotations

import tensorflow as tf


def relevance(features: tf.Tensor, reference_features: tf.Tensor) -> tf.Tensor:
    """a(s|u) = cos(y_s, y_u): [N, U] for features [N, F] and reference features [U, F]."""
    return tf.matmul(tf.math.l2_normalize(features, axis=-1), tf.math.l2_normalize(reference_features, axis=-1),
                     transpose_b=True)


def rank_distribution(features: tf.Tensor, reference_features: tf.Tensor, gamma: float = 1.0) -> tf.Tensor:
    """R(s|U, C') for every s of one comparison set C' (features [N, F]); the N scores sum to one."""
    return tf.reduce_mean(tf.nn.softmax(gamma * relevance(features, reference_features), axis=0), axis=1)


def log_rank_scores(features: tf.Tensor, comparison_features: tf.Tensor, reference_features: tf.Tensor,
                    gamma: float = 1.0) -> tf.Tensor:
    """log R(s|U, {s} + C) [N]: each of N candidates ranked on its own against the comparison set C [M, F]."""
    own = gamma * relevance(features, reference_features)  # [N, U]
    others = tf.reduce_logsumexp(gamma * relevance(comparison_features, reference_features), axis=0)  # [U]
    log_p = own - tf.reduce_logsumexp(tf.stack([own, tf.broadcast_to(others, tf.shape(own))]), axis=0)
    count = tf.cast(tf.shape(reference_features)[0], log_p.dtype)
    return tf.reduce_logsumexp(log_p, axis=1) - tf.math.log(count)  # log of the mean over references


def rank_scores(features: tf.Tensor, comparison_features: tf.Tensor, reference_features: tf.Tensor,
                gamma: float = 1.0) -> tf.Tensor:
    """R(s|U, {s} + C) [N]: the reward RankGAN's generator maximises (C: real sentences)."""
    return tf.exp(log_rank_scores(features, comparison_features, reference_features, gamma))


def ranker_loss(real_features: tf.Tensor, generated_features: tf.Tensor, reference_features: tf.Tensor,
                gamma: float = 1.0) -> tf.Tensor:
    """-E_{s real} log R(s|U, C-) + E_{s gen} log R(s|U, C+): C- the generated set, C+ the real set.

    Minimising it ranks real sentences above generated ones, relative to the references.
    """
    real = log_rank_scores(real_features, generated_features, reference_features, gamma)
    generated = log_rank_scores(generated_features, real_features, reference_features, gamma)
    return -tf.reduce_mean(real) + tf.reduce_mean(generated)


def ranker_accuracy(real_features: tf.Tensor, generated_features: tf.Tensor, reference_features: tf.Tensor,
                    gamma: float = 1.0) -> tf.Tensor:
    """Share of sentences on the right side of a uniform ranking: a real s with R(s|U, C-) above
    1 / (|C-| + 1), a generated s with R(s|U, C+) below 1 / (|C+| + 1)."""
    real = rank_scores(real_features, generated_features, reference_features, gamma)
    generated = rank_scores(generated_features, real_features, reference_features, gamma)
    num_real = tf.cast(tf.shape(real_features)[0], tf.float32)
    num_generated = tf.cast(tf.shape(generated_features)[0], tf.float32)
    correct = (tf.reduce_sum(tf.cast(real > 1.0 / (num_generated + 1.0), tf.float32))
               + tf.reduce_sum(tf.cast(generated < 1.0 / (num_real + 1.0), tf.float32)))
    return correct / (num_real + num_generated)
