"""Exports a trained generator as a SavedModel that TF Serving can load.

`export_generator(generator, task, export_dir, name)` (and `python -m tfgan_text.export --checkpoint_dir=runs/x`)
writes `<export_dir>/<name>/<version>/` (saved_model.pb, variables/, assets/vocab.txt) with two signatures:

- `serving_default`: generate(num_samples, temperature, seed[, max_length, top_k, batch_index]) ->
  token_ids, texts, log_prob (per sequence, under the sampling distribution), lengths.
- `score`: score(texts) -> log_likelihood (per sequence, eos included), token_nll, token_ids, lengths.

A WGAN-GP run (its convolutional generator writes every position at once from noise z ~ N(0, I)) is
exported with `serving_default` alone, same inputs and outputs: z is drawn statelessly from (seed,
batch_index), the logits are divided by temperature (and cut to top_k), and text is read out as the
run's --wgan_readout says (argmax or a sample per position), ending at the first eos or pad, exactly
as in training. Its `log_prob` is log p(text | z): the sum over the kept positions of the read-out
distribution's log-probabilities (at the end position, of ending there: eos or pad), conditional on
the noise draw, not a likelihood of the text. It has no `score` signature: an implicit model assigns
no likelihood to a given text, so a client asking for `score` gets TF Serving's error that the
signature is not found (HTTP 400) rather than numbers that would mean nothing.

A conditional run (--task=parallel|copy|reverse: an encoder-decoder generator) is exported with
`serving_default`: generate(source_texts [N], temperature, seed[, top_k, batch_index]) -> one answer per
source (texts [N], token_ids [N, T], log_prob, lengths), top_k 1 being greedy; and `score`:
score(source_texts [N], texts [N]) -> log_likelihood of each text given its source (eos included),
token_nll, token_ids, lengths. Sources are tokenised in-graph like the training data and padded to the
run's source length S; an empty source, one longer than S tokens, or more than --max_num_samples of
them fail with InvalidArgument. `describe` adds max_source_length.

The graph holds core TensorFlow ops only (no XLA, no tensorflow-text ops; tfp's Categorical sampling
lowers to core ops), so a stock `tensorflow_model_server` or a Python with TensorFlow alone can run it.
Texts are detokenised and tokenised inside the graph, from the vocabulary held as graph constants
(exact whatever characters a token holds); assets/vocab.txt carries it for clients (one token per line,
escaped as `Vocabulary.save` writes it). Inputs are bounded at export: a request beyond
the limits fails with InvalidArgument instead of exhausting the server's memory. The version folder
is written beside its final place under a hidden name and renamed into place, so a server polling the
base path never sees half a model.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile

import tensorflow as tf

from tfgan_text.config import DEFAULT_MAX_NUM_SAMPLES
from tfgan_text.data.tasks import Task
from tfgan_text.data.tokenizers import WORD_KEPT  # the word tokenizer's kept pieces
from tfgan_text.errors import UsageError
from tfgan_text.models.convolutional import ConvGenerator, output_spec, read_out
from tfgan_text.models.seq2seq import Seq2SeqGenerator
from tfgan_text.sampling import (BANNED_LOGIT, sample, sequence_log_probs, sequence_mask,
                                 token_distribution)

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_model_name(name: str, flag: str = "--name") -> None:
    """A TF Serving model name: a folder name that cannot climb out of the export root."""
    if not _NAME_PATTERN.match(name or ""):
        raise UsageError(f"{flag}={name}: a model name is letters, digits, '_', '.' or '-', "
                         "starting with a letter or digit")


# --- the served computation ----------------------------------------------------------------------

def _keep_top_k(logits: tf.Tensor, spec, top_k: tf.Tensor) -> tf.Tensor:
    """Logits outside the k largest allowed ones banned (`k` a tensor, 0: unchanged); the ordering
    (banned ids first, then top-k) is that of `token_distribution`."""

    def keep_top_k():
        allowed = token_distribution(logits, spec).logits_parameter()  # banned ids removed
        kth_largest = tf.math.top_k(allowed, k=top_k).values[..., -1:]
        return tf.where(allowed < kth_largest, tf.cast(BANNED_LOGIT, allowed.dtype), allowed)

    return tf.cond(top_k > 0, keep_top_k, lambda: logits)


class _TopKGenerator:
    """The generator seen through top-k: next-token logits outside the k largest are banned.

    `k` is a tensor (0: no top-k), so one exported graph serves every k; the ordering (banned ids
    first, then top-k) is that of `token_distribution`, so samples equal the in-process sampler's.
    """

    def __init__(self, generator, spec, top_k: tf.Tensor):
        self.generator, self.spec, self.top_k = generator, spec, top_k

    def initial_state(self, batch_size):
        return self.generator.initial_state(batch_size)

    def step(self, token_ids, state):
        logits, state = self.generator.step(token_ids, state)
        return _keep_top_k(logits, self.spec, self.top_k), state


class ServingModule(tf.Module):
    """A generator with its vocabulary and limits, as the `generate` and `score` functions."""

    has_score = True  # False for generators that assign no likelihood to a given text

    def __init__(self, generator, task: Task, max_num_samples: int = DEFAULT_MAX_NUM_SAMPLES,
                 vocabulary_file: str | None = None):
        super().__init__(name="tfgan_text_generator")
        if max_num_samples < 1:
            raise UsageError(f"--max_num_samples={max_num_samples}: must be >= 1")
        self._generator = generator
        # Keras 3 variables wrap a tf.Variable; tracking the wrapped ones is what lets the
        # Session-based loader of TF Serving find them (else: "Could not find variable ...").
        self._variables = [v.value for v in generator.variables]
        self._spec = task.spec
        self._limit = max_num_samples
        self._has_vocabulary = task.vocabulary is not None
        if self._has_vocabulary:
            tokens = task.vocabulary.tokens
            self._tokens = tf.constant(tokens)  # ids -> words: a gather, exact for every token
            self._word_ids = tf.lookup.StaticHashTable(  # words -> ids, unknown -> <unk>
                tf.lookup.KeyValueTensorInitializer(tf.constant(tokens), tf.range(len(tokens), dtype=tf.int64)),
                default_value=task.vocabulary.unk_id)
            self._tokenizer = task.tokenizer.name
            self._joiner = task.tokenizer.joiner
        if vocabulary_file is not None:
            self.vocabulary_file = tf.saved_model.Asset(vocabulary_file)  # copied to assets/
        self.generate = tf.function(self._generate, input_signature=self._generate_inputs())
        if self.has_score:
            self.score = tf.function(self._score, input_signature=self._score_inputs())
        self.describe = tf.function(self._describe, input_signature=[])  # not a signature: for the TF2 loader

    def _generate_inputs(self) -> list[tf.TensorSpec]:
        return [tf.TensorSpec([], tf.int32, "num_samples"), tf.TensorSpec([], tf.float32, "temperature"),
                tf.TensorSpec([], tf.int32, "seed"), tf.TensorSpec([], tf.int32, "max_length"),
                tf.TensorSpec([], tf.int32, "top_k"), tf.TensorSpec([], tf.int32, "batch_index")]

    def _score_inputs(self) -> list[tf.TensorSpec]:
        return [tf.TensorSpec([None], tf.string, "texts")]

    def _describe(self):
        """The limits set at export and the model's shape, for clients that split large requests."""
        return {"max_num_samples": tf.constant(self._limit), "max_length": tf.constant(self._spec.max_length),
                "vocab_size": tf.constant(self._spec.vocab_size)}

    def signatures(self) -> dict:
        # The tf.functions themselves (not concrete functions): only then are the tensor defaults
        # of the optional inputs saved in the SignatureDef, which TF Serving fills in when omitted.
        return {"serving_default": self.generate, **({"score": self.score} if self.has_score else {})}

    def _generate(self, num_samples, temperature, seed, max_length=tf.constant(0), top_k=tf.constant(0),
                  batch_index=tf.constant(0)):
        """`num_samples` sequences; `seed` and `batch_index` pick the stateless random stream
        (the same tokens as `Sampler(...)(n, [seed, 0], chunk_size=n)` for batch_index 0)."""
        spec = self._spec
        num_samples = self._checked(num_samples, temperature, max_length, top_k)
        stream = tf.random.experimental.stateless_fold_in(tf.stack([seed, 0]), batch_index)
        samples = sample(_TopKGenerator(self._generator, spec, top_k), spec, num_samples, stream, temperature)
        # max_length truncates: the first tokens are the same as without it.
        length = tf.where(max_length > 0, max_length, spec.max_length)
        tokens = samples.tokens[:, :length]
        log_probs = samples.log_probs[:, :length]
        return {"token_ids": tokens, "texts": self._detokenize(tokens),
                "log_prob": tf.reduce_sum(log_probs, axis=1), "lengths": tf.minimum(samples.lengths, length)}

    def _checked(self, num_samples, temperature, max_length, top_k):
        """`num_samples`, once the generate inputs are known to be within the export's limits."""
        spec = self._spec
        checks = [
            tf.debugging.assert_positive(num_samples, message="num_samples must be >= 1"),
            tf.debugging.assert_less_equal(num_samples, self._limit, message=(
                f"num_samples must be <= {self._limit} (the limit set at export); ask for more in several "
                "requests with batch_index 0, 1, ...")),
            tf.debugging.assert_positive(temperature, message="temperature must be > 0"),
            tf.debugging.assert_non_negative(max_length, message="max_length must be >= 0 (0: the model's)"),
            tf.debugging.assert_less_equal(max_length, spec.max_length,
                                           message=f"max_length must be <= {spec.max_length}"),
            tf.debugging.assert_non_negative(top_k, message="top_k must be >= 0 (0: no top-k)"),
            tf.debugging.assert_less_equal(top_k, spec.vocab_size,
                                           message=f"top_k must be <= {spec.vocab_size} (the vocabulary)"),
        ]
        with tf.control_dependencies(checks):  # the checks run before any sampling starts
            return tf.identity(num_samples)

    def _score(self, texts):
        """log p(text) under the model (temperature 1), text tokenised like the training data."""
        size_check = tf.debugging.assert_less_equal(tf.size(texts), self._limit, message=(
            f"at most {self._limit} texts per request (the limit set at export)"))
        with tf.control_dependencies([size_check]):
            texts = tf.identity(texts)
        return self._scored(self._generator, texts)

    def _scored(self, generator, texts):
        """The `score` outputs of `texts` under `generator` (an unconditional one, or one bound to sources).

        The length contract is the sampler's: a text of fewer than T tokens is scored with its end token,
        log p(text + eos); a text of exactly T tokens is what the sampler emits when it reaches the length
        limit without an end token, and is scored as those T tokens. So every text `serving_default`
        can emit is accepted, and its score equals the `log_prob` it was generated with."""
        spec = self._spec
        ids = self._tokenize(texts)
        num_words = tf.cast(ids.row_lengths(), tf.int32)
        length_check = tf.debugging.assert_less_equal(num_words, spec.max_length, message=(
            f"a text has more than {spec.max_length} tokens, the model's maximum length"))
        with tf.control_dependencies([length_check]):
            ids = tf.identity(ids)
        if spec.eos_id is not None:  # the end token, unless the text fills the whole length
            ids = tf.concat([ids, tf.fill([tf.shape(texts)[0], 1], spec.eos_id)], axis=1)
            num_words = tf.minimum(num_words + 1, spec.max_length)
        tokens = ids.to_tensor(default_value=spec.pad_id, shape=[None, spec.max_length])
        mask = tf.sequence_mask(num_words, spec.max_length, tf.float32)
        log_probs = sequence_log_probs(generator, tokens, spec) * mask
        return {"log_likelihood": tf.reduce_sum(log_probs, axis=1), "token_nll": -log_probs,
                "token_ids": tokens, "lengths": num_words}

    # --- text <-> ids with core string ops ---
    def _detokenize(self, tokens):
        if not self._has_vocabulary:  # oracle task: the ids themselves
            return tf.strings.reduce_join(tf.strings.as_string(tokens), axis=1, separator=" ")
        spec = self._spec
        is_eos = tf.cast(tf.equal(tokens, spec.eos_id), tf.int32)
        before_eos = tf.equal(tf.cumsum(is_eos, axis=1), 0)
        shown = before_eos & tf.not_equal(tokens, spec.pad_id) & tf.not_equal(tokens, spec.bos_id)
        words = tf.ragged.boolean_mask(tf.gather(self._tokens, tokens), shown)
        return tf.strings.reduce_join(words, axis=1, separator=self._joiner)

    def _tokenize(self, texts) -> tf.RaggedTensor:
        """Ragged int32 ids [N, (words)]; core-op versions of tfgan_text.data.tokenizers."""
        if not self._has_vocabulary:
            ids = tf.strings.to_number(tf.strings.split(texts), tf.int32)
            in_range = tf.debugging.assert_less(ids.flat_values, self._spec.vocab_size, message=(
                f"token ids must be in [0, {self._spec.vocab_size})"))
            with tf.control_dependencies([in_range, tf.debugging.assert_non_negative(
                    ids.flat_values, message="token ids must be >= 0")]):
                return tf.identity(ids)
        if self._tokenizer == "char":
            words = tf.strings.unicode_split(texts, "UTF-8")
        elif self._tokenizer == "word":
            # Lower-case, put spaces around clitics, punctuation and symbols, then split on spaces.
            lowered = tf.strings.lower(texts, encoding="utf-8")
            # The samples' own "<unk>" is one (unknown) word, not "<", "unk", ">": a private-use character
            # that no pattern splits and no vocabulary holds stands in for it.
            lowered = tf.strings.regex_replace(lowered, "<unk>", " \ue000 ")
            words = tf.strings.split(tf.strings.regex_replace(lowered, f"({WORD_KEPT})", r" \1 "))
        else:
            words = tf.strings.split(texts)
        return tf.cast(tf.ragged.map_flat_values(self._word_ids.lookup, words), tf.int32)


