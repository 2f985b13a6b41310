"""The conditional generator p_G(y_t | y_<t, x): an LSTM encoder-decoder with attention.

Encoder: embedding -> LSTM over the source (pad masked); its final state starts
the decoder. Decoder (Luong et al. 2015, without input feeding, so teacher
forcing runs the whole target at once): embedding -> stacked LSTM -> at each
step, attention of the LSTM output h_t over the encoder outputs gives a
context c_t -> attentional vector tanh(W_c [c_t; h_t]) -> output layer.
Scores: `multiplicative` (Luong's general, h^T W m) or `additive`
(Bahdanau's, v^T tanh(W_q h + W_m m)); padded source positions get weight 0.

`hard_attention`: c_t is ONE encoder output, drawn from the attention weights
while training (the position choice is trained by REINFORCE with the token's
log-likelihood as reward, `hard_attention_losses`) and the most likely one
otherwise. `memory_hops` > 0 adds an end-to-end memory network
(Sukhbaatar et al. 2015): the source's sentences, split at `separator_id`,
are memory slots (position-encoded bags of words); `memory_hops` rounds of
attention, queried by the encoder's final state, add what they read to the
decoder's start (knowledge-grounded generation, Ghazvininejad et al. 2018).

`conditioned(sources)` binds a batch of sources and returns an object with the
unconditional generator's interface (`call`, `step`, `initial_state`,
`hidden_states`), so the one sampler, the roll-outs and the MLE loss serve
conditional generation unchanged.
"""
from __future__ import annotations

from typing import NamedTuple

import keras
import tensorflow as tf

from tfgan_text import replicas
from tfgan_text.models.output_layers import OutputLayerSpec, build_output_layer, output_loss

ATTENTIONS = ("multiplicative", "additive")
_MASKED_SCORE = -1e9


class Memory(NamedTuple):
    """What the decoder reads of one batch of sources."""

    values: tf.Tensor  # [B, S, H] encoder outputs
    keys: tf.Tensor  # [B, S, K] their projections for the attention scores
    mask: tf.Tensor  # [B, S] bool, True at real source tokens
    state: tuple  # the decoder's initial (h, c) per layer


