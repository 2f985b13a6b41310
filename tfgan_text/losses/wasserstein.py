"""WGAN-GP's critic loss with its gradient penalty (Gulrajani et al. 2017), as pure functions."""
from __future__ import annotations

import tensorflow as tf

from tfgan_text import replicas


def gradient_penalty(critic, real: tf.Tensor, fake: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """(||d C(x_hat) / d x_hat||_2 - 1)^2 per sequence [B], x_hat = real + alpha (fake - real), alpha ~ U[0, 1]."""
    alpha = replicas.uniform([tf.shape(real)[0], 1, 1], seed)  # per example: the same under any strategy
    x_hat = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        values = critic(x_hat)
    gradients = tape.gradient(values, x_hat)
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=[1, 2]) + 1e-12)
    return tf.square(norms - 1.0)


def critic_losses(critic, real: tf.Tensor, fake: tf.Tensor, seed: tf.Tensor, gp_weight: float) -> dict:
    """Per-sequence terms [B]: `loss` = C(fake) - C(real) + gp_weight * penalty, and its parts."""
    real_values, fake_values = critic(real), critic(fake)
    penalty = gradient_penalty(critic, real, fake, seed)
    return {"loss": fake_values - real_values + gp_weight * penalty, "real": real_values, "fake": fake_values,
            "penalty": penalty}
