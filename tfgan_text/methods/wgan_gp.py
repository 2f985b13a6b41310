"""WGAN-GP for text (Gulrajani et al. 2017): a continuous relaxation, no sampling in training.

The generator writes a softmax over the vocabulary at every position at once;
the critic compares it with the one-hot rows of real text. Critic loss:
    E[C(fake)] - E[C(real)] + lambda * E[(||grad C(x_hat)||_2 - 1)^2]
with x_hat uniformly between a real one-hot matrix and a generated softmax
matrix (the norm taken per sequence over all positions and the vocabulary).
Generator loss: -E[C(fake)]. Text is read out by argmax (or by sampling).

One trainer step is ONE critic update (one real batch); every
`--critic_steps`-th step the generator is updated too, decided inside the
compiled step by `tf.cond` on the critic optimizer's update counter. Why this
shape: the counter is in the checkpoint and seeds come from the global step,
so a run resumed at any checkpoint repeats exactly the updates of an
uninterrupted one; every real batch comes from the trainer's own stateless
pipeline (no second data stream); and `--steps` counts critic updates
(the paper's 200,000 generator iterations = 2,000,000 steps).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfgan_text.config import WGANGPConfig
from tfgan_text.losses.wasserstein import critic_losses
from tfgan_text.methods.base import Method, Phase
from tfgan_text.metrics.evaluators import grammatical_share
from tfgan_text.metrics.likelihood import NegativeLogLikelihood
from tfgan_text.metrics.ngram_jsd import ngram_jsd
from tfgan_text.models.convolutional import ConvGenerator, Critic, generated_distributions, read_out
from tfgan_text.optimization import adam, apply_gradients
from tfgan_text.replicas import global_sum, on_replicas, replica_mean
from tfgan_text.sampling import SequenceSpec

NGRAM_ORDERS = (1, 2, 3, 4)


def sentences(tokens: np.ndarray, spec: SequenceSpec) -> list[np.ndarray]:
    """The tokens of each row up to (not including) its first eos."""
    if spec.eos_id is None:
        return list(tokens)
    out = []
    for row in tokens:
        ends = np.flatnonzero(row == spec.eos_id)
        out.append(row[: ends[0]] if len(ends) else row)
    return out


class WGANEvaluator:
    """Samples the convolutional generator and compares its text with the data.

    NLL-test does not apply (the generator assigns no likelihood to a given
    sequence). Reported: NLL-oracle on the synthetic tasks (and the grammatical
    share on the grammar task), and the n-gram JSD (n = 1..4) of the samples
    against the training data, as the authors monitored it; beside it, the
    floor: the same JSD for as many held-out sentences, which no generator can
    be expected to beat.
    """

    def __init__(self, task, generator: ConvGenerator, num_samples: int, readout: str, chunk_size: int = 1000):
        self.task, self.generator, self.num_samples, self.readout = task, generator, num_samples, readout
        self.chunk_size = chunk_size
        self.oracle_nll = NegativeLogLikelihood(task.oracle, task.spec) if task.oracle is not None else None
        self.reference = sentences(task.train, task.spec)
        floor_set = sentences(task.test[:num_samples], task.spec)
        self.floor = ngram_jsd(floor_set, self.reference, NGRAM_ORDERS)
        self.floor_size = len(floor_set)
        self._generate = tf.function(self._generate_chunk)

    def _generate_chunk(self, size, seed):
        noise_seed, readout_seed = tf.random.experimental.stateless_fold_in(seed, 0), \
            tf.random.experimental.stateless_fold_in(seed, 1)
        logits = self.generator(self.generator.noise(size, noise_seed))
        return read_out(logits, self.task.spec, self.readout, readout_seed)

    def generate(self, num_samples: int, seed: tf.Tensor) -> np.ndarray:
        seed = tf.cast(seed, tf.int32)
        chunks = [self._generate(tf.constant(min(self.chunk_size, num_samples - start)),
                                 tf.random.experimental.stateless_fold_in(seed, index)).numpy()
                  for index, start in enumerate(range(0, num_samples, self.chunk_size))]
        return np.concatenate(chunks)

    def __call__(self, seed: tf.Tensor) -> tuple[dict[str, float], list[str]]:
        tokens = self.generate(self.num_samples, seed)
        metrics = {}
        if self.oracle_nll is not None:
            metrics["nll_oracle"] = self.oracle_nll(tokens)
        metrics.update(grammatical_share(self.task, tokens))
        for n, value in ngram_jsd(sentences(tokens, self.task.spec), self.reference, NGRAM_ORDERS).items():
            metrics[f"ngram_jsd_{n}"] = value
        return metrics, [self.task.decode(row) for row in tokens]

    def describe(self) -> dict[str, str]:
        described = {"nll_oracle": f"oracle NLL of {self.num_samples:,} samples read out by {self.readout}",
                     "grammatical": f"share of the {self.num_samples:,} samples that the grammar derives"}
        for n in NGRAM_ORDERS:
            described[f"ngram_jsd_{n}"] = (f"JSD of {n}-gram distributions, {self.num_samples:,} samples vs the "
                                           f"training set; floor ({self.floor_size:,} held-out sentences): "
                                           f"{self.floor[n]:.4f}")
        return described


class WGANGP(Method):
    name = "wgan_gp"
    config_class = WGANGPConfig
    identity_flags = ("wgan_dim", "wgan_noise_dim", "wgan_residual_blocks")

    def __init__(self, task, config, steps_per_epoch):
        super().__init__(task, config, steps_per_epoch)
        spec = task.spec
        self.generator = ConvGenerator(spec.vocab_size, spec.max_length, config.wgan_dim, config.wgan_noise_dim,
                                       config.wgan_residual_blocks).build_variables()
        self.critic = Critic(spec.vocab_size, spec.max_length, config.wgan_dim,
                             config.wgan_residual_blocks).build_variables()
        self.generator_optimizer = adam(config.learning_rate, config.wgan_beta1, config.wgan_beta2,
                                        self.generator.trainable_variables)
        self.critic_optimizer = adam(config.learning_rate, config.wgan_beta1, config.wgan_beta2,
                                     self.critic.trainable_variables)

    def checkpoint_objects(self) -> dict:
        return {"generator": self.generator, "generator_optimizer": self.generator_optimizer,
                "critic": self.critic, "critic_optimizer": self.critic_optimizer}

    def phases(self) -> list[Phase]:
        return [Phase("wgan_gp", self.num_steps(self.config.steps, self.config.epochs), self.wgan_step,
                      cross_replica=True)]

    def evaluator(self, num_samples, temperature):
        return WGANEvaluator(self.task, self.generator, num_samples, self.config.wgan_readout)

    def wgan_step(self, real, seed: tf.Tensor) -> dict:
        """One critic update; then a generator update if this was the critic's `critic_steps`-th.

        A cross-replica step: the conditional generator update cannot sit inside a replica function.
        """
        values = replica_mean(on_replicas(self.critic_step, real, tf.random.experimental.stateless_fold_in(seed, 0)))
        critic_updates = tf.convert_to_tensor(self.critic_optimizer.iterations)
        generator_seed = tf.random.experimental.stateless_fold_in(seed, 1)

        def update_generator():
            on_replicas(lambda batch: self.generator_step(tf.shape(batch)[0], generator_seed), real)
            return tf.constant(0.0)

        tf.cond(tf.equal(critic_updates % self.config.critic_steps, 0), update_generator, lambda: tf.constant(0.0))
        return values

    def critic_step(self, real: tf.Tensor, seed: tf.Tensor) -> dict:
        spec = self.task.spec
        batch = tf.shape(real)[0]
        noise_seed, penalty_seed = (tf.random.experimental.stateless_fold_in(seed, i) for i in range(2))
        real_rows = tf.one_hot(tf.cast(real, tf.int32), spec.vocab_size)
        fake_rows = generated_distributions(self.generator, self.generator.noise(batch, noise_seed), spec)
        fake_rows = tf.stop_gradient(fake_rows)
        global_batch = tf.cast(global_sum(batch), tf.float32)
        variables = self.critic.trainable_variables
        with tf.GradientTape() as tape:
            terms = critic_losses(self.critic, real_rows, fake_rows, penalty_seed, self.config.gp_weight)
            loss = tf.reduce_sum(terms["loss"]) / global_batch
        grad_norm = apply_gradients(self.critic_optimizer, tape, loss, variables, self.config.grad_clip)
        return {"loss": tf.reduce_mean(terms["loss"]),
                "wasserstein_estimate": tf.reduce_mean(terms["real"]) - tf.reduce_mean(terms["fake"]),
                "gradient_penalty": tf.reduce_mean(terms["penalty"]),
                "generator_loss": -tf.reduce_mean(terms["fake"]),
                "critic_grad_norm": grad_norm}

    def generator_step(self, batch: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """-E[C(fake)] on fresh noise; returns the gradient norm."""
        global_batch = tf.cast(global_sum(batch), tf.float32)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake_rows = generated_distributions(self.generator, self.generator.noise(batch, seed), self.task.spec)
            loss = -tf.reduce_sum(self.critic(fake_rows)) / global_batch
        return apply_gradients(self.generator_optimizer, tape, loss, variables, self.config.grad_clip)
