"""LeakGAN's hierarchical generator (Guo et al. 2018): a MANAGER guided by D's leaked features, a WORKER.

At step t (about to emit token t after the prefix s_t = x_0..x_{t-1}):
    f_t = F(s_t)                        D's feature vector (pooled + highway) of the prefix, padded to T;
                                        the current D's, read at every step (no gradient flows into D)
    g_t = normalise(W_g MANAGER(f_t))   a unit goal in D's feature space
    O_t = WORKER(x_{t-1})               a V x k matrix (k = goal_size)
    w_t = W_psi sum_{i=1..c} g_{t-i}    the last c goals projected to k dimensions (the goal embedding)
    logits_t = O_t w_t                  G(.|s_t) = softmax(logits_t / temperature)
Before any goal exists the goal history holds a learned unit goal. The goals enter w_t without
gradient: the MANAGER learns only from its own loss (losses/leakgan.py), as in the authors' code.

The model keeps the interface of `models.generator.Generator` (call for teacher forcing,
initial_state / step for sampling), so the sampler, roll-outs, evaluator, export and restore use it
unchanged; the sampling state carries the prefix so far, from which f_t is computed.
"""
from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_text.models.discriminator import Discriminator


class LeakGANGenerator(keras.Model):
    def __init__(self, vocab_size: int, max_length: int, pad_id: int, embedding_dim: int = 32,
                 hidden_dim: int = 32, goal_size: int = 16, step_size: int = 4, init_stddev: float = 0.1,
                 name: str = "generator", **kwargs):
        super().__init__(name=name, **kwargs)
        self.vocab_size, self.max_length, self.pad_id = vocab_size, max_length, pad_id
        self.embedding_dim, self.hidden_dim = embedding_dim, hidden_dim
        self.goal_size, self.step_size = goal_size, step_size
        self.init = (keras.initializers.RandomNormal(stddev=init_stddev) if init_stddev > 0
                     else keras.initializers.GlorotUniform())
        self.discriminator = None  # attached (and the weights created) by `attach`

    def attach(self, discriminator: Discriminator) -> "LeakGANGenerator":
        """Connects the D whose features leak into the MANAGER and creates the weights."""
        self.discriminator = discriminator
        self.feature_dim = discriminator.feature_dim
        init = self.init
        lstm_init = dict(kernel_initializer=init, recurrent_initializer=init, bias_initializer=init,
                         unit_forget_bias=False, return_sequences=True, return_state=True)
        self.manager = keras.layers.LSTM(self.hidden_dim, name="manager", **lstm_init)
        self.goal_layer = keras.layers.Dense(self.feature_dim, name="goal", kernel_initializer=init,
                                             bias_initializer=init)
        self.goal_init = self.add_weight(shape=[self.feature_dim], initializer=init, name="goal_init")
        self.embedding = keras.layers.Embedding(self.vocab_size, self.embedding_dim, name="embedding",
                                                embeddings_initializer=init)
        self.worker = keras.layers.LSTM(self.hidden_dim, name="worker", **lstm_init)
        # O_t = h_t W + b as a [V, k] matrix, stored so that O_t w_t is one matmul of (h_t outer w_t).
        self.worker_kernel = self.add_weight(shape=[self.hidden_dim * self.goal_size, self.vocab_size],
                                             initializer=init, name="worker_kernel")
        self.worker_bias = self.add_weight(shape=[self.goal_size, self.vocab_size], initializer=init,
                                           name="worker_bias")
        self.goal_projection = keras.layers.Dense(self.goal_size, use_bias=False, name="goal_projection",
                                                  kernel_initializer=init)  # W_psi
        self.manager.build([None, None, self.feature_dim])
        self.goal_layer.build([None, self.hidden_dim])
        self.embedding.build([None, None])
        self.worker.build([None, None, self.embedding_dim])
        self.goal_projection.build([None, self.feature_dim])
        self.built = True
        return self

    # --- the variables each loss trains --------------------------------------------------------
    @property
    def manager_variables(self) -> list:
        return [*self.manager.trainable_variables, *self.goal_layer.trainable_variables, self.goal_init]

    @property
    def worker_variables(self) -> list:
        return [*self.embedding.trainable_variables, *self.worker.trainable_variables, self.worker_kernel,
                self.worker_bias, *self.goal_projection.trainable_variables]

    @property
    def generator_variables(self) -> list:
        """G's own weights (D's, reachable through `discriminator`, are not G's to train)."""
        return self.manager_variables + self.worker_variables

    # --- pieces ---------------------------------------------------------------------------------
    def prefix_features(self, tokens: tf.Tensor, num_prefixes: int | tf.Tensor | None = None) -> tf.Tensor:
        """f_0..f_{P-1} [B, P, F]: D's features of the prefixes of length 0..P-1 of tokens [B, L] (padded
        to T). P defaults to L + 1 (the whole sequence's features last). Constants: no gradient."""
        tokens = tf.cast(tokens, tf.int32)
        batch_size, length = tf.shape(tokens)[0], tf.shape(tokens)[1]
        tokens = tf.pad(tokens, [[0, 0], [0, self.max_length - length]], constant_values=self.pad_id)
        if num_prefixes is None:
            num_prefixes = length + 1
        positions = tf.range(self.max_length)[None, :]
        features = tf.map_fn(  # one D call per prefix length: [P, B, F]
            lambda t: self.discriminator.features(tf.where(positions < t, tokens, tf.cast(self.pad_id, tf.int32))),
            tf.range(num_prefixes), fn_output_signature=tf.TensorSpec([None, self.feature_dim], tf.float32))
        features = tf.transpose(features, [1, 0, 2])
        return tf.stop_gradient(tf.ensure_shape(tf.reshape(features, [batch_size, -1, self.feature_dim]),
                                                [None, None, self.feature_dim]))

    def goals(self, features: tf.Tensor) -> tf.Tensor:
        """Unit goals g_t [B, P, F] from the leaked features [B, P, F] (the MANAGER over time)."""
        hidden = self.manager(features)[0]
        return tf.math.l2_normalize(self.goal_layer(hidden), axis=-1)

    def initial_goal_history(self, batch_size) -> tf.Tensor:
        """The c goals before t = 0 [B, c, F]: the learned unit goal last, zeros before it."""
        first = tf.math.l2_normalize(self.goal_init)
        history = tf.concat([tf.zeros([self.step_size - 1, self.feature_dim]), first[None, :]], axis=0)
        return tf.tile(history[None], [batch_size, 1, 1])

    def worker_logits(self, hidden: tf.Tensor, goal_sum: tf.Tensor) -> tf.Tensor:
        """O_t w_t for worker states [..., H] and summed goals [..., F] (no gradient into the goals)."""
        w = self.goal_projection(tf.stop_gradient(goal_sum))  # [..., k]
        outer = hidden[..., :, None] * w[..., None, :]  # [..., H, k]
        outer = tf.reshape(outer, tf.concat([tf.shape(hidden)[:-1], [self.hidden_dim * self.goal_size]], 0))
        return tf.tensordot(outer, self.worker_kernel, axes=1) + tf.tensordot(w, self.worker_bias, axes=1)

    # --- teacher forcing ------------------------------------------------------------------------
    def unroll(self, inputs: tf.Tensor, features: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(logits [B, L, V], goals [B, L, F]) for inputs [B, L] (bos + tokens) and the prefix features
        f_0..f_{L-1} [B, >= L, F] of the sequence being read."""
        length = tf.shape(inputs)[1]
        features = features[:, :length]
        goals = self.goals(features)
        history = tf.concat([self.initial_goal_history(tf.shape(inputs)[0]), goals[:, :-1]], axis=1)
        goal_sums = tf.add_n([history[:, i:i + length] for i in range(self.step_size)])  # g_{t-c}..g_{t-1}
        hidden = self.worker(self.embedding(inputs))[0]
        return self.worker_logits(hidden, goal_sums), goals

    def call(self, inputs: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
        """Logits [B, L, V] for input ids [B, L] (the sequence shifted right behind bos)."""
        tokens_read = inputs[:, 1:]
        features = self.prefix_features(tokens_read, num_prefixes=tf.shape(inputs)[1])
        return self.unroll(inputs, features)[0]

    # --- step-wise sampling ---------------------------------------------------------------------
    def initial_state(self, batch_size):
        """(prefix so far [B, T], steps taken [B], MANAGER (h, c), WORKER (h, c), last c goals [B, c, F])."""
        zeros = tf.zeros([batch_size, self.hidden_dim])
        return (tf.fill([batch_size, self.max_length], tf.cast(self.pad_id, tf.int32)),
                tf.zeros([batch_size], tf.int32), (zeros, zeros), (zeros, zeros),
                self.initial_goal_history(batch_size))

    def step(self, token_ids: tf.Tensor, state) -> tuple[tf.Tensor, tuple]:
        """Logits [B, V] of the next token after `token_ids` [B] (bos first), and the new state."""
        prefix, position, (hm, cm), (hw, cw), history = state
        token_ids = tf.cast(token_ids, tf.int32)
        # The token read is the prefix's last one (none at t = 0, where it is bos).
        written = tf.equal(tf.range(self.max_length)[None, :], position[:, None] - 1)
        prefix = tf.where(written, token_ids[:, None], prefix)
        features = tf.stop_gradient(self.discriminator.features(prefix))
        manager_out, (hm, cm) = self.manager.cell(features, [hm, cm])
        goal = tf.math.l2_normalize(self.goal_layer(manager_out), axis=-1)
        worker_out, (hw, cw) = self.worker.cell(self.embedding(token_ids), [hw, cw])
        logits = self.worker_logits(worker_out, tf.reduce_sum(history, axis=1))
        history = tf.concat([history[:, 1:], goal[:, None]], axis=1)
        return logits, (prefix, position + 1, (hm, cm), (hw, cw), history)
