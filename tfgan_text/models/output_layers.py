"""Faster output layers for MLE training over large vocabularies (`--output_layer`).

The generator's logits are always exact: sampling, NLL-test, NLL-oracle,
export and adversarial log-probabilities read `Generator.call` / `step`. Only
the MLE training step (`methods.mle.mle_loss`) swaps the full-softmax
cross-entropy for the estimate named by `--output_layer`:

    full                  -log softmax(z)_y over all V words (the reference).
    sampled_softmax       importance sampling (Bengio & Senecal 2008; Jean et al. 2015): the
                          partition sum over the non-target words is estimated from k words drawn
                          from a proposal q; the target's own term is exact. Consistent: as k
                          grows the loss and its gradient tend to the full softmax's.
    nce                   noise-contrastive estimation (Gutmann & Hyvarinen 2010; Mnih & Teh
                          2012): logistic regression of the target against k noise words with
                          scores z - log(k q). Its optimum is the normalised distribution with
                          the logits self-normalised (sum_w exp(z_w) = 1).
    negative_sampling     Mikolov et al. 2013: NCE without the log(k q) correction. Its optimum
                          is z_w = log p(w) - log(k q_w): not a normalised model unless q is
                          uniform (Dyer 2014); kept because it is widely used, reported honestly.
    blackout              Ji et al. 2016: the weighted softmax p~ over {target} + samples, weights
                          1/(k q), with the discriminative loss -log p~_y - sum_s log(1 - p~_s).
    hierarchical_softmax  two-level factorisation p(w) = p(class(w)) p(w | class(w)) over about
                          sqrt(V) frequency-ranked classes (Goodman 2001; Mikolov et al. 2011).

Hierarchical softmax is a different *model*, not an estimator: `HierarchicalSoftmax`
replaces the dense output layer and its `call` materialises the exact normalised
log-probabilities over all V words (the sum over w of p(class(w)) p(w | class) is 1),
so the generator's "logits" are those log-probabilities (softmax(log p) = p) and every
consumer of logits stays correct; training uses `target_log_probs`, which touches
only the target's class, O((C + V/C) H) per token.

Negatives are shared by the whole batch (one draw of k words per step, as in
TensorFlow's candidate samplers) and drawn *with replacement* from a stateless
seeded sampler, so a resumed run draws the same words; the expected count of
word w among the k draws is then exactly k q_w. TensorFlow's `tf.nn.*_loss`
functions take weights as [V, H] (the Dense kernel is [H, V]: a per-step
transpose of the whole output matrix) and stateful samplers, so the losses are
written here as pure functions; tests check that they equal `tf.nn.nce_loss` and
`tf.nn.sampled_softmax_loss` given the same candidates.
"""
from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
import tensorflow as tf

OUTPUT_LAYERS = ("full", "sampled_softmax", "nce", "negative_sampling", "blackout", "hierarchical_softmax")
SAMPLED_OUTPUT_LAYERS = ("sampled_softmax", "nce", "negative_sampling", "blackout")
PROPOSALS = ("log_uniform", "unigram")
_MASKED = -1e9  # logit of a candidate removed from a softmax
_SAMPLER_SALT = 104_729  # folded into the step's seed (dropout uses small indices) for the negatives


# --- proposals -------------------------------------------------------------------------------------
def log_uniform_probabilities(vocab_size: int) -> np.ndarray:
    """Zipfian q(w) = log((w + 2) / (w + 1)) / log(V + 1): assumes ids sorted by decreasing frequency."""
    ids = np.arange(vocab_size, dtype=np.float64)
    return np.log((ids + 2.0) / (ids + 1.0)) / np.log(vocab_size + 1.0)


def unigram_probabilities(word_counts: np.ndarray) -> np.ndarray:
    """Training-data unigram frequencies, add-one smoothed so that every word can be drawn
    (an importance sampler must cover every word whose probability it estimates)."""
    counts = np.asarray(word_counts, np.float64) + 1.0
    return counts / counts.sum()


