"""ScratchGAN's models (de Masson d'Autume et al. 2019): a tied-embedding LSTM generator and a
per-token recurrent discriminator.

Both read words through the same kind of embedding: optional fixed
pre-trained vectors concatenated with a trainable table. The generator's
output is projected back to that embedding space and scored against the same
(tied) table, so pre-trained vectors shape the output distribution too.
"""
from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from tfgan_text import replicas

POSITION_SIGNAL_DIM = 8


class WordEmbedding(keras.layers.Layer):
    """[fixed pre-trained vectors ; trainable vectors] for every id; `table()` is the whole [V, d] matrix."""

    def __init__(self, vocab_size: int, trainable_dim: int, pretrained: np.ndarray | None = None, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.trainable_dim = vocab_size, trainable_dim
        self.trainable_table = self.add_weight(shape=(vocab_size, trainable_dim), name="trainable",
                                               initializer=keras.initializers.RandomNormal(stddev=0.1))
        self.pretrained = None
        if pretrained is not None:
            if pretrained.shape[0] != vocab_size:
                raise ValueError(f"pre-trained vectors for {pretrained.shape[0]} ids, vocabulary {vocab_size}")
            self.pretrained = self.add_weight(shape=pretrained.shape, name="pretrained", trainable=False,
                                              initializer=keras.initializers.Constant(pretrained))

    @property
    def dim(self) -> int:
        return self.trainable_dim + (0 if self.pretrained is None else int(self.pretrained.shape[1]))

    def table(self) -> tf.Tensor:
        if self.pretrained is None:
            return tf.convert_to_tensor(self.trainable_table)
        return tf.concat([tf.convert_to_tensor(self.pretrained), tf.convert_to_tensor(self.trainable_table)], axis=1)

    def call(self, token_ids: tf.Tensor) -> tf.Tensor:
        return tf.gather(self.table(), tf.cast(token_ids, tf.int32))


def position_signal(length: int, dim: int = POSITION_SIGNAL_DIM, min_period: float = 2.0,
                    max_period: float | None = None) -> np.ndarray:
    """Fixed sinusoids [length, dim]: sin then cos of 2 pi t / p for dim/2 periods p log-spaced from
    `min_period` to `max_period` (default 4 x length), so that every position up to 4 x length is distinct."""
    max_period = max_period or 4.0 * length
    periods = np.exp(np.linspace(math.log(min_period), math.log(max_period), dim // 2))
    angles = 2.0 * np.pi * np.arange(length)[:, None] / periods[None, :]
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1).astype(np.float32)


class ScratchGANGenerator(keras.Model):
    """Embedding -> linear -> LSTM layers with skip connections -> all layers' outputs -> linear to the
    embedding size -> dot with the tied embedding table + bias = logits.

    Skip connections: every layer after the first reads [projected input ; previous layer's output].
    The same `call` / `step` / `initial_state` interface as `models.generator.Generator`, so the sampler,
    evaluation and export use it unchanged.
    """

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_dim: int, num_layers: int = 2,
                 pretrained: np.ndarray | None = None, name: str = "generator", **kwargs):
        super().__init__(name=name, **kwargs)
        self.vocab_size, self.hidden_dim = vocab_size, hidden_dim
        self.embedding = WordEmbedding(vocab_size, embedding_dim, pretrained, name="embedding")
        self.input_projection = keras.layers.Dense(hidden_dim, name="input_projection")
        self.lstms = []
        for i in range(num_layers):
            lstm = keras.layers.LSTM(hidden_dim, return_sequences=True, return_state=True, name=f"lstm_{i}")
            setattr(self, f"lstm_{i}", lstm)  # an attribute, so that tf.train.Checkpoint tracks it
            self.lstms.append(lstm)
        self.output_projection = keras.layers.Dense(self.embedding.dim, name="output_projection")
        self.output_bias = self.add_weight(shape=(vocab_size,), initializer="zeros", name="output_bias")

    def call(self, inputs: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
        """Logits [B, T, V] for input ids [B, T] (the sequence shifted right behind bos)."""
        x = self.input_projection(self.embedding(inputs))
        outputs, layer_input = [], x
        for lstm in self.lstms:
            h = lstm(layer_input)[0]
            outputs.append(h)
            layer_input = tf.concat([x, h], axis=-1)
        return self._logits(tf.concat(outputs, axis=-1))

    def initial_state(self, batch_size: tf.Tensor | int) -> tuple:
        zeros = tf.zeros([batch_size, self.hidden_dim])
        return tuple((zeros, zeros) for _ in self.lstms)

    def step(self, token_ids: tf.Tensor, state: tuple) -> tuple[tf.Tensor, tuple]:
        """Logits [B, V] of the next token after `token_ids` [B], and the new state."""
        x = self.input_projection(self.embedding(token_ids))
        outputs, new_state, layer_input = [], [], x
        for lstm, (h, c) in zip(self.lstms, state):
            h, (h, c) = lstm.cell(layer_input, [h, c])
            outputs.append(h)
            new_state.append((h, c))
            layer_input = tf.concat([x, h], axis=-1)
        return self._logits(tf.concat(outputs, axis=-1)), tuple(new_state)

    def _logits(self, features: tf.Tensor) -> tf.Tensor:
        projected = self.output_projection(features)
        return tf.linalg.matmul(projected, self.embedding.table(), transpose_b=True) + self.output_bias

    def build_variables(self) -> "ScratchGANGenerator":
        self(tf.zeros([1, 1], tf.int32))
        return self


class LayerNormLSTMCell(keras.layers.Layer):
    """An LSTM cell with layer normalisation (Ba et al. 2016) of the input and recurrent
    pre-activations and of the cell state; ScratchGAN regularises D with it."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]
        self.output_size = units
        self.input_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="input_norm")
        self.recurrent_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="recurrent_norm")
        self.cell_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="cell_norm")

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * self.units), name="kernel",
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(shape=(self.units, 4 * self.units), name="recurrent_kernel",
                                                initializer="orthogonal")
        self.bias = self.add_weight(shape=(4 * self.units,), name="bias", initializer="zeros")
        self.input_norm.build((None, 4 * self.units))
        self.recurrent_norm.build((None, 4 * self.units))
        self.cell_norm.build((None, self.units))

    def call(self, inputs, states, training=False):
        h, c = states
        z = (self.input_norm(tf.matmul(inputs, self.kernel)) + self.recurrent_norm(tf.matmul(h, self.recurrent_kernel))
             + self.bias)
        i, f, g, o = tf.split(z, 4, axis=-1)
        c = tf.sigmoid(f + 1.0) * c + tf.sigmoid(i) * tf.tanh(g)  # +1: the usual forget-gate bias
        h = tf.sigmoid(o) * tf.tanh(self.cell_norm(c))
        return h, [h, c]


class RecurrentDiscriminator(keras.Model):
    """D(x_t | x_<t) for every position: [embedding (dropout) ; position signal] -> linear -> LSTM
    (layer-normalised or plain) -> dense(1). `call` gives logits [B, T]; position t has read x_1..x_t."""

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_dim: int, max_length: int,
                 pretrained: np.ndarray | None = None, dropout: float = 0.1, layer_norm: bool = True,
                 use_position_signal: bool = True, name: str = "discriminator", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dropout = dropout
        self.embedding = WordEmbedding(vocab_size, embedding_dim, pretrained, name="embedding")
        self.positions = tf.constant(position_signal(max_length)) if use_position_signal else None
        self.input_projection = keras.layers.Dense(hidden_dim, name="input_projection")
        cell = LayerNormLSTMCell(hidden_dim, name="layer_norm_lstm_cell")
        self.lstm = (keras.layers.RNN(cell, return_sequences=True, name="lstm") if layer_norm
                     else keras.layers.LSTM(hidden_dim, return_sequences=True, name="lstm"))
        self.output_layer = keras.layers.Dense(1, name="logit")

    def call(self, tokens: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
        x = self.embedding(tokens)
        if training and self.dropout > 0.0 and seed is not None:
            x = replicas.dropout(x, self.dropout, seed)  # per example: the same masks on any replica count
        if self.positions is not None:
            length = tf.shape(tokens)[1]
            signal = tf.broadcast_to(self.positions[:length], [tf.shape(tokens)[0], length, POSITION_SIGNAL_DIM])
            x = tf.concat([x, signal], axis=-1)
        return tf.squeeze(self.output_layer(self.lstm(self.input_projection(x))), axis=-1)

    def real_probability(self, tokens: tf.Tensor) -> tf.Tensor:
        """D(x_t | x_<t) [B, T] without dropout: the rewards of generated tokens."""
        return tf.sigmoid(self(tokens, training=False))

    def l2_loss(self) -> tf.Tensor:
        """Sum of squares of every trainable weight (ScratchGAN penalises all of D's weights)."""
        return tf.add_n([tf.reduce_sum(tf.square(v)) for v in self.trainable_variables])

    def build_variables(self) -> "RecurrentDiscriminator":
        self(tf.zeros([1, 1], tf.int32))
        return self