class Attention(keras.layers.Layer):
    """Attention weights [B, Tq, S] of queries [B, Tq, H] over a memory [B, S, H]; they sum to one over
    the unmasked positions."""

    def __init__(self, units: int, kind: str = "multiplicative", initializers: dict | None = None,
                 name: str = "attention", **kwargs):
        super().__init__(name=name, **kwargs)
        if kind not in ATTENTIONS:
            raise ValueError(f"unknown attention {kind!r}; expected one of {', '.join(ATTENTIONS)}")
        self.kind = kind
        init = dict(initializers or {})
        kernel_only = {k: v for k, v in init.items() if k == "kernel_initializer"}
        if kind == "multiplicative":
            self.key_projection = keras.layers.Dense(units, use_bias=False, name="key_projection", **kernel_only)
        else:
            self.key_projection = keras.layers.Dense(units, name="key_projection", **init)
            self.query_projection = keras.layers.Dense(units, use_bias=False, name="query_projection",
                                                       **kernel_only)
            self.energy = keras.layers.Dense(1, use_bias=False, name="energy", **kernel_only)

    def keys(self, memory: tf.Tensor) -> tf.Tensor:
        """The memory's projection, computed once per source (W m)."""
        return self.key_projection(memory)

    def scores(self, queries: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
        if self.kind == "multiplicative":
            return tf.matmul(queries, keys, transpose_b=True)
        hidden = tf.tanh(self.query_projection(queries)[:, :, None, :] + keys[:, None, :, :])
        return self.energy(hidden)[..., 0]

    def call(self, queries: tf.Tensor, keys: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        scores = self.scores(queries, keys)
        scores = tf.where(mask[:, None, :], scores, tf.cast(_MASKED_SCORE, scores.dtype))
        return tf.nn.softmax(scores, axis=-1)


class MemoryNetwork(keras.layers.Layer):
    """Multi-hop attention over the sentences of a source (end-to-end memory network, layer-wise tied).

    Slot i is sentence i of the source (tokens between separators): input and output
    vectors m_i = sum_j l_j A x_ij, c_i = sum_j l_j C x_ij with the position encoding
    l_kj = (1 - j/J) - (k/d)(1 - 2j/J). Each hop: p = softmax(u . m), u <- H u + sum_i p_i c_i.
    """

    def __init__(self, vocab_size: int, dim: int, hops: int, separator_id: int, pad_id: int,
                 name: str = "memory_network", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dim, self.hops, self.separator_id, self.pad_id = dim, hops, separator_id, pad_id
        self.input_embedding = keras.layers.Embedding(vocab_size, dim, name="input_embedding")
        self.output_embedding = keras.layers.Embedding(vocab_size, dim, name="output_embedding")
        self.hop_transform = keras.layers.Dense(dim, use_bias=False, name="hop_transform")

    def slots(self, sources: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """(input vectors [B, S, d], output vectors [B, S, d], slot mask [B, S]); slot s holds sentence s."""
        sources = tf.cast(sources, tf.int32)
        batch, length = tf.shape(sources)[0], tf.shape(sources)[1]
        is_separator = tf.equal(sources, self.separator_id)
        is_word = tf.logical_and(tf.not_equal(sources, self.pad_id), tf.logical_not(is_separator))
        # A separator opens the next sentence; clamped, as a source of separators only would overflow.
        sentence = tf.minimum(tf.cumsum(tf.cast(is_separator, tf.int32), axis=1), length - 1)  # [B, S]
        words = tf.cast(is_word, tf.float32)
        segments = tf.reshape(sentence + length * tf.range(batch)[:, None], [-1])  # one per (row, sentence)
        num_segments = batch * length
        words_before = tf.math.unsorted_segment_min(tf.reshape(tf.cumsum(words, axis=1, exclusive=True), [-1]),
                                                    segments, num_segments)
        position = tf.cumsum(words, axis=1) - tf.reshape(tf.gather(words_before, segments), [batch, length])
        sentence_length = tf.reshape(tf.gather(tf.math.unsorted_segment_sum(tf.reshape(words, [-1]), segments,
                                                                            num_segments), segments),
                                     [batch, length])  # J
        k = tf.range(1, self.dim + 1, dtype=tf.float32) / self.dim
        j_over_length = (position / tf.maximum(sentence_length, 1.0))[..., None]
        encoding = (1.0 - j_over_length) - k * (1.0 - 2.0 * j_over_length)  # [B, S, d]
        weights = encoding * words[..., None]

        def bag(embedding):
            summed = tf.math.unsorted_segment_sum(tf.reshape(weights * embedding(sources), [-1, self.dim]),
                                                  segments, num_segments)
            return tf.reshape(summed, [batch, length, self.dim])

        slot_mask = tf.reshape(tf.math.unsorted_segment_max(tf.reshape(words, [-1]), segments, num_segments),
                               [batch, length]) > 0
        return bag(self.input_embedding), bag(self.output_embedding), slot_mask

    def attention_weights(self, query: tf.Tensor, inputs: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        scores = tf.einsum("bd,bsd->bs", query, inputs)
        return tf.nn.softmax(tf.where(mask, scores, _MASKED_SCORE), axis=-1)

    def call(self, sources: tf.Tensor, query: tf.Tensor) -> tf.Tensor:
        """The query [B, d] after `hops` reads of the memory."""
        inputs, outputs, mask = self.slots(sources)
        for _ in range(self.hops):
            weights = self.attention_weights(query, inputs, mask)
            query = self.hop_transform(query) + tf.einsum("bs,bsd->bd", weights, outputs)
        return query


class Seq2SeqGenerator(keras.Model):
    """Encoder-decoder with attention; see the module docstring."""

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_dim: int, num_layers: int = 1,
                 dropout: float = 0.0, init_stddev: float = 0.0, attention: str = "multiplicative",
                 hard_attention: bool = False, memory_hops: int = 0, separator_id: int = -1, pad_id: int = 0,
                 output: OutputLayerSpec | None = None, name: str = "seq2seq_generator", **kwargs):
        super().__init__(name=name, **kwargs)
        self.vocab_size, self.embedding_dim, self.hidden_dim = vocab_size, embedding_dim, hidden_dim
        self.dropout, self.hard_attention, self.pad_id = dropout, hard_attention, pad_id
        init = {}
        if init_stddev > 0:
            normal = keras.initializers.RandomNormal(stddev=init_stddev)
            init = {"kernel_initializer": normal, "bias_initializer": normal}
        recurrent = dict(init, recurrent_initializer=init["kernel_initializer"], unit_forget_bias=False) if init else {}
        self.embedding = keras.layers.Embedding(
            vocab_size, embedding_dim, name="embedding",
            **({"embeddings_initializer": init["kernel_initializer"]} if init else {}))
        self.encoder = keras.layers.LSTM(hidden_dim, return_sequences=True, return_state=True, name="encoder",
                                         **recurrent)
        self.lstms = []
        for i in range(num_layers):
            lstm = keras.layers.LSTM(hidden_dim, return_sequences=True, return_state=True, name=f"decoder_{i}",
                                     **recurrent)
            setattr(self, f"decoder_{i}", lstm)  # an attribute, so that tf.train.Checkpoint tracks it
            self.lstms.append(lstm)
        self.attention = Attention(hidden_dim, attention, init)
        self.attentional = keras.layers.Dense(hidden_dim, activation="tanh", use_bias=False, name="attentional",
                                              **({"kernel_initializer": init["kernel_initializer"]} if init else {}))
        self.memory_network = None
        if memory_hops > 0:
            if separator_id < 0:
                raise ValueError("a memory network needs the id of the sentence separator")
            self.memory_network = MemoryNetwork(vocab_size, hidden_dim, memory_hops, separator_id, pad_id)
        self.output_spec = output or OutputLayerSpec()
        self.output_layer = build_output_layer(self.output_spec, vocab_size, init)
        self.output_loss = output_loss(self.output_spec, vocab_size)

    # --- encoder -----------------------------------------------------------------------------------
    def encode(self, sources: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None) -> Memory:
        sources = tf.cast(sources, tf.int32)
        mask = tf.not_equal(sources, self.pad_id)
        x = self._dropout(self.embedding(sources), training, seed, 0)
        values, h, c = self.encoder(x, mask=mask)
        values = self._dropout(values, training, seed, 1)
        if self.memory_network is not None:
            h = self.memory_network(sources, h)
        return Memory(values, self.attention.keys(values), mask, tuple((h, c) for _ in self.lstms))

    # --- decoder -----------------------------------------------------------------------------------
    def decode(self, memory: Memory, inputs: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None,
               return_attention: bool = False):
        """Attentional vectors [B, T, H] for decoder inputs [B, T] (the target behind bos); with
        `return_attention`, also the log attention weight of each step's context [B, T] (hard attention)."""
        x = self._dropout(self.embedding(inputs), training, seed, 2)
        for i, (lstm, (h, c)) in enumerate(zip(self.lstms, memory.state)):
            x = lstm(x, initial_state=[h, c])[0]
            x = self._dropout(x, training, seed, 3 + i)
        sample_seed = None if seed is None or not training else tf.random.experimental.stateless_fold_in(seed, 99)
        attended, chosen = self._attend(x, memory, sample_seed)
        return (attended, chosen) if return_attention else attended

    def _attend(self, queries: tf.Tensor, memory: Memory, sample_seed: tf.Tensor | None):
        weights = self.attention(queries, memory.keys, memory.mask)  # [B, Tq, S]
        chosen_log_weight = tf.zeros(tf.shape(weights)[:2])
        if not self.hard_attention:
            context = tf.matmul(weights, memory.values)
        else:
            if sample_seed is None:
                position = tf.argmax(weights, axis=-1, output_type=tf.int32)
            else:  # per-example uniforms, inverted through each step's CDF
                uniforms = replicas.uniform(tf.shape(weights)[:2], sample_seed)
                cdf = tf.cumsum(weights, axis=-1)
                position = tf.minimum(tf.reduce_sum(tf.cast(cdf <= uniforms[..., None], tf.int32), axis=-1),
                                      tf.shape(weights)[-1] - 1)
            context = tf.gather(memory.values, position, batch_dims=1)
            chosen_log_weight = tf.math.log(tf.gather(weights, position, batch_dims=2) + 1e-12)
        return self.attentional(tf.concat([context, queries], axis=-1)), chosen_log_weight

    def step(self, token_ids: tf.Tensor, state) -> tuple[tf.Tensor, tuple]:
        """Logits [B, V] of the next token; `state` = (decoder (h, c) per layer, Memory fields)."""
        lstm_state, memory = state
        x = self.embedding(token_ids)
        new_state = []
        for lstm, (h, c) in zip(self.lstms, lstm_state):
            x, (h, c) = lstm.cell(x, [h, c])
            new_state.append((h, c))
        attended, _ = self._attend(x[:, None, :], Memory(*memory), None)
        return self.output_layer(attended[:, 0]), (tuple(new_state), memory)

    def call(self, inputs, training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
        """Logits [B, T, V] for inputs (sources [B, S], decoder inputs [B, T])."""
        sources, decoder_inputs = inputs
        return self.output_layer(self.decode(self.encode(sources, training, seed), decoder_inputs, training, seed))

    def conditioned(self, sources: tf.Tensor) -> "ConditionedGenerator":
        return ConditionedGenerator(self, sources)

    def build_variables(self, source_length: int = 1) -> "Seq2SeqGenerator":
        self((tf.ones([1, source_length], tf.int32), tf.zeros([1, 1], tf.int32)))
        return self

    def _dropout(self, x, training, seed, index):
        if not training or self.dropout <= 0.0 or seed is None:
            return x
        return replicas.dropout(x, self.dropout, tf.random.experimental.stateless_fold_in(seed, index))


class ConditionedGenerator:
    """A Seq2SeqGenerator with its sources bound: the interface of an unconditional generator.

    Rows of a batch of n * B sequences answer the B sources in order, n rows each
    (the layout of `rollout.complete`).
    """

    def __init__(self, model: Seq2SeqGenerator, sources: tf.Tensor):
        self.model, self.sources = model, tf.cast(sources, tf.int32)
        self.output_layer, self.output_loss = model.output_layer, model.output_loss
        self.hard_attention = model.hard_attention

    @property
    def trainable_variables(self):
        return self.model.trainable_variables

    @property
    def variables(self):
        return self.model.variables

    def _sources_for(self, batch_size) -> tf.Tensor:
        return tf.repeat(self.sources, batch_size // tf.shape(self.sources)[0], axis=0)

    def initial_state(self, batch_size):
        memory = self.model.encode(self._sources_for(batch_size))
        return memory.state, (memory.values, memory.keys, memory.mask, ())

    def step(self, token_ids, state):
        return self.model.step(token_ids, state)

    def hidden_states(self, inputs, training: bool = False, seed=None, return_attention: bool = False):
        memory = self.model.encode(self._sources_for(tf.shape(inputs)[0]), training, seed)
        return self.model.decode(memory, inputs, training, seed, return_attention)

    def __call__(self, inputs, training: bool = False, seed=None):
        return self.output_layer(self.hidden_states(inputs, training, seed))


def hard_attention_losses(generator: ConditionedGenerator, tokens: tf.Tensor, inputs: tf.Tensor, mask: tf.Tensor,
                          seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(surrogate [B, T], token NLL [B, T]) of a hard-attention generator on teacher-forced `tokens`.

    The surrogate's gradient is the NLL's for everything but the position choice, plus
    REINFORCE for the choice: reward log p(y_t | chosen context) minus its batch mean at step t.
    """
    hidden, log_weight = generator.hidden_states(inputs, training=True, seed=seed, return_attention=True)
    logits = generator.output_layer(hidden)
    token_log_prob = tf.gather(tf.nn.log_softmax(logits), tf.cast(tokens, tf.int32), batch_dims=2) * mask
    reward = tf.stop_gradient(token_log_prob)
    baseline = tf.reduce_sum(reward, axis=0) / tf.maximum(tf.reduce_sum(mask, axis=0), 1.0)
    surrogate = -(token_log_prob + (reward - baseline) * mask * log_weight)
    return surrogate, -token_log_prob
