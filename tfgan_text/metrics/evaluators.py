"""The metrics computed during and after training, for either kind of task."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfgan_text.data.tasks import Task
from tfgan_text.metrics.bleu import BleuScorer, self_bleu
from tfgan_text.metrics.corpus_bleu import corpus_bleu
from tfgan_text.metrics.likelihood import NegativeLogLikelihood
from tfgan_text.sampling import Sampler, sample, sequence_log_probs, sequence_mask


def grammatical_share(task: Task, tokens) -> dict[str, float]:
    """{"grammatical": the share of `tokens` [N, T] that the task's grammar derives}; {} without a grammar."""
    if getattr(task, "grammatical", None) is None:
        return {}
    return {"grammatical": float(np.mean(task.grammatical(np.asarray(tokens))))}


class Evaluator:
    """Samples the generator once and computes the task's likelihood metrics."""

    def __init__(self, task: Task, generator, num_samples: int, temperature: float = 1.0,
                 eval_bleu: bool = False):
        """`eval_bleu`: also BLEU-2..5 against the test split and Self-BLEU-2..5 (corpus tasks)."""
        self.task, self.num_samples, self.temperature = task, num_samples, temperature
        self.bleu = None  # references indexed once: the test split, in the vocabulary's word tokens
        if eval_bleu and task.vocabulary is not None:
            self.bleu = BleuScorer([task.vocabulary.decode(row) for row in task.test], max_n=5)
        self.sampler = Sampler(generator, task.spec)
        self.generator_nll = NegativeLogLikelihood(generator, task.spec)
        self.oracle_nll = NegativeLogLikelihood(task.oracle, task.spec) if task.oracle is not None else None

    def __call__(self, seed: tf.Tensor) -> tuple[dict[str, float], list[str]]:
        samples = self.sampler(self.num_samples, seed, temperature=self.temperature)
        metrics = {}
        if self.oracle_nll is not None:
            metrics["nll_oracle"] = self.oracle_nll(samples.tokens)
        metrics.update(grammatical_share(self.task, samples.tokens))
        metrics["nll_test"] = self.generator_nll(self.task.test)
        metrics["nll_train"] = self.generator_nll(self.task.train)
        metrics.update(self.sample_metrics(samples.tokens))
        if self.bleu is not None and self.num_samples >= 2:
            hypotheses = [self.task.vocabulary.decode(row) for row in samples.tokens.numpy()]
            metrics.update({f"bleu_{n}": value for n, value in self.bleu.scores(hypotheses).items()})
            metrics.update({f"self_bleu_{n}": value for n, value in self_bleu(hypotheses).items()})
        texts = [self.task.decode(row) for row in samples.tokens.numpy()]
        return metrics, texts

    def sample_metrics(self, tokens: tf.Tensor) -> dict[str, float]:
        """Extra metrics of the evaluation samples [N, T]; a subclass adds its own here."""
        return {}

    def describe(self) -> dict[str, str]:
        """What each metric was computed on, printed beside its value."""
        described = {"nll_oracle": f"oracle NLL of {self.num_samples:,} samples at temperature {self.temperature:g}",
                     "grammatical": f"share of the {self.num_samples:,} samples that the grammar derives",
                     "nll_test": f"generator NLL of {self.task.test_description}",
                     "nll_train": "generator NLL of the training set"}
        for n in (2, 3, 4, 5):
            described[f"bleu_{n}"] = (f"{self.num_samples:,} samples at temperature {self.temperature:g} vs all "
                                      f"{self.bleu.num_references if self.bleu else 0:,} sentences of "
                                      f"{self.task.test_description}")
            described[f"self_bleu_{n}"] = f"each of {self.num_samples:,} samples vs the others"
        return described


class ConditionalEvaluator:
    """Conditional tasks: answers to the held-out sources, judged against their reference targets.

    BLEU is the translation protocol's corpus BLEU (each answer against its own source's
    references), for answers sampled at the evaluation temperature and for greedy answers
    (the most likely token at each step); exact match is the share of greedy answers equal to
    a reference. NLL-test / NLL-train: per-token NLL of the reference targets given their sources.
    """

    _CHUNK = 1000

    def __init__(self, task: Task, generator, num_samples: int, temperature: float = 1.0):
        self.task, self.generator, self.temperature = task, generator, temperature
        sources, self.references = task.references(task.test)
        self.sources = sources[:num_samples]
        self.references = self.references[:num_samples]
        self._answers = tf.function(self._answer_batch)
        self._nll = tf.function(self._nll_batch, input_signature=[tf.TensorSpec([None, None], tf.int32)])

    def _answer_batch(self, sources, seed, temperature, top_k):
        return sample(self.generator.conditioned(sources), self.task.spec, tf.shape(sources)[0], seed, temperature,
                      top_k, with_log_probs=False).tokens

    def _nll_batch(self, rows):
        generator, targets = self.task.condition(self.generator, rows)
        log_probs = sequence_log_probs(generator, targets, self.task.spec)
        return -tf.reduce_sum(log_probs), tf.reduce_sum(sequence_mask(targets, self.task.spec.eos_id))

    def answers(self, seed: tf.Tensor, temperature: float, top_k: int = 0) -> np.ndarray:
        """Target tokens [M, T] for the evaluation sources (top_k 1: greedy)."""
        chunks = []
        for index, start in enumerate(range(0, len(self.sources), self._CHUNK)):
            chunk_seed = tf.random.experimental.stateless_fold_in(tf.cast(seed, tf.int32), index)
            chunks.append(self._answers(tf.constant(self.sources[start:start + self._CHUNK]), chunk_seed,
                                        tf.constant(temperature, tf.float32), top_k).numpy())
        return np.concatenate(chunks)

    def nll(self, rows: np.ndarray) -> float:
        total = count = 0.0
        for start in range(0, len(rows), self._CHUNK):
            nll, n = self._nll(tf.constant(rows[start:start + self._CHUNK], tf.int32))
            total, count = total + float(nll), count + float(n)
        return total / count

    def __call__(self, seed: tf.Tensor) -> tuple[dict[str, float], list[str]]:
        vocabulary = self.task.vocabulary
        sampled = [vocabulary.decode(row) for row in self.answers(seed, self.temperature)]
        greedy = [vocabulary.decode(row) for row in self.answers(seed, 1.0, top_k=1)]
        metrics = {"nll_test": self.nll(self.task.test), "nll_train": self.nll(self.task.train)}
        metrics.update({f"bleu_{n}": value for n, value in corpus_bleu(sampled, self.references).items()
                        if n in (2, 4)})
        metrics["greedy_bleu_4"] = corpus_bleu(greedy, self.references)[4]
        metrics["greedy_exact_match"] = float(np.mean([answer in refs for answer, refs in
                                                       zip(greedy, self.references)]))
        texts = [f"{self.task.decode_source(source)} => {self.task.tokenizer.detokenize(answer)}"
                 for source, answer in zip(self.sources, sampled)]
        return metrics, texts

    def describe(self) -> dict[str, str]:
        answers = f"answers to {len(self.sources):,} distinct held-out sources"
        return {"nll_test": f"generator NLL of the targets of {self.task.test_description}",
                "nll_train": "generator NLL of the training targets",
                "bleu_2": f"corpus BLEU-2 of {answers}, sampled at temperature {self.temperature:g}",
                "bleu_4": f"corpus BLEU-4 of {answers}, sampled at temperature {self.temperature:g}",
                "greedy_bleu_4": f"corpus BLEU-4 of greedy {answers}",
                "greedy_exact_match": f"share of greedy {answers} equal to a reference"}
