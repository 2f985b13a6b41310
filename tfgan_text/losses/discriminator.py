"""Losses of a two-way (real / generated) discriminator: pure tensor-in, tensor-out functions."""
from __future__ import annotations

import tensorflow as tf

REAL, GENERATED = 1, 0  # label ids; logits column 1 is "real"


def discriminator_loss(logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """Mean softmax cross-entropy of 2-way logits [B, 2] against labels [B] (1 = real, 0 = generated)."""
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(tf.cast(labels, tf.int32), logits))


def discriminator_accuracy(logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """Share of sequences whose larger logit is their label."""
    predicted = tf.argmax(logits, axis=1, output_type=tf.int32)
    return tf.reduce_mean(tf.cast(tf.equal(predicted, tf.cast(labels, tf.int32)), tf.float32))


def log_density_ratio(logits: tf.Tensor) -> tf.Tensor:
    """log(D / (1 - D)) [B] for 2-way logits: the optimal D's estimate of log(p_data / p_G)."""
    return logits[:, REAL] - logits[:, GENERATED]


def per_token_discriminator_loss(logits: tf.Tensor, label: int, mask: tf.Tensor,
                                 normalizer: float | tf.Tensor) -> tf.Tensor:
    """sum over unmasked positions of BCE(label, sigmoid(logits)) [B, T] / normalizer.

    ScratchGAN's per-token D: every prefix of a real sequence is labelled real, every prefix of a
    generated one generated; positions after the end token (mask 0) carry no loss.
    """
    labels = tf.fill(tf.shape(logits), tf.cast(label, logits.dtype))
    losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    return tf.reduce_sum(losses * mask) / tf.cast(normalizer, logits.dtype)
