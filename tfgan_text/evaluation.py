"""Evaluates a trained run with the metrics of ../shared/specs/metrics.md (what `tfgan-text-evaluate` and
`tfgan_text.evaluate(...)` compute).

Metrics: nll (NLL-oracle on the synthetic tasks, the grammatical share on the grammar task, NLL-test,
NLL-train), bleu and self_bleu (BLEU-2..5, tasks with words: corpus and grammar), fed (FED against the test
split, plus its floor: training data vs test data), lm (LM and reverse LM scores), jsd (JSD(oracle || G),
synthetic tasks). Likelihoods of the generator use the tempered distribution softmax(logits / T) at the
sampling temperature, the distribution that is sampled.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tfgan_text.errors import UsageError

if TYPE_CHECKING:  # TensorFlow loads only when a run is evaluated
    from tfgan_text.training.restore import LoadedRun

ALL_METRICS = ("nll", "bleu", "self_bleu", "fed", "lm", "jsd")
CORPUS_ONLY, ORACLE_ONLY = ("bleu", "self_bleu", "fed"), ("jsd",)


class TemperedModel:
    """A model whose logits are divided by T: its likelihoods are those of softmax(logits / T)."""

    def __init__(self, model, temperature: float):
        self.model, self.temperature = model, float(temperature)

    def __call__(self, inputs, training: bool = False, seed=None):
        return self.model(inputs, training=training, seed=seed) / self.temperature


def tempered_nll(generator, spec, tokens, temperature: float) -> float:
    """Mean per-token NLL of `tokens` under softmax(logits / temperature) (padding excluded)."""
    from tfgan_text.metrics.likelihood import NegativeLogLikelihood

    return NegativeLogLikelihood(TemperedModel(generator, temperature), spec)(tokens)


def word_tokens(task, tokens) -> list[list[str]]:
    """Sequences of ids as lists of word tokens (up to eos), the tokens BLEU counts."""
    return [task.vocabulary.decode(row) for row in tokens]


def encode_texts(task, texts: list[str]):
    """Generated text (one sentence per string) as ids [N, T] with eos; longer sentences are cut."""
    import numpy as np

    ids = np.full([len(texts), task.spec.max_length], task.spec.pad_id, np.int32)
    for row, words in enumerate(task.tokenizer.tokenize(texts)):
        encoded = (task.vocabulary.encode(words)[: task.spec.max_length - 1]) + [task.spec.eos_id]
        ids[row, : len(encoded)] = encoded
    return ids


def reference_sentences(run: LoadedRun, reference_texts: list[str] | None = None) -> tuple[list, str]:
    """BLEU/FED references as word tokens, and what they are.

    The test file's own lines, tokenised (every line, real words) when the run has
    --test_data; otherwise the held-out split as the task holds it, where words
    outside the training vocabulary read <unk>.
    """
    from tfgan_text.data.corpus import read_lines

    task, config = run.task, run.config
    if reference_texts is not None:
        return task.tokenizer.tokenize(reference_texts), f"{len(reference_texts):,} sentences of --references_file"
    if config.test_data:
        references = task.tokenizer.tokenize(read_lines(config.test_data, "test_data"))
        return references, f"all {len(references):,} lines of the test split {config.test_data}"
    return word_tokens(task, task.test), f"all {len(task.test):,} sentences of {task.test_description}"


def choose_metrics(requested: list[str], task) -> list[str]:
    """The requested metrics, checked against the task; all that apply when none are requested."""
    unknown = [name for name in requested if name not in ALL_METRICS]
    if unknown:
        raise UsageError(f"--metrics={','.join(requested)}: unknown {', '.join(unknown)}; "
                         f"available: {','.join(ALL_METRICS)}")
    excluded = (CORPUS_ONLY if task.vocabulary is None else ()) + (ORACLE_ONLY if task.oracle is None else ())
    if not requested:  # LM scores are for real text (and slow): on the synthetic tasks only when asked
        return [name for name in ALL_METRICS if name not in excluded
                and not (name == "lm" and task.oracle is not None)]
    wrong = [name for name in requested if name in excluded]
    if wrong:
        kind = "corpus and grammar tasks (words)" if task.vocabulary is None else "the oracle and grammar tasks"
        raise UsageError(f"--metrics={','.join(requested)}: {', '.join(wrong)} only apply to {kind}; "
                         f"this run's task is {task.name}")
    return list(dict.fromkeys(requested))


def evaluate(run: LoadedRun, metrics: list[str], num_samples: int, temperature: float, seed: int,
             samples_texts: list[str] | None = None, reference_texts: list[str] | None = None,
             fed_encoder=None, lm_config=None, log=print) -> tuple[dict[str, float], dict[str, str]]:
    """{metric: value} and {metric: what it was computed on} for one restored run."""
    import tensorflow as tf

    from tfgan_text.metrics.evaluators import grammatical_share
    from tfgan_text.metrics.likelihood import NegativeLogLikelihood
    from tfgan_text.sampling import Sampler

    task, generator = run.task, run.generator
    values, described = {}, {}
    if samples_texts is None:
        samples = Sampler(generator, task.spec)(num_samples, tf.constant([seed, 0], tf.int32), temperature)
        generated = samples.tokens.numpy()
        source = f"{len(generated):,} samples at temperature {temperature:g} (seed {seed})"
    else:
        generated = encode_texts(task, samples_texts)
        source = f"{len(generated):,} sentences of --samples_file"
    if "nll" in metrics:
        if task.oracle is not None and samples_texts is None:
            values["nll_oracle"] = NegativeLogLikelihood(task.oracle, task.spec)(generated)
            described["nll_oracle"] = f"oracle NLL of {source}"
        if task.grammatical is not None:
            values.update(grammatical_share(task, generated))
            described["grammatical"] = f"share of {source} that the grammar derives"
        values["nll_test"] = tempered_nll(generator, task.spec, task.test, temperature)
        described["nll_test"] = f"generator NLL, softmax(logits/{temperature:g}), of {task.test_description}"
        values["nll_train"] = tempered_nll(generator, task.spec, task.train, temperature)
        described["nll_train"] = f"generator NLL, softmax(logits/{temperature:g}), of the training set"
    hypotheses = word_tokens(task, generated) if task.vocabulary is not None else None
    if task.vocabulary is not None:
        references, reference_source = reference_sentences(run, reference_texts)
    if "bleu" in metrics:
        from tfgan_text.metrics.bleu import bleu

        for n, value in bleu(hypotheses, references).items():
            values[f"bleu_{n}"] = value
            described[f"bleu_{n}"] = f"{source} vs {reference_source}"
    if "self_bleu" in metrics:
        from tfgan_text.metrics.bleu import self_bleu

        for n, value in self_bleu(hypotheses).items():
            values[f"self_bleu_{n}"] = value
            described[f"self_bleu_{n}"] = f"each of {source} vs the others"
    if "fed" in metrics:
        from tfgan_text.metrics.fed import frechet_distance, gaussian_statistics

        size = min(len(hypotheses), len(references), len(task.train))
        generated_text = [" ".join(words) for words in hypotheses[:size]]
        reference_text = [" ".join(words) for words in references[:size]]
        train_text = [" ".join(words) for words in word_tokens(task, task.train[:size])]
        started = time.time()
        if size < 2:
            raise UsageError(f"FED needs at least 2 sentences on each side, got {size}")
        reference_statistics = gaussian_statistics(fed_encoder(reference_text))  # embedded once for both
        values["fed"] = frechet_distance(*gaussian_statistics(fed_encoder(generated_text)), *reference_statistics)
        values["fed_floor"] = frechet_distance(*gaussian_statistics(fed_encoder(train_text)), *reference_statistics)
        described["fed"] = f"first {size:,} of {source} vs first {size:,} of {reference_source}; " \
                           f"encoder {fed_encoder.name}"
        described["fed_floor"] = f"first {size:,} training sentences vs the same references (the floor); " \
                                 f"encoder {fed_encoder.name}"
        log(f"FED: {time.time() - started:.0f}s with {fed_encoder.name}")
    if "lm" in metrics:
        from tfgan_text.metrics.language_model_scores import lm_score, reverse_lm_score

        started = time.time()
        values["lm_score"] = lm_score(task.train, generated, task.spec, lm_config)
        values["reverse_lm_score"] = reverse_lm_score(generated, task.test, task.spec, lm_config)
        described["lm_score"] = f"NLL of {source} under an LM trained on the training set; {lm_config.describe()}"
        described["reverse_lm_score"] = (f"NLL of {task.test_description} under an LM trained on {source}; "
                                         f"{lm_config.describe()}")
        log(f"LM scores: {time.time() - started:.0f}s")
    if "jsd" in metrics:
        from tfgan_text.metrics.jsd import OracleJSD

        values.update(OracleJSD(task.oracle, generator, task.spec, temperature)(task.test, generated))
        described["jsd_oracle"] = (f"Monte Carlo sequence JSD(oracle || G at T={temperature:g}), nats, "
                                   f"{source} vs {task.test_description}")
        described["jsd_oracle_token"] = "mean exact next-token JSD at the prefixes of the same two sets, nats"
    return values, described
