"""SeqGAN's CNN discriminator D(real | sequence), shared by SeqGAN, MaliGAN, RankGAN and LeakGAN.

Token embeddings -> one convolution per filter width (ReLU, max over time) ->
concatenated features -> one highway layer -> dropout -> 2-way logits
(index 1 = "real"). Widths longer than the sequence are dropped. `features`
exposes the pooled + highway vector (RankGAN's ranker, LeakGAN's leaked
features); `output_l2_loss` is SeqGAN's L2 penalty on the output layer.
"""
from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_text import replicas
from tfgan_text.config import SEQGAN_FILTER_WIDTHS, SEQGAN_NUM_FILTERS  # SeqGAN's filter table


class Highway(keras.layers.Layer):
    """y = t * relu(W x + b) + (1 - t) * x with gate t = sigmoid(W_t x + b_t + gate_bias)."""

    def __init__(self, gate_bias: float = 0.0, name: str = "highway", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gate_bias = gate_bias

    def build(self, input_shape):
        size = input_shape[-1]
        self.transform = keras.layers.Dense(size, activation="relu", name="transform")
        self.gate = keras.layers.Dense(size, name="gate")
        self.transform.build(input_shape)
        self.gate.build(input_shape)

    def call(self, x):
        t = tf.sigmoid(self.gate(x) + self.gate_bias)
        return t * self.transform(x) + (1.0 - t) * x


class Discriminator(keras.Model):
    """CNN over token embeddings; call() gives logits [B, 2] for token ids [B, T]."""

    def __init__(self, vocab_size: int, max_length: int, embedding_dim: int = 64,
                 filter_widths=SEQGAN_FILTER_WIDTHS, num_filters=SEQGAN_NUM_FILTERS,
                 dropout: float = 0.25, name: str = "discriminator", **kwargs):
        super().__init__(name=name, **kwargs)
        if len(filter_widths) != len(num_filters):
            raise ValueError(f"{len(filter_widths)} filter widths but {len(num_filters)} filter counts")
        kept = [(w, n) for w, n in zip(filter_widths, num_filters) if w <= max_length]
        if not kept:
            raise ValueError(f"every filter width {tuple(filter_widths)} is longer than the sequence ({max_length})")
        self.vocab_size, self.max_length, self.dropout = vocab_size, max_length, dropout
        self.filter_widths = tuple(w for w, _ in kept)
        self.num_filters = tuple(n for _, n in kept)
        self.feature_dim = sum(self.num_filters)
        self.embedding = keras.layers.Embedding(
            vocab_size, embedding_dim, name="embedding",
            embeddings_initializer=keras.initializers.RandomUniform(-1.0, 1.0))
        self.convolutions = self._convolutions(kept, "conv")
        self.highway = Highway()
        self.output_layer = keras.layers.Dense(
            2, name="logits", kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.1),
            bias_initializer=keras.initializers.Constant(0.1))

    def _convolutions(self, widths_and_counts, prefix: str) -> list:
        convolutions = []
        for w, n in widths_and_counts:
            convolution = keras.layers.Conv1D(n, w, activation="relu", padding="valid", name=f"{prefix}_{w}",
                                              kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.1),
                                              bias_initializer=keras.initializers.Constant(0.1))
            setattr(self, f"{prefix}_{w}", convolution)  # an attribute, so that tf.train.Checkpoint tracks it
            convolutions.append(convolution)
        return convolutions

    def features(self, tokens: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
        """The feature vector [B, sum(num_filters)]: max-pooled convolutions through the highway."""
        features = self.highway(self.pooled(tokens))
        if training and self.dropout > 0.0 and seed is not None:
            features = replicas.dropout(features, self.dropout, seed)  # per example, any strategy
        return features

    def pooled(self, tokens: tf.Tensor) -> tf.Tensor:
        """Each convolution's features max-pooled over time, concatenated."""
        return self._pool(tokens, self.convolutions)

    def _pool(self, tokens: tf.Tensor, convolutions) -> tf.Tensor:
        x = self.embedding(tf.cast(tokens, tf.int32))
        return tf.concat([tf.reduce_max(conv(x), axis=1) for conv in convolutions], axis=1)

    def call(self, tokens: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
        """Logits [B, 2]; column 1 is "real"."""
        return self.output_layer(self.features(tokens, training, seed))

    def real_probability(self, tokens: tf.Tensor) -> tf.Tensor:
        """D(real | tokens) [B] at inference (no dropout): the reward SeqGAN's roll-outs average."""
        return tf.nn.softmax(self(tokens))[:, 1]

    def output_l2_loss(self) -> tf.Tensor:
        """sum(W^2)/2 + sum(b^2)/2 of the output layer (SeqGAN's L2 term, times its lambda)."""
        return tf.add_n([tf.nn.l2_loss(v) for v in self.output_layer.trainable_variables])

    def build_variables(self) -> "Discriminator":
        self(tf.zeros([1, self.max_length], tf.int32))
        return self


class ConditionalDiscriminator(Discriminator):
    """D(real | source, target) for packed rows [source (S) | target (T)] (`data.parallel`).

    The target's CNN features beside those of a second CNN over the source (same
    embedding and filter table, widths longer than the source dropped), then the
    highway, dropout and logits: D judges whether the target answers the source.
    """

    def __init__(self, vocab_size: int, source_length: int, max_length: int, embedding_dim: int = 64,
                 filter_widths=SEQGAN_FILTER_WIDTHS, num_filters=SEQGAN_NUM_FILTERS, dropout: float = 0.25,
                 name: str = "discriminator", **kwargs):
        super().__init__(vocab_size, max_length, embedding_dim, filter_widths, num_filters, dropout, name=name,
                         **kwargs)
        self.source_length = source_length
        kept = [(w, n) for w, n in zip(filter_widths, num_filters) if w <= source_length]
        if not kept:
            raise ValueError(f"every filter width {tuple(filter_widths)} is longer than the source ({source_length})")
        self.source_convolutions = self._convolutions(kept, "source_conv")
        self.feature_dim += sum(n for _, n in kept)

    def pooled(self, rows: tf.Tensor) -> tf.Tensor:
        sources, targets = rows[:, : self.source_length], rows[:, self.source_length:]
        return tf.concat([self._pool(targets, self.convolutions), self._pool(sources, self.source_convolutions)],
                         axis=1)

    def build_variables(self) -> "ConditionalDiscriminator":
        self(tf.zeros([1, self.source_length + self.max_length], tf.int32))
        return self
