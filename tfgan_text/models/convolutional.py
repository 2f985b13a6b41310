"""The non-recurrent residual convolutional generator and critic of WGAN-GP for text
(Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", language model).

The generator writes all T positions at once: noise -> dense -> residual
Conv1D blocks -> per-position logits over the vocabulary. The critic reads a
[B, T, V] matrix: one-hot rows for real text, softmax rows for generated text,
so the generator's output stays continuous and differentiable.
"""
from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from tfgan_text import replicas
from tfgan_text.sampling import SequenceSpec, token_distribution


class ResidualBlock(keras.layers.Layer):
    """x + scale * Conv1D(ReLU(Conv1D(ReLU(x)))), both convolutions of width `kernel_size`."""

    def __init__(self, dim: int, kernel_size: int = 5, scale: float = 0.3, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.conv_1 = keras.layers.Conv1D(dim, kernel_size, padding="same", name="conv_1")
        self.conv_2 = keras.layers.Conv1D(dim, kernel_size, padding="same", name="conv_2")

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return x + self.scale * self.conv_2(tf.nn.relu(self.conv_1(tf.nn.relu(x))))


class ConvGenerator(keras.Model):
    """z ~ N(0, I) -> dense -> [T, dim] -> residual blocks -> Conv1D k=1 -> logits [B, T, V]."""

    def __init__(self, vocab_size: int, length: int, dim: int, noise_dim: int = 128, num_blocks: int = 5,
                 name: str = "conv_generator", **kwargs):
        super().__init__(name=name, **kwargs)
        self.vocab_size, self.length, self.dim, self.noise_dim = vocab_size, length, dim, noise_dim
        self.project = keras.layers.Dense(length * dim, name="project")
        self.blocks = [ResidualBlock(dim, name=f"block_{i}") for i in range(num_blocks)]
        self.output_layer = keras.layers.Conv1D(vocab_size, 1, name="logits")

    def call(self, noise: tf.Tensor) -> tf.Tensor:
        x = tf.reshape(self.project(noise), [-1, self.length, self.dim])
        for block in self.blocks:
            x = block(x)
        return self.output_layer(x)

    def noise(self, batch_size: int | tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """Stateless N(0, I) noise [batch_size, noise_dim]."""
        return replicas.normal([batch_size, self.noise_dim], seed)  # per example, any strategy

    def build_variables(self) -> "ConvGenerator":
        self(tf.zeros([1, self.noise_dim]))
        return self


class Critic(keras.Model):
    """[B, T, V] token distributions -> Conv1D k=1 -> residual blocks -> dense -> one value per sequence."""

    def __init__(self, vocab_size: int, length: int, dim: int, num_blocks: int = 5, name: str = "critic",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.vocab_size, self.length, self.dim = vocab_size, length, dim
        self.input_layer = keras.layers.Conv1D(dim, 1, name="embed")
        self.blocks = [ResidualBlock(dim, name=f"block_{i}") for i in range(num_blocks)]
        self.output_layer = keras.layers.Dense(1, name="value")

    def call(self, distributions: tf.Tensor) -> tf.Tensor:
        x = self.input_layer(distributions)
        for block in self.blocks:
            x = block(x)
        return tf.squeeze(self.output_layer(tf.reshape(x, [-1, self.length * self.dim])), axis=-1)

    def build_variables(self) -> "Critic":
        self(tf.zeros([1, self.length, self.vocab_size]))
        return self


# --- reading text out of the per-position softmax (training, evaluation and export alike) ---------------
def output_spec(spec: SequenceSpec) -> SequenceSpec:
    """The generator's output distribution: pad stays allowed (real one-hot rows hold pad after eos)."""
    return dataclasses.replace(spec, banned_ids=tuple(i for i in spec.banned_ids if i != spec.pad_id))


def generated_distributions(generator: ConvGenerator, noise: tf.Tensor, spec: SequenceSpec) -> tf.Tensor:
    """softmax rows [B, T, V] of the generator, through the project's one token distribution."""
    return token_distribution(generator(noise), output_spec(spec)).probs_parameter()


def read_out(logits: tf.Tensor, spec: SequenceSpec, mode: str = "argmax", seed: tf.Tensor | None = None) -> tf.Tensor:
    """Token ids [B, T] from per-position logits: argmax or a sample; with an end token, a sentence
    ends at its first eos or pad (written as eos) and is padded after it, like the real data."""
    distribution = token_distribution(logits, output_spec(spec))
    if mode == "argmax":
        tokens = tf.argmax(distribution.logits_parameter(), axis=-1, output_type=tf.int32)
    else:
        tokens = tf.cast(distribution.sample(seed=tf.cast(seed, tf.int32)), tf.int32)
    if spec.eos_id is None:
        return tokens
    ends = tf.logical_or(tf.equal(tokens, spec.eos_id), tf.equal(tokens, spec.pad_id))
    ended_before = tf.cumsum(tf.cast(ends, tf.int32), axis=1, exclusive=True) > 0
    return tf.where(ended_before, spec.pad_id, tf.where(ends, spec.eos_id, tokens))
