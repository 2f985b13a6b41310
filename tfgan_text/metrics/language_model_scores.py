"""LM score and reverse LM score (Caccia et al. 2020; ScratchGAN).

LM score: NLL of generated text under a language model trained on real
training data (quality: is what G writes plausible to a model of real text?).
Reverse LM score: NLL of the real test split under a language model trained
on generated text (quality and diversity: does G's output cover real text?).
Both per token in nats, padding excluded, end token counted
(`NegativeLogLikelihood`). The language models are the project's own LSTM
`Generator` trained with `mle_loss`; their size and schedule are a
`LanguageModelConfig`, printed beside the scores, since the numbers depend on it.
"""
from __future__ import annotations

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfgan_text.data.pipeline import training_batches
from tfgan_text.losses.likelihood import mle_loss
from tfgan_text.metrics.likelihood import NegativeLogLikelihood
from tfgan_text.models.generator import Generator
from tfgan_text.sampling import SequenceSpec
from tfgan_text.optimization import adam, apply_gradients


@dataclasses.dataclass(frozen=True)
class LanguageModelConfig:
    embedding_dim: int = 32
    hidden_dim: int = 64
    num_layers: int = 1
    dropout: float = 0.0
    steps: int = 1000
    batch_size: int = 64
    learning_rate: float = 0.01
    grad_clip: float = 5.0
    seed: int = 0

    def describe(self) -> str:
        return (f"LSTM LM {self.num_layers}x{self.hidden_dim} (embedding {self.embedding_dim}), "
                f"{self.steps} steps of batch {self.batch_size}, Adam lr {self.learning_rate:g}")


def train_language_model(tokens: np.ndarray, spec: SequenceSpec, config: LanguageModelConfig) -> Generator:
    """An LSTM LM fitted by maximum likelihood to `tokens` [N, T] (teacher forcing, compiled step)."""
    tokens = np.asarray(tokens, np.int32)
    if len(tokens) == 0:
        raise ValueError("cannot train a language model on zero sequences")
    keras.utils.set_random_seed(config.seed)
    model = Generator(spec.vocab_size, config.embedding_dim, config.hidden_dim, config.num_layers,
                      config.dropout, name="language_model").build_variables()
    optimizer = adam(config.learning_rate)
    optimizer.build(model.trainable_variables)

    @tf.function
    def train_step(batch, seed):
        with tf.GradientTape() as tape:
            loss, mean_nll = mle_loss(model, batch, spec, seed)
        apply_gradients(optimizer, tape, loss, model.trainable_variables, config.grad_clip)
        return mean_nll

    batches = iter(training_batches(tokens, min(config.batch_size, len(tokens)), config.seed))
    base_seed = tf.constant([config.seed, 7], tf.int32)
    for step in range(config.steps):
        train_step(next(batches), tf.random.experimental.stateless_fold_in(base_seed, step))
    return model


def lm_score(real_train: np.ndarray, generated: np.ndarray, spec: SequenceSpec,
             config: LanguageModelConfig, language_model: Generator | None = None) -> float:
    """NLL of `generated` under an LM trained on `real_train` (pass `language_model` to reuse one)."""
    language_model = language_model or train_language_model(real_train, spec, config)
    return NegativeLogLikelihood(language_model, spec)(generated)


def reverse_lm_score(generated: np.ndarray, real_test: np.ndarray, spec: SequenceSpec,
                     config: LanguageModelConfig) -> float:
    """NLL of `real_test` under an LM trained on `generated`."""
    return NegativeLogLikelihood(train_language_model(generated, spec, config), spec)(real_test)
