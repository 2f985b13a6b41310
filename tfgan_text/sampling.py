"""The one token distribution, the one sampler and sequence log-probabilities.

Every method samples and scores through `token_distribution`, so that
temperature, top-k, banned ids (pad, bos) and masking after eos behave the
same everywhere. Sampling is one compiled loop over time for the whole batch;
all randomness is stateless, derived from the caller's int32 seed, and drawn
per example (`tfgan_text.replicas`): row i's tokens depend on (seed, its global
row i) only, so a batch split across replicas draws what one device draws.
"""
from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple, Protocol

import tensorflow as tf
import tensorflow_probability as tfp

from tfgan_text import replicas

tfd = tfp.distributions
BANNED_LOGIT = -1e9
_CDF_BLOCK = 64  # tokens per block of the two-level CDF search in `draw_tokens`


@dataclasses.dataclass(frozen=True)
class SequenceSpec:
    """The shape of the sequences of a task."""

    vocab_size: int
    max_length: int  # T: tokens per sequence, eos included
    bos_id: int  # the input before the first token
    eos_id: int | None = None  # None: every sequence is exactly T tokens
    pad_id: int = 0  # written after eos
    banned_ids: tuple[int, ...] = ()  # never generated (pad, bos)


class AutoregressiveGenerator(Protocol):
    """What the sampler, the roll-outs, the log-probabilities and export ask of a generator (the LSTM
    generator, ScratchGAN's, LeakGAN's, an encoder-decoder bound to its sources, a top-k wrapper).

    B: batch, T: time, V: vocabulary. `State` is any nest of tensors the generator threads through
    `step`; the sampler never looks inside it.
    """

    def initial_state(self, batch_size: tf.Tensor | int) -> Any:
        """The state before the first token, for `batch_size` sequences."""

    def step(self, token_ids: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        """Logits [B, V] of the next token after `token_ids` [B] int32, and the new state."""

    def __call__(self, inputs: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
        """Teacher forcing: logits [B, T, V] of every next token after `inputs` [B, T] int32 (bos first);
        equal to `step` applied token by token (tested for every generator)."""


class Samples(NamedTuple):
    tokens: tf.Tensor  # [N, T] int32, pad after eos
    log_probs: tf.Tensor  # [N, T] float32 under the sampling distribution, 0 after eos
    lengths: tf.Tensor  # [N] int32, eos included


def token_distribution(logits: tf.Tensor, spec: SequenceSpec, temperature: float | tf.Tensor = 1.0,
                       top_k: int = 0) -> tfd.Categorical:
    """Categorical over softmax(logits / temperature), banned ids removed, optionally top-k."""
    if not (isinstance(temperature, (int, float)) and temperature == 1):  # x / 1 is x: skip a pass over [.., V]
        logits = logits / tf.cast(temperature, logits.dtype)
    if spec.banned_ids:
        banned = tf.reduce_any(tf.equal(tf.range(spec.vocab_size)[:, None], list(spec.banned_ids)), axis=1)
        logits = tf.where(banned, tf.cast(BANNED_LOGIT, logits.dtype), logits)
    if top_k:
        kth_largest = tf.math.top_k(logits, k=top_k).values[..., -1:]
        logits = tf.where(logits < kth_largest, tf.cast(BANNED_LOGIT, logits.dtype), logits)
    return tfd.Categorical(logits=logits)


def token_log_prob(distribution: tfd.Categorical, tokens: tf.Tensor) -> tf.Tensor:
    """log p(token) under `distribution`: the value of `distribution.log_prob`, computed as the token's
    logit minus the log-sum-exp of the row. On CPU this is faster than tfp's broadcasting path, than
    log_softmax + gather (no [.., V] output is written) and than the fused sparse softmax cross-entropy
    (benchmarks/results/side_by_side.md, #18): forward and backward of a training step alike."""
    logits = distribution.logits_parameter()
    chosen = tf.gather(logits, tf.cast(tokens, tf.int32), batch_dims=len(tokens.shape))
    return chosen - tf.reduce_logsumexp(logits, axis=-1)


def sequence_mask(tokens: tf.Tensor, eos_id: int | None) -> tf.Tensor:
    """1.0 for positions up to and including the first eos, 0.0 after it."""
    if eos_id is None:
        return tf.ones_like(tokens, tf.float32)
    is_eos = tf.cast(tf.equal(tokens, eos_id), tf.int32)
    return tf.cast(tf.equal(tf.cumsum(is_eos, axis=1, exclusive=True), 0), tf.float32)


def teacher_forcing_inputs(tokens: tf.Tensor, bos_id: int) -> tf.Tensor:
    """The inputs that predict `tokens`: bos followed by all tokens but the last."""
    bos = tf.fill([tf.shape(tokens)[0], 1], tf.cast(bos_id, tokens.dtype))
    return tf.concat([bos, tokens[:, :-1]], axis=1)


def sequence_log_probs(generator: AutoregressiveGenerator, tokens: tf.Tensor, spec: SequenceSpec, temperature: float = 1.0,
                       training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
    """log p_G(x_t | x_<t) for every position of `tokens` [N, T]; 0 after eos."""
    logits = generator(teacher_forcing_inputs(tokens, spec.bos_id), training=training, seed=seed)
    log_probs = token_log_prob(token_distribution(logits, spec, temperature), tokens)
    return log_probs * sequence_mask(tokens, spec.eos_id)


def draw_tokens(distribution: tfd.Categorical, uniforms: tf.Tensor) -> tf.Tensor:
    """One token per row of `distribution` by inverting its CDF at `uniforms` [N] in [0, 1).

    The same law as `distribution.sample()`, but a row's draw needs only that
    row's uniform, so it does not depend on the other rows of the batch (see
    `tfgan_text.replicas`). The CDF is searched in two levels, blocks of
    `_CDF_BLOCK` tokens then tokens within the chosen block (a cumulative sum
    along a whole large vocabulary is slow on CPU), in float64 so that rare
    tokens keep their probability. Tokens of probability 0 (banned, outside
    top-k) are never drawn: the searches land only where the CDF rises.
    """
    return _draw(_shifted_logits(distribution), uniforms)[0]


def _shifted_logits(distribution: tfd.Categorical) -> tf.Tensor:
    """The logits minus each row's largest: their exponentials are the unnormalised probabilities."""
    logits = distribution.logits_parameter()
    return logits - tf.reduce_max(logits, axis=-1, keepdims=True)


def _draw(shifted: tf.Tensor, uniforms: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(tokens [N], log of each row's normaliser [N]) of `draw_tokens`, from shifted logits [N, V].

    The search runs on exp(shifted) and scales the uniform by the row's total instead of
    normalising the row first: a softmax and a log-softmax fewer per step, and the sampled
    token's log-probability is its shifted logit minus the returned log-normaliser (#18).
    """
    weights = tf.exp(shifted)
    rows, vocab = tf.shape(weights)[0], tf.shape(weights)[1]
    blocks = (vocab + _CDF_BLOCK - 1) // _CDF_BLOCK
    grouped = tf.reshape(tf.pad(weights, [[0, 0], [0, blocks * _CDF_BLOCK - vocab]]), [rows, blocks, _CDF_BLOCK])
    block_cdf = tf.cumsum(tf.cast(tf.reduce_sum(grouped, axis=-1), tf.float64), axis=-1)  # [N, blocks]
    total = block_cdf[:, -1:]
    target = tf.cast(uniforms, tf.float64)[:, None] * total
    # The last clause of each minimum: rounding may put the target at (or past) the end of the CDF.
    block = tf.minimum(tf.searchsorted(block_cdf, target, side="right"),
                       tf.searchsorted(block_cdf, total, side="left"))  # [N, 1]
    before = tf.where(block > 0, tf.gather(block_cdf, tf.maximum(block - 1, 0), batch_dims=1), tf.zeros_like(target))
    within = tf.cumsum(tf.cast(tf.gather(grouped, block[:, 0], batch_dims=1), tf.float64), axis=-1)  # [N, block]
    index = tf.minimum(tf.searchsorted(within, target - before, side="right"),
                       tf.searchsorted(within, within[:, -1:], side="left"))
    tokens = tf.cast(block[:, 0] * _CDF_BLOCK + index[:, 0], tf.int32)
    return tokens, tf.cast(tf.math.log(total[:, 0]), shifted.dtype)


def sample(generator: AutoregressiveGenerator, spec: SequenceSpec, num_samples: int | tf.Tensor, seed: tf.Tensor,
           temperature: float | tf.Tensor = 1.0, top_k: int = 0,
           prefix: tf.Tensor | None = None, prefix_length: int | tf.Tensor = 0,
           prefix_state=None, with_log_probs: bool = True,
           total_samples: int | tf.Tensor | None = None) -> Samples:
    """Samples `num_samples` sequences in one loop over time.

    With `prefix` [N, T], the first `prefix_length` tokens are taken from it
    instead of being drawn (roll-outs complete a prefix this way). The loop
    stops early once every sequence has emitted eos.

    `prefix_state`, with `prefix`, is the generator's state at step
    `prefix_length` (after reading bos and the prefix's first
    `prefix_length - 1` tokens): the loop then starts at `prefix_length`
    instead of re-reading the prefix, and the prefix positions get log-prob 0.
    `with_log_probs=False` skips the log-probs (all 0), a third of the cost of a
    step over a large vocabulary, for callers that need only tokens (roll-outs).

    Under a strategy with R replicas, this replica's `num_samples` rows are the
    rows [r * num_samples, (r + 1) * num_samples) of a global set of
    `total_samples` (default R * num_samples) drawn from `seed`: pass every
    replica the same seed (see `tfgan_text.replicas`).
    """
    seed = tf.cast(seed, tf.int32)
    temperature = tf.cast(temperature, tf.float32)
    num_samples = tf.convert_to_tensor(num_samples, tf.int32)
    prefix_length = tf.convert_to_tensor(prefix_length, tf.int32)
    state = generator.initial_state(num_samples)
    previous = tf.fill([num_samples], tf.constant(spec.bos_id, tf.int32))
    finished = tf.zeros([num_samples], tf.bool)
    lengths = tf.zeros([num_samples], tf.int32)
    start = tf.constant(0)
    known = tf.zeros([num_samples, 0], tf.int32)  # tokens before `start`, not re-generated
    if prefix_state is not None:
        start, state = prefix_length, prefix_state
        known = tf.cast(prefix[:, :start], tf.int32)
        previous = tf.where(start > 0, tf.gather(tf.cast(prefix, tf.int32), tf.maximum(start - 1, 0), axis=1),
                            previous)
        known_mask = sequence_mask(known, spec.eos_id)
        lengths = tf.cast(tf.reduce_sum(known_mask, axis=1), tf.int32)
        if spec.eos_id is not None:
            finished = tf.reduce_any(tf.equal(known, spec.eos_id), axis=1)
    token_steps = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    log_prob_steps = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    t = start
    while t < spec.max_length and not tf.reduce_all(finished):
        logits, state = generator.step(previous, state)
        shifted = _shifted_logits(token_distribution(logits, spec, temperature, top_k))
        # This replica's rows of the step's draw over the global set of samples (`tfgan_text.replicas`).
        uniforms = replicas.uniform([num_samples], tf.random.experimental.stateless_fold_in(seed, t), tf.float64,
                                    total_samples)
        token, log_normaliser = _draw(shifted, uniforms)
        if prefix is not None:
            token = tf.where(t < prefix_length, tf.cast(prefix[:, t], tf.int32), token)
        log_prob = (tf.gather(shifted, token, batch_dims=1) - log_normaliser if with_log_probs
                    else tf.zeros([num_samples]))
        lengths += tf.cast(tf.logical_not(finished), tf.int32)
        token = tf.where(finished, tf.constant(spec.pad_id, tf.int32), token)
        log_prob = tf.where(finished, tf.zeros_like(log_prob), log_prob)
        token_steps = token_steps.write(t - start, token)
        log_prob_steps = log_prob_steps.write(t - start, log_prob)
        if spec.eos_id is not None:
            finished = tf.logical_or(finished, tf.equal(token, spec.eos_id))
        previous = token
        t += 1
    padding = [[0, 0], [0, spec.max_length - t]]
    drawn_tokens = tf.transpose(tf.reshape(token_steps.stack(), [-1, num_samples]))  # reshape: no step ran
    drawn_log_probs = tf.transpose(tf.reshape(log_prob_steps.stack(), [-1, num_samples]))
    tokens = tf.pad(tf.concat([known, drawn_tokens], axis=1), padding, constant_values=spec.pad_id)
    log_probs = tf.pad(tf.concat([tf.zeros_like(known, tf.float32), drawn_log_probs], axis=1), padding)
    tokens = tf.ensure_shape(tokens, [None, spec.max_length])
    log_probs = tf.ensure_shape(log_probs, [None, spec.max_length])
    return Samples(tokens, log_probs, lengths)


class Sampler:
    """A compiled `sample` for one generator, with chunking for large requests."""

    def __init__(self, generator: AutoregressiveGenerator, spec: SequenceSpec, jit_compile: bool = False):
        self.generator, self.spec = generator, spec
        self._compiled = tf.function(self._sample, jit_compile=jit_compile)

    def _sample(self, num_samples, seed, temperature, top_k):
        return sample(self.generator, self.spec, num_samples, seed, temperature, top_k)

    def __call__(self, num_samples: int, seed, temperature: float = 1.0, top_k: int = 0,
                 chunk_size: int = 2048) -> Samples:
        """Samples in chunks of `chunk_size` (each chunk one compiled loop), seeded per chunk."""
        seed = tf.cast(seed, tf.int32)
        chunks = []
        for index, start in enumerate(range(0, num_samples, chunk_size)):
            size = min(chunk_size, num_samples - start)
            chunk_seed = tf.random.experimental.stateless_fold_in(seed, index)
            chunks.append(self._compiled(tf.constant(size), chunk_seed,
                                         tf.constant(temperature, tf.float32), top_k))
        return Samples(*[tf.concat(parts, axis=0) for parts in zip(*chunks)])