class ConvServingModule(ServingModule):
    """WGAN-GP's convolutional generator as `generate` alone (no likelihood of a given text: no `score`)."""

    has_score = False

    def __init__(self, generator: ConvGenerator, task: Task, max_num_samples: int = DEFAULT_MAX_NUM_SAMPLES,
                 vocabulary_file: str | None = None, readout: str = "argmax"):
        if readout not in ("argmax", "sample"):
            raise UsageError(f"--wgan_readout={readout}: must be argmax or sample")
        self._readout = readout
        super().__init__(generator, task, max_num_samples, vocabulary_file)

    def _generate(self, num_samples, temperature, seed, max_length=tf.constant(0), top_k=tf.constant(0),
                  batch_index=tf.constant(0)):
        """Read-outs of G(z) for `num_samples` noise draws from (seed, batch_index): at temperature 1
        without top-k, the tokens of the training evaluator's `WGANEvaluator.generate(n, [seed, 0])`
        (batch_index b: its chunk b, chunks of n)."""
        spec = self._spec
        num_samples = self._checked(num_samples, temperature, max_length, top_k)
        stream = tf.random.experimental.stateless_fold_in(tf.stack([seed, 0]), batch_index)
        noise_seed, readout_seed = (tf.random.experimental.stateless_fold_in(stream, i) for i in range(2))
        logits = self._generator(self._generator.noise(num_samples, noise_seed))
        logits = _keep_top_k(logits / temperature, output_spec(spec), top_k)
        tokens = read_out(logits, spec, self._readout, readout_seed)
        log_probs = tf.nn.log_softmax(token_distribution(logits, output_spec(spec)).logits_parameter())
        chosen = tf.gather(log_probs, tokens, batch_dims=2)
        if spec.eos_id is not None:  # the end position: eos or pad, both read out as the end
            ending = tf.reduce_logsumexp(tf.gather(log_probs, [spec.eos_id, spec.pad_id], axis=-1), axis=-1)
            chosen = tf.where(tf.equal(tokens, spec.eos_id), ending, chosen)
        mask = sequence_mask(tokens, spec.eos_id)
        length = tf.where(max_length > 0, max_length, spec.max_length)  # truncates, as for the LSTM
        tokens, chosen, mask = tokens[:, :length], chosen[:, :length], mask[:, :length]
        return {"token_ids": tokens, "texts": self._detokenize(tokens),
                "log_prob": tf.reduce_sum(chosen * mask, axis=1),
                "lengths": tf.cast(tf.reduce_sum(mask, axis=1), tf.int32)}


