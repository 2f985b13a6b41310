"""The schedule shared by SeqGAN-family methods: pre-train G, pre-train D, then alternate.

    pretrain_generator      --pretrain_epochs of MLE (skipped with --pretrained_generator)
    <setup phases>          a subclass's one-off steps (SeqGAN: roll-out policy <- G)
    pretrain_discriminator  --discriminator_pretrain_rounds D rounds
    adversarial             --adversarial_steps x (one G step, then --discriminator_rounds D rounds)

A D round (SeqGAN's `train_discriminator`): draw --discriminator_negatives
fresh sequences from G, pair them with as many real ones, and train D for
--discriminator_epochs epochs over the shuffled mix in batches. Each phase
step is one compiled trainer step, so every phase is checkpointed and
resumable. A subclass supplies only `generator_step`.

Under a strategy, the D-round and adversarial steps are cross-replica steps
(their D updates sit inside tf loops): each replica draws its share of every
round's negatives (gathered into the global set) and takes its share of
every D batch; the G step is a replica function. The global sets and batches
are the same whatever the replica count.
"""
from __future__ import annotations

import json
import os

import tensorflow as tf

from tfgan_text.config import AdversarialConfig
from tfgan_text.errors import UsageError
from tfgan_text.losses.discriminator import GENERATED, REAL, discriminator_accuracy, discriminator_loss
from tfgan_text.methods.base import Method, Phase
from tfgan_text.optimization import mle_train_step
from tfgan_text.models.discriminator import ConditionalDiscriminator, Discriminator
from tfgan_text.replicas import replica_rows, replica_share, take_rows
from tfgan_text.sampling import sample
from tfgan_text.optimization import adam, apply_gradients
from tfgan_text.replicas import on_replicas, replica_concat, replica_mean

_SAMPLE_CHUNK = 2048  # G samples drawn per sampling loop when making negatives


def checkpoint_prefix(path: str, flag: str = "pretrained_generator") -> str:
    """The checkpoint prefix named by a run directory, its checkpoints/ folder, or a prefix."""
    for folder in (os.path.join(path, "checkpoints"), path):
        if os.path.isdir(folder) and tf.train.latest_checkpoint(folder):
            return tf.train.latest_checkpoint(folder)
    if tf.io.gfile.exists(path + ".index"):
        return path
    raise UsageError(f"--{flag}={path}: no checkpoint there (expected a run directory or a checkpoint prefix)")