def token_counts(tokens: np.ndarray, vocab_size: int, eos_id: int | None) -> np.ndarray:
    """How often each id occurs among the real tokens of `tokens` [N, T] (eos included, pad after it not)."""
    tokens = np.asarray(tokens)
    if eos_id is None:
        real = np.ones(tokens.shape, bool)
    else:
        real = np.cumsum(tokens == eos_id, axis=1) - (tokens == eos_id) == 0
    return np.bincount(tokens[real].ravel(), minlength=vocab_size)[:vocab_size]


def draw_candidates(log_q: tf.Tensor, cdf: tf.Tensor, num_sampled: int, seed: tf.Tensor) -> tf.Tensor:
    """`num_sampled` ids [k] drawn with replacement from q (inverse CDF, stateless)."""
    uniform = tf.random.stateless_uniform([num_sampled], seed=tf.cast(seed, tf.int32), dtype=cdf.dtype)
    ids = tf.searchsorted(cdf, uniform * cdf[-1], side="right", out_type=tf.int32)
    return tf.minimum(ids, tf.shape(log_q)[0] - 1)


# --- pure losses: kernel [H, V], bias [V], hidden [N, H], labels [N], sampled [k], log_q [V] -> [N] --
def _true_logits(kernel, bias, hidden, labels):
    return tf.einsum("nh,hn->n", hidden, tf.gather(kernel, labels, axis=1)) + tf.gather(bias, labels)


def _sampled_logits(kernel, bias, hidden, sampled):
    return tf.matmul(hidden, tf.gather(kernel, sampled, axis=1)) + tf.gather(bias, sampled)


def _log_expected_counts(log_q, ids, num_sampled):
    """log(k q(id)): the log of the expected number of times `id` is among k draws with replacement."""
    return tf.gather(log_q, ids) + tf.math.log(tf.cast(num_sampled, log_q.dtype))


def _accidental_hits(labels, sampled):
    return tf.equal(labels[:, None], sampled[None, :])


def full_softmax_loss(kernel, bias, hidden, labels) -> tf.Tensor:
    """-log softmax(hidden kernel + bias)_label: the reference every estimate is compared with."""
    logits = tf.matmul(hidden, kernel) + bias
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def sampled_softmax_loss(kernel, bias, hidden, labels, sampled, log_q) -> tf.Tensor:
    """log(exp(z_y) + Z^) - z_y, with Z^ = sum over the draws s != y of exp(z_s) / (k q_s).

    Z^ is an unbiased (importance-sampling) estimate of the partition sum over the
    words other than the target, whose own term is exact; so the loss and its gradient
    tend to the full softmax's as k grows (bias O(1/k)). In TensorFlow's terms:
    subtract_log_q on the sampled logits, remove_accidental_hits=True, and a true
    expected count of 1. (TensorFlow's default, which also divides the target by
    its expected count k q_y, tends to -log(p_y / (1 - p_y)) instead, whose optimum
    is not the data distribution.)
    """
    num_sampled = tf.shape(sampled)[0]
    true = _true_logits(kernel, bias, hidden, labels)
    logits = _sampled_logits(kernel, bias, hidden, sampled) - _log_expected_counts(log_q, sampled, num_sampled)
    logits = tf.where(_accidental_hits(labels, sampled), _MASKED, logits)
    return tf.reduce_logsumexp(tf.concat([true[:, None], logits], axis=1), axis=1) - true


def nce_loss(kernel, bias, hidden, labels, sampled, log_q) -> tf.Tensor:
    """-log sigma(z_y - log k q_y) - sum_s log(1 - sigma(z_s - log k q_s)) (= tf.nn.nce_loss).

    Every draw is a noise sample, even one equal to the target: the expected gradient
    w.r.t. z_w is -p_w (1 - sigma_w) + k q_w sigma_w, zero exactly at z_w = log p_w,
    i.e. at the normalised distribution with self-normalised logits.
    """
    num_sampled = tf.shape(sampled)[0]
    true = _true_logits(kernel, bias, hidden, labels) - _log_expected_counts(log_q, labels, num_sampled)
    noise = _sampled_logits(kernel, bias, hidden, sampled) - _log_expected_counts(log_q, sampled, num_sampled)
    return tf.nn.softplus(-true) + tf.reduce_sum(tf.nn.softplus(noise), axis=1)


