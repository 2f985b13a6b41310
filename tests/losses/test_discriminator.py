"""The per-token discriminator loss: binary cross-entropy of every prefix, nothing past the end token."""
import numpy as np
import tensorflow as tf

from tfgan_text.losses.discriminator import per_token_discriminator_loss


def test_per_token_loss_is_masked_binary_cross_entropy_over_the_normaliser():
    logits = tf.Variable([[2.0, -1.0, 0.5], [0.0, 1.0, 3.0]])
    mask = tf.constant([[1, 1, 0], [1, 1, 1]], tf.float32)
    with tf.GradientTape() as tape:
        real = per_token_discriminator_loss(logits, 1, mask, 5.0)
    p = 1 / (1 + np.exp(-logits.numpy()))
    expected_real = -np.sum(np.log(p) * mask.numpy()) / 5.0
    np.testing.assert_allclose(float(real), expected_real, rtol=1e-6)
    grad = tape.gradient(real, logits).numpy()
    assert grad[0, 2] == 0.0  # past the end token: no gradient
    np.testing.assert_allclose(grad[1], (p[1] - 1) / 5.0, rtol=1e-5)
    fake = per_token_discriminator_loss(logits, 0, mask, 5.0)
    np.testing.assert_allclose(float(fake), -np.sum(np.log(1 - p) * mask.numpy()) / 5.0, rtol=1e-6)