class AdversarialMethod(Method):
    """G (LSTM), D (SeqGAN's CNN), their optimizers and the pre-train / alternate schedule."""

    config_class = AdversarialConfig

    identity_flags = ("discriminator_embedding_dim", "discriminator_filter_widths", "discriminator_num_filters")

    def __init__(self, task, config, steps_per_epoch):
        super().__init__(task, config, steps_per_epoch)
        spec = task.spec
        self.generator = self.build_generator()
        variables = self.generator.trainable_variables
        self.generator_optimizer = adam(config.learning_rate, variables=variables)  # MLE pre-training
        self.adversarial_optimizer = adam(config.adversarial_learning_rate or config.learning_rate,
                                          variables=variables)  # adversarial G updates
        widths, counts = config.discriminator_filter_widths, config.discriminator_num_filters
        if min(widths) > spec.max_length:
            raise UsageError(f"--discriminator_filter_widths: every width is longer than the sequences "
                             f"({spec.max_length} tokens)")
        if task.conditional:  # D judges (source, target) pairs
            self.discriminator = ConditionalDiscriminator(
                spec.vocab_size, task.source_length, spec.max_length, config.discriminator_embedding_dim, widths,
                counts, config.discriminator_dropout).build_variables()
        else:
            self.discriminator = Discriminator(spec.vocab_size, spec.max_length, config.discriminator_embedding_dim,
                                               widths, counts, config.discriminator_dropout).build_variables()
        self.discriminator_optimizer = adam(config.discriminator_learning_rate,
                                            variables=self.discriminator.trainable_variables)
        self.real_data = tf.constant(task.train, tf.int32)
        self.num_negatives = config.discriminator_negatives or len(task.train)
        self.num_real = min(self.num_negatives, len(task.train))
        if self.num_negatives + self.num_real < config.discriminator_batch_size:
            raise UsageError(f"--discriminator_batch_size={config.discriminator_batch_size}: larger than a D "
                             f"round's {self.num_negatives + self.num_real} sequences")
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if config.discriminator_batch_size % replicas:
            raise UsageError(f"--discriminator_batch_size={config.discriminator_batch_size}: must be a multiple "
                             f"of the {replicas} replicas")

    @classmethod
    def step_tensor_bytes(cls, config, spec) -> dict[str, int]:
        """Adds D's batch (embeddings and convolution features per position) and a round's negatives."""
        features = config.discriminator_embedding_dim + sum(config.discriminator_num_filters)
        return {**super().step_tensor_bytes(config, spec),
                "discriminator_batch_size": 3 * config.discriminator_batch_size * spec.max_length * features * 4,
                "discriminator_negatives": 2 * config.discriminator_negatives * spec.max_length * 4}

    # --- what a subclass provides ----------------------------------------------------------------
    def generator_step(self, real_tokens: tf.Tensor, seed: tf.Tensor) -> dict:
        """One adversarial update of G; returns its scalars."""
        raise NotImplementedError

    def setup_phases(self) -> list[Phase]:
        """One-off phases between the pre-training of G and that of D."""
        return []

    # --- the schedule ----------------------------------------------------------------------------
    def start_new_run(self) -> None:
        if self.config.pretrained_generator:  # a resumed run has its own G
            self.restore_pretrained_generator(self.config.pretrained_generator)

    def checkpoint_objects(self) -> dict:
        return {"generator": self.generator, "generator_optimizer": self.generator_optimizer,
                "adversarial_optimizer": self.adversarial_optimizer, "discriminator": self.discriminator,
                "discriminator_optimizer": self.discriminator_optimizer}

    def phases(self) -> list[Phase]:
        c = self.config
        pretrain_steps = 0 if c.pretrained_generator else c.pretrain_epochs * self.steps_per_epoch
        return [Phase("pretrain_generator", pretrain_steps, self.mle_step),
                *self.setup_phases(),
                Phase("pretrain_discriminator", c.discriminator_pretrain_rounds, self.discriminator_pretrain_step,
                      cross_replica=True),
                Phase("adversarial", c.adversarial_steps, self.adversarial_step, cross_replica=True)]

    def mle_step(self, rows: tf.Tensor, seed: tf.Tensor) -> dict:
        generator, tokens = self.task.condition(self.generator, rows)
        return mle_train_step(generator, self.generator_optimizer, tokens, self.task.spec, seed,
                              self.config.grad_clip)

    def discriminator_pretrain_step(self, real_tokens, seed: tf.Tensor) -> dict:
        """(cross-replica) One D round."""
        return self.discriminator_rounds(1, seed)

    def adversarial_step(self, real_tokens, seed: tf.Tensor) -> dict:
        """(cross-replica) One G step on every replica's share of the batch, then the D rounds."""
        values = replica_mean(on_replicas(self.generator_step, real_tokens,
                                          tf.random.experimental.stateless_fold_in(seed, 0)))
        if self.config.discriminator_rounds > 0:
            values.update(self.discriminator_rounds(self.config.discriminator_rounds,
                                                    tf.random.experimental.stateless_fold_in(seed, 1)))
        return values

    # --- the discriminator -----------------------------------------------------------------------
    def sample_generator(self, num_samples: int, seed: tf.Tensor) -> tf.Tensor:
        """(cross-replica) `num_samples` sequences [N, T] from G, in chunks of sampling loops; each
        replica draws its rows of every chunk, and the chunk is gathered."""
        chunks = []
        for index, start in enumerate(range(0, num_samples, _SAMPLE_CHUNK)):
            size = min(_SAMPLE_CHUNK, num_samples - start)
            chunk_seed = tf.random.experimental.stateless_fold_in(seed, index)
            share = replica_share(size)
            drawn = on_replicas(lambda: self.draw_negatives(share, chunk_seed, size))
            chunks.append(replica_concat(drawn, size))
        return tf.concat(chunks, axis=0)

    def draw_negatives(self, share: int, seed: tf.Tensor, total: int) -> tf.Tensor:
        """This replica's `share` rows of `total` fresh G sequences; on a conditional task, G's answers
        to training sources drawn at random, packed with them."""
        if not self.task.conditional:
            return sample(self.generator, self.task.spec, share, seed, with_log_probs=False,
                          total_samples=total).tokens
        picks = tf.random.stateless_uniform([total], tf.random.experimental.stateless_fold_in(seed, -1),
                                            0, tf.shape(self.real_data)[0], tf.int32)
        rows = take_rows(tf.gather(self.real_data, picks), replica_rows(share, total)[0], share)
        generator, _ = self.task.condition(self.generator, rows)
        answers = sample(generator, self.task.spec, share, seed, with_log_probs=False, total_samples=total).tokens
        return self.task.with_targets(rows, answers)

    def replica_discriminator_update(self, tokens: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor) -> dict:
        """`discriminator_update` on this replica's rows of a global D batch."""
        share = self.config.discriminator_batch_size // tf.distribute.get_replica_context().num_replicas_in_sync
        start = replica_rows(share)[0]
        loss, accuracy = self.discriminator_update(take_rows(tokens, start, share), take_rows(labels, start, share),
                                                   seed)
        return {"loss": loss, "accuracy": accuracy}

    def discriminator_update(self, tokens: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor) -> tuple:
        """One Adam step of D on a labelled batch; returns (loss, accuracy) before the step."""
        variables = self.discriminator.trainable_variables
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        with tf.GradientTape() as tape:
            logits = self.discriminator(tokens, training=True, seed=seed)
            loss = (discriminator_loss(logits, labels)
                    + self.config.discriminator_l2 * self.discriminator.output_l2_loss())
            scaled = loss / replicas
        apply_gradients(self.discriminator_optimizer, tape, scaled, variables)
        return loss, discriminator_accuracy(logits, labels)

    def discriminator_rounds(self, rounds: int, seed: tf.Tensor) -> dict:
        """(cross-replica) `rounds` x (fresh negatives from G + real sequences, --discriminator_epochs
        epochs of D updates)."""
        c = self.config
        batch_size = c.discriminator_batch_size
        size = self.num_real + self.num_negatives
        num_batches = size // batch_size
        labels = tf.concat([tf.fill([self.num_real], REAL), tf.fill([self.num_negatives], GENERATED)], axis=0)
        # Per-update values go to TensorArrays, not to running sums: Grappler rewrites a running
        # `total += loss` chain inside these nested loops into an accumulator that can fail with
        # "AlreadyExistsError ... AddOpsRewrite ... tmp_var".
        losses = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[])
        accuracies = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[])
        for round_index in tf.range(rounds):
            round_seed = tf.random.experimental.stateless_fold_in(seed, round_index)
            real_order = tf.random.experimental.stateless_shuffle(
                tf.range(tf.shape(self.real_data)[0]), seed=tf.random.experimental.stateless_fold_in(round_seed, 0))
            real = tf.gather(self.real_data, real_order[: self.num_real])
            negatives = self.sample_generator(self.num_negatives,
                                              tf.random.experimental.stateless_fold_in(round_seed, 1))
            tokens = tf.concat([real, negatives], axis=0)
            for epoch in tf.range(c.discriminator_epochs):
                epoch_seed = tf.random.experimental.stateless_fold_in(round_seed, 2 + epoch)
                order = tf.random.experimental.stateless_shuffle(tf.range(size), seed=epoch_seed)
                for batch in tf.range(num_batches):
                    indices = order[batch * batch_size:(batch + 1) * batch_size]
                    update_values = replica_mean(on_replicas(
                        self.replica_discriminator_update, tf.gather(tokens, indices), tf.gather(labels, indices),
                        tf.random.experimental.stateless_fold_in(epoch_seed, batch)))
                    loss, accuracy = update_values["loss"], update_values["accuracy"]
                    update = (round_index * c.discriminator_epochs + epoch) * num_batches + batch
                    losses = losses.write(update, loss)
                    accuracies = accuracies.write(update, accuracy)
        return {"discriminator_loss": tf.reduce_mean(losses.stack()),
                "discriminator_accuracy": tf.reduce_mean(accuracies.stack())}

    # --- the pre-trained generator ---------------------------------------------------------------
    def restore_pretrained_generator(self, path: str) -> None:
        """Loads G's weights from an MLE run, refusing one trained on another task or model size."""
        prefix = checkpoint_prefix(path)
        identity_file = os.path.join(os.path.dirname(prefix), "run.json")
        if os.path.exists(identity_file):
            with open(identity_file, encoding="utf-8") as f:
                saved = json.load(f)
            mine = {"task": self.task.name, "vocab_size": self.task.spec.vocab_size,
                    "sequence_length": self.task.spec.max_length, "embedding_dim": self.config.embedding_dim,
                    "hidden_dim": self.config.hidden_dim, "num_layers": self.config.num_layers}
            if self.task.vocabulary is not None:
                mine["vocabulary_sha"] = self.task.vocabulary.digest()
            for key, value in mine.items():
                if key in saved and saved[key] != value:
                    raise UsageError(f"--pretrained_generator={path}: its {key} is {saved[key]!r} but this run's "
                                     f"is {value!r}")
        # An MLE checkpoint holds G's LSTM weights only through its optimizer's variable list (see
        # checkpoint_objects), so G is restored through an optimizer of the same structure.
        optimizer = adam(self.config.learning_rate, variables=self.generator.trainable_variables)
        try:
            status = tf.train.Checkpoint(generator=self.generator, generator_optimizer=optimizer).restore(prefix)
            status.expect_partial().assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as e:
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise UsageError(f"--pretrained_generator={path}: cannot restore a generator from {prefix} "
                             f"({first_line})") from None