def negative_sampling_loss(kernel, bias, hidden, labels, sampled, log_q) -> tf.Tensor:
    """-log sigma(z_y) - sum_s log(1 - sigma(z_s)): NCE without the log(k q) correction.

    `log_q` only fixes the proposal the caller drew from; it does not enter the loss.
    The expected gradient -p_w (1 - sigma(z_w)) + k q_w sigma(z_w) vanishes at
    z_w = log p_w - log(k q_w): the scores learn p/q, so the softmax of the learned
    logits is the data distribution only for a uniform proposal.
    """
    del log_q
    true = _true_logits(kernel, bias, hidden, labels)
    noise = _sampled_logits(kernel, bias, hidden, sampled)
    return tf.nn.softplus(-true) + tf.reduce_sum(tf.nn.softplus(noise), axis=1)


def blackout_loss(kernel, bias, hidden, labels, sampled, log_q) -> tf.Tensor:
    """BlackOut (Ji et al. 2016): -log p~_y - sum over draws s != y of log(1 - p~_s).

    p~ is the softmax over {y} + the draws of the weighted scores w_j exp(z_j), w_j =
    1/(k q_j) (the paper's 1/q_j: the common 1/k cancels). Draws equal to the target
    are removed (the paper samples from V minus the target). The weighted sum over the
    draws is an unbiased estimate of sum_{j != y} exp(z_j); with the whole vocabulary
    as the sample and a uniform proposal, p~ is the exact softmax and the loss is the
    full-softmax cross-entropy plus the full discriminative term.
    """
    num_sampled = tf.shape(sampled)[0]
    true = _true_logits(kernel, bias, hidden, labels) - _log_expected_counts(log_q, labels, num_sampled)
    logits = _sampled_logits(kernel, bias, hidden, sampled) - _log_expected_counts(log_q, sampled, num_sampled)
    hits = _accidental_hits(labels, sampled)
    logits = tf.where(hits, _MASKED, logits)
    log_normaliser = tf.reduce_logsumexp(tf.concat([true[:, None], logits], axis=1), axis=1, keepdims=True)
    log_p_sampled = tf.minimum(logits - log_normaliser, -1e-7)
    log_not_sampled = tf.where(log_p_sampled > -0.693, tf.math.log(-tf.math.expm1(log_p_sampled)),
                               tf.math.log1p(-tf.exp(log_p_sampled)))  # log(1 - p~), stable at both ends
    log_not_sampled = tf.where(hits, 0.0, log_not_sampled)
    return (log_normaliser[:, 0] - true) - tf.reduce_sum(log_not_sampled, axis=1)


SAMPLED_LOSSES = {"sampled_softmax": sampled_softmax_loss, "nce": nce_loss,
                  "negative_sampling": negative_sampling_loss, "blackout": blackout_loss}


