"""The autoregressive LSTM generator p_G(x_t | x_<t), as a Keras 3 model.

One set of weights serves two call paths: `call` runs whole sequences (teacher
forcing, cuDNN-capable `keras.layers.LSTM`), `step` advances one token at a
time through the same layers' cells (sampling, roll-outs). Dropout is
stateless and seeded by the caller, so a resumed run draws the same masks.
"""
from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_text import replicas
from tfgan_text.models.output_layers import OutputLayerSpec, build_output_layer, output_loss

State = tuple  # ((h, c) for each layer)


class Generator(keras.Model):
    """Embedding -> stacked LSTM -> dense logits over the vocabulary."""

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_dim: int,
                 num_layers: int = 1, dropout: float = 0.0, init_stddev: float = 0.0,
                 output: OutputLayerSpec | None = None, name: str = "generator", **kwargs):
        """`init_stddev` > 0 draws every weight from N(0, init_stddev), SeqGAN's initialisation;
        0 keeps the Keras defaults (uniform Glorot, orthogonal recurrent kernels, zero biases).

        `output` (--output_layer, models/output_layers.py) picks the output layer (dense logits, or
        the exact hierarchical softmax) and `output_loss`, the MLE training estimate (None: full
        softmax through the logits). The logits of `call` and `step` are always exact."""
        super().__init__(name=name, **kwargs)
        self.vocab_size, self.embedding_dim, self.hidden_dim = vocab_size, embedding_dim, hidden_dim
        self.num_layers, self.dropout = num_layers, dropout
        init = {}
        if init_stddev > 0:
            normal = keras.initializers.RandomNormal(stddev=init_stddev)
            init = {"kernel_initializer": normal, "bias_initializer": normal}
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding",
                                                **({"embeddings_initializer": normal} if init else {}))
        self.lstms = []
        for i in range(num_layers):
            lstm = keras.layers.LSTM(hidden_dim, return_sequences=True, return_state=True, name=f"lstm_{i}",
                                     **(dict(init, recurrent_initializer=normal, unit_forget_bias=False)
                                        if init else {}))
            setattr(self, f"lstm_{i}", lstm)  # an attribute, so that tf.train.Checkpoint tracks it
            self.lstms.append(lstm)
        self.output_spec = output or OutputLayerSpec()
        self.output_layer = build_output_layer(self.output_spec, vocab_size, init)
        self.output_loss = output_loss(self.output_spec, vocab_size)

    def call(self, inputs: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
        """Logits [B, T, V] for input ids [B, T] (the sequence shifted right behind bos)."""
        return self.output_layer(self.hidden_states(inputs, training, seed))

    def hidden_states(self, inputs: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
        """The last LSTM layer's outputs [B, T, H] (after dropout) that the output layer reads."""
        x = self._dropout(self.embedding(inputs), training, seed, 0)
        for i, lstm in enumerate(self.lstms):
            x = lstm(x)[0]
            x = self._dropout(x, training, seed, i + 1)
        return x

    def initial_state(self, batch_size: tf.Tensor | int) -> State:
        zeros = tf.zeros([batch_size, self.hidden_dim])
        return tuple((zeros, zeros) for _ in self.lstms)

    def step(self, token_ids: tf.Tensor, state: State) -> tuple[tf.Tensor, State]:
        """Logits [B, V] of the next token after `token_ids` [B], and the new state."""
        x = self.embedding(token_ids)
        new_state = []
        for lstm, (h, c) in zip(self.lstms, state):
            x, (h, c) = lstm.cell(x, [h, c])
            new_state.append((h, c))
        return self.output_layer(x), tuple(new_state)

    def build_variables(self) -> "Generator":
        """Creates the weights (Keras 3 subclassed models need a first call)."""
        self(tf.zeros([1, 1], tf.int32))
        return self

    def _dropout(self, x, training, seed, index):
        if not training or self.dropout <= 0.0 or seed is None:
            return x
        layer_seed = tf.random.experimental.stateless_fold_in(seed, index)
        return replicas.dropout(x, self.dropout, layer_seed)  # per example: the same under any strategy