class ConditionalServingModule(ServingModule):
    """A conditional (encoder-decoder) generator: `generate` answers source texts, `score` scores a
    text given its source. Sources are tokenised like the training data and padded to the task's
    source length S, as in the training rows."""

    def __init__(self, generator: Seq2SeqGenerator, task: Task, max_num_samples: int = DEFAULT_MAX_NUM_SAMPLES,
                 vocabulary_file: str | None = None):
        if not getattr(task, "conditional", False) or task.vocabulary is None:
            raise UsageError(f"the task {task.name} is not a conditional task with a vocabulary: an encoder-decoder "
                             "generator cannot be exported for it")
        self._source_length = task.source_length
        super().__init__(generator, task, max_num_samples, vocabulary_file)

    def _generate_inputs(self) -> list[tf.TensorSpec]:
        return [tf.TensorSpec([None], tf.string, "source_texts"), tf.TensorSpec([], tf.float32, "temperature"),
                tf.TensorSpec([], tf.int32, "seed"), tf.TensorSpec([], tf.int32, "top_k"),
                tf.TensorSpec([], tf.int32, "batch_index")]

    def _score_inputs(self) -> list[tf.TensorSpec]:
        return [tf.TensorSpec([None], tf.string, "source_texts"), tf.TensorSpec([None], tf.string, "texts")]

    def _describe(self):
        return {**super()._describe(), "max_source_length": tf.constant(self._source_length)}

    def _generate(self, source_texts, temperature, seed, top_k=tf.constant(0), batch_index=tf.constant(0)):
        """One answer per source text, row i answering source i; `seed` and `batch_index` pick the
        stateless random stream: the tokens of `sample(generator.conditioned(ids), spec, N,
        stateless_fold_in([seed, 0], batch_index), temperature, top_k)` (top_k 1: greedy)."""
        spec = self._spec
        sources = self._source_ids(source_texts)
        checks = [
            tf.debugging.assert_positive(temperature, message="temperature must be > 0"),
            tf.debugging.assert_non_negative(top_k, message="top_k must be >= 0 (0: no top-k)"),
            tf.debugging.assert_less_equal(top_k, spec.vocab_size,
                                           message=f"top_k must be <= {spec.vocab_size} (the vocabulary)"),
        ]
        with tf.control_dependencies(checks):
            sources = tf.identity(sources)
        stream = tf.random.experimental.stateless_fold_in(tf.stack([seed, 0]), batch_index)
        generator = _TopKGenerator(self._generator.conditioned(sources), spec, top_k)
        samples = sample(generator, spec, tf.shape(sources)[0], stream, temperature)
        return {"token_ids": samples.tokens, "texts": self._detokenize(samples.tokens),
                "log_prob": tf.reduce_sum(samples.log_probs, axis=1), "lengths": samples.lengths}

    def _score(self, source_texts, texts):
        """log p(text | source) under the model (temperature 1), eos included."""
        pairing = tf.debugging.assert_equal(tf.size(source_texts), tf.size(texts), message=(
            "source_texts and texts must be as many (text i is scored given source i)"))
        with tf.control_dependencies([pairing]):
            texts = tf.identity(texts)
        return self._scored(self._generator.conditioned(self._source_ids(source_texts)), texts)

    def _source_ids(self, source_texts) -> tf.Tensor:
        """Source ids [N, S] (unknown tokens -> unk, pad after), once the request is within the limits."""
        limit, source_length = self._limit, self._source_length
        count_checks = [
            tf.debugging.assert_positive(tf.size(source_texts), message="source_texts must hold at least one text"),
            tf.debugging.assert_less_equal(tf.size(source_texts), limit, message=(
                f"at most {limit} source texts per request (the limit set at export)")),
        ]
        with tf.control_dependencies(count_checks):
            source_texts = tf.identity(source_texts)
        ids = self._tokenize(source_texts)
        num_tokens = tf.cast(ids.row_lengths(), tf.int32)
        length_checks = [
            tf.debugging.assert_positive(num_tokens, message=(
                f"a source text is empty (a source has 1 to {source_length} tokens)")),
            tf.debugging.assert_less_equal(num_tokens, source_length, message=(
                f"a source text has more than {source_length} tokens, the model's maximum source length")),
        ]
        with tf.control_dependencies(length_checks):
            ids = tf.identity(ids)
        return ids.to_tensor(default_value=self._spec.pad_id, shape=[None, source_length])