# --- hierarchical softmax --------------------------------------------------------------------------
def frequency_classes(word_counts: np.ndarray, num_classes: int) -> tuple[np.ndarray, int, int]:
    """Frequency-ranked classes: (slot of each word [V] = class * M + position, classes C, class size M).

    Words are sorted by decreasing count (ties by id) and cut into runs of M =
    ceil(V / num_classes) words, so frequent words share classes with frequent words;
    C = ceil(V / M) <= num_classes, so that no class is empty (an empty class would
    keep probability mass that no word receives).
    Equal-size runs rather than Mikolov's equal-probability-mass bins: the batched
    cost is set by the largest class, and equal-mass bins on a Zipfian vocabulary
    put most of the words into the last bin.
    """
    vocab_size = len(word_counts)
    class_size = -(-vocab_size // num_classes)
    order = np.lexsort((np.arange(vocab_size), -np.asarray(word_counts)))  # most frequent first
    slots = np.empty(vocab_size, np.int32)
    slots[order] = np.arange(vocab_size, dtype=np.int32)  # rank r -> class r // M, position r % M
    return slots, -(-vocab_size // class_size), class_size


class HierarchicalSoftmax(keras.layers.Layer):
    """p(w | h) = softmax(h A + a)_class(w) * softmax over the class's words of (h B_class + b_class)_w.

    `call` returns the exact normalised log-probabilities over all V words, in id
    order (what the generator exposes as logits); `target_log_probs` computes only
    the target's, which is what training needs. The word -> slot map is a
    non-trainable variable, so checkpoints and exports carry the factorisation.
    """

    def __init__(self, word_counts: np.ndarray, num_classes: int, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = len(word_counts)
        self._initial_slots, self.num_classes, self.class_size = frequency_classes(word_counts, num_classes)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        hidden_dim = int(input_shape[-1])
        classes, size = self.num_classes, self.class_size
        self.class_kernel = self.add_weight(shape=(hidden_dim, classes), initializer=self.kernel_initializer,
                                            name="class_kernel")
        self.class_bias = self.add_weight(shape=(classes,), initializer=self.bias_initializer, name="class_bias")
        self.word_kernel = self.add_weight(shape=(classes, size, hidden_dim), initializer=self.kernel_initializer,
                                           name="word_kernel")
        self.word_bias = self.add_weight(shape=(classes, size), initializer=self.bias_initializer, name="word_bias")
        slots = self._initial_slots
        self.slot_of_word = self.add_weight(shape=(self.vocab_size,), dtype="int32", trainable=False,
                                            initializer=lambda shape, dtype=None: tf.constant(slots, tf.int32),
                                            name="slot_of_word")

    def _slot_is_word(self) -> tf.Tensor:
        """[C, M] True where a slot holds a word (the last class may be padded)."""
        used = tf.scatter_nd(tf.cast(self.slot_of_word, tf.int32)[:, None],
                             tf.ones([self.vocab_size], tf.bool), [self.num_classes * self.class_size])
        return tf.reshape(used, [self.num_classes, self.class_size])

    def call(self, hidden: tf.Tensor) -> tf.Tensor:
        """Normalised log p(w | h) [..., V] for hidden [..., H]: sums to 1 over w (exp)."""
        classes, size = self.num_classes, self.class_size
        class_log_probs = tf.nn.log_softmax(tf.einsum("...h,hc->...c", hidden, self.class_kernel) + self.class_bias)
        word_logits = (tf.einsum("...h,cmh->...cm", hidden, self.word_kernel) + self.word_bias)
        word_logits = tf.where(self._slot_is_word(), word_logits, _MASKED)
        slot_log_probs = class_log_probs[..., None] + tf.nn.log_softmax(word_logits)  # [..., C, M]
        flat = tf.reshape(slot_log_probs, tf.concat([tf.shape(hidden)[:-1], [classes * size]], axis=0))
        return tf.gather(flat, tf.cast(self.slot_of_word, tf.int32), axis=-1)

    def target_log_probs(self, hidden: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        """log p(label | h) [N] for hidden [N, H], labels [N], touching only each label's class."""
        slots = tf.gather(tf.cast(self.slot_of_word, tf.int32), labels)
        word_class, position = slots // self.class_size, slots % self.class_size
        class_logits = tf.matmul(hidden, self.class_kernel) + self.class_bias
        class_log_prob = tf.gather(tf.nn.log_softmax(class_logits), word_class, batch_dims=1)
        word_logits = (tf.einsum("nh,nmh->nm", hidden, tf.gather(self.word_kernel, word_class))
                       + tf.gather(self.word_bias, word_class))
        word_logits = tf.where(tf.gather(self._slot_is_word(), word_class), word_logits, _MASKED)
        word_log_prob = tf.gather(tf.nn.log_softmax(word_logits), position, batch_dims=1)
        return class_log_prob + word_log_prob


# --- what a generator carries ----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class OutputLayerSpec:
    """The output layer of a generator and how MLE trains it (the --output_layer flags)."""

    kind: str = "full"
    num_sampled: int = 1024
    proposal: str = "unigram"
    word_counts: np.ndarray | None = None  # training-data counts [V]: unigram proposal, classes
    num_classes: int = 0  # hierarchical softmax; 0: ceil(sqrt(V))

    def __post_init__(self):
        if self.kind not in OUTPUT_LAYERS:
            raise ValueError(f"unknown output layer {self.kind!r}; expected one of {', '.join(OUTPUT_LAYERS)}")
        if self.proposal not in PROPOSALS:
            raise ValueError(f"unknown proposal {self.proposal!r}; expected one of {', '.join(PROPOSALS)}")


class OutputLoss:
    """The per-token MLE training loss of a non-full output layer: (output layer, hidden, labels, seed) -> loss."""

    def __init__(self, spec: OutputLayerSpec, vocab_size: int):
        self.spec, self.vocab_size = spec, vocab_size
        if spec.kind in SAMPLED_OUTPUT_LAYERS:
            if spec.proposal == "unigram":
                if spec.word_counts is None:
                    raise ValueError("the unigram proposal needs the training data's word counts")
                q = unigram_probabilities(spec.word_counts)
            else:
                q = log_uniform_probabilities(vocab_size)
            self.log_q = tf.constant(np.log(q), tf.float32)
            self.cdf = tf.constant(np.cumsum(q), tf.float64)  # float64: the tail of 50,000 small terms

    def __call__(self, output_layer, hidden: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor | None) -> tf.Tensor:
        """Per-token loss [B, T] for hidden [B, T, H] and labels [B, T] (before masking)."""
        flat_hidden = tf.reshape(hidden, [-1, tf.shape(hidden)[-1]])
        flat_labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
        if self.spec.kind == "hierarchical_softmax":
            loss = -output_layer.target_log_probs(flat_hidden, flat_labels)
        else:
            if seed is None:
                raise ValueError(f"--output_layer={self.spec.kind} draws negatives: it needs a seed")
            sampler_seed = tf.random.experimental.stateless_fold_in(tf.cast(seed, tf.int32), _SAMPLER_SALT)
            sampled = draw_candidates(self.log_q, self.cdf, self.spec.num_sampled, sampler_seed)
            loss = SAMPLED_LOSSES[self.spec.kind](output_layer.kernel, output_layer.bias, flat_hidden,
                                                  flat_labels, sampled, self.log_q)
        return tf.reshape(loss, tf.shape(labels))


def build_output_layer(spec: OutputLayerSpec, vocab_size: int, initializers: dict) -> keras.layers.Layer:
    """The generator's output layer: the dense logits, or the hierarchical softmax."""
    if spec.kind != "hierarchical_softmax":
        return keras.layers.Dense(vocab_size, name="logits", **initializers)
    if spec.word_counts is None:
        raise ValueError("the hierarchical softmax needs the training data's word counts")
    num_classes = spec.num_classes or math.ceil(math.sqrt(vocab_size))
    return HierarchicalSoftmax(spec.word_counts, min(num_classes, vocab_size), name="hierarchical_softmax",
                               **initializers)


def output_loss(spec: OutputLayerSpec, vocab_size: int) -> OutputLoss | None:
    """The training loss of `spec`, or None for the full softmax (trained through the generator's logits)."""
    return None if spec.kind == "full" else OutputLoss(spec, vocab_size)


def output_layer_spec(config, task) -> OutputLayerSpec:
    """The output layer of a `GeneratorConfig`, with `task`'s training counts."""
    kind = config.output_layer
    spec = OutputLayerSpec(kind, config.num_sampled, config.sampling_proposal, num_classes=config.hierarchical_classes)
    if kind in SAMPLED_OUTPUT_LAYERS and spec.proposal == "unigram" or kind == "hierarchical_softmax":
        counts = token_counts(task.train_targets, task.spec.vocab_size, task.spec.eos_id)
        spec = dataclasses.replace(spec, word_counts=counts)
    return spec