# --- writing a version folder --------------------------------------------------------------------

def export_generator(generator, task: Task, export_dir: str, name: str, version: int | None = None,
                     max_num_samples: int = DEFAULT_MAX_NUM_SAMPLES, log=print, readout: str = "argmax") -> str:
    """Writes `<export_dir>/<name>/<version>/` atomically; `version` None: one more than the highest.
    `readout` (argmax or sample) is how a WGAN-GP generator's text is read out; unused otherwise."""
    check_model_name(name)
    if isinstance(generator, Seq2SeqGenerator):
        make_module = ConditionalServingModule
    elif hasattr(generator, "step") and hasattr(generator, "initial_state"):
        make_module = ServingModule
    elif isinstance(generator, ConvGenerator):
        def make_module(*args):
            return ConvServingModule(*args, readout=readout)
    else:
        raise UsageError(f"the generator {type(generator).__name__} is neither autoregressive (step/initial_state), "
                         "an encoder-decoder, nor WGAN-GP's convolutional generator: it cannot be exported")
    if version is not None and version < 1:
        raise UsageError(f"--version={version}: must be a positive integer")
    base = os.path.join(export_dir, name)
    if os.path.exists(base) and not os.path.isdir(base):
        raise UsageError(f"--export_dir={export_dir}: {base} exists and is not a directory")
    version = version if version is not None else next_version(base)
    final = os.path.join(base, str(version))
    if os.path.exists(final):
        raise UsageError(f"--version={version}: {final} already exists (versions are never overwritten)")
    os.makedirs(base, exist_ok=True)
    # A hidden, non-numeric name: TF Serving only loads folders named by an integer.
    staging = tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=base)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp's 0700 would hide the model from a server run as another user
    try:
        with tempfile.TemporaryDirectory() as scratch:
            vocabulary_file = None
            if task.vocabulary is not None:
                vocabulary_file = os.path.join(scratch, "vocab.txt")
                task.vocabulary.save(vocabulary_file)
            module = make_module(generator, task, max_num_samples, vocabulary_file)
            tf.saved_model.save(module, staging, signatures=module.signatures())
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log(f"exported {final}")
    return final


def next_version(base: str) -> int:
    """One more than the highest integer-named folder in `base` (1 for none)."""
    versions = [int(entry) for entry in os.listdir(base) if entry.isdigit()] if os.path.isdir(base) else []
    return max(versions, default=0) + 1
