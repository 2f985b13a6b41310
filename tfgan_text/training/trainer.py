"""The one training loop: phases of compiled steps, checkpoints, summaries, evaluation.

A method supplies phases of replica step functions; the trainer owns
everything else: the strategy, the data stream, the step counter, seeds
(stateless, folded from --seed and the global step, so a resumed run is
bit-identical), checkpoints, TensorBoard, evaluation, signals and divergence.

Under a multi-worker strategy every worker runs this loop; only the chief
writes (checkpoints, summaries, samples): the others save their checkpoints
to a temporary directory they delete, as tf.distribute requires every worker
to take part in a save.
"""
from __future__ import annotations

import hashlib
import math
import os
import shutil
import signal
import sys
import tempfile
import time

import keras
import tensorflow as tf
from tqdm import tqdm

from tfgan_text.data.pipeline import steps_per_epoch, training_batches
from tfgan_text.data.tasks import Task
from tfgan_text.errors import UsageError
from tfgan_text.methods.base import Method
from tfgan_text.training.run_dir import RunDirectory


class TrainingDiverged(RuntimeError):
    """A step produced a non-finite value; nothing after the last good checkpoint was saved."""


_strategies: dict[str, tf.distribute.Strategy] = {}


def make_strategy(name: str) -> tf.distribute.Strategy:
    """`auto`: MirroredStrategy when several GPUs are visible, else the default strategy.

    `multi_worker`: MultiWorkerMirroredStrategy over the cluster in the TF_CONFIG
    environment variable (create it before any other TensorFlow work: it
    configures the runtime's collective ops).
    """
    if name == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise UsageError("--strategy=multi_worker: set TF_CONFIG (the cluster and this worker's task)")
        return _one_per_process("multi_worker", tf.distribute.MultiWorkerMirroredStrategy)
    gpus = tf.config.list_physical_devices("GPU")
    if name == "mirrored" or (name == "auto" and len(gpus) > 1):
        return _one_per_process("mirrored", tf.distribute.MirroredStrategy)
    return tf.distribute.get_strategy()


def _one_per_process(name: str, create) -> tf.distribute.Strategy:
    """The process's one strategy of a kind: a multi-worker strategy joins its cluster once, and two
    MirroredStrategy objects in one process were seen to mix up their collective-op keys."""
    if name not in _strategies:
        _strategies[name] = create()
    return _strategies[name]


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run: always, except on the non-chief workers of a cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


class Trainer:
    def __init__(self, method_class: type[Method], task: Task, config, run_dir: RunDirectory,
                 strategy: tf.distribute.Strategy | None = None, log=print):
        self.task, self.config, self.run_dir, self.log = task, config, run_dir, log
        self.strategy = strategy or make_strategy(config.strategy)
        self.is_chief = is_chief(self.strategy)
        replicas = self.strategy.num_replicas_in_sync
        if config.batch_size % replicas:
            raise UsageError(f"--batch_size={config.batch_size}: must be a multiple of the {replicas} replicas")
        self.steps_per_epoch = steps_per_epoch(len(task.train), config.batch_size)
        keras.utils.set_random_seed(config.seed)  # initial weights are a function of --seed
        with self.strategy.scope():
            self.method = method_class(task, config, self.steps_per_epoch)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
            self.checkpoint = tf.train.Checkpoint(step=self.step, **self.method.checkpoint_objects())
        # A non-chief worker must take part in every save, into a directory of its own that it deletes.
        self._scratch = None if self.is_chief else tempfile.mkdtemp(prefix="tfgan_text_worker_")
        self.manager = tf.train.CheckpointManager(self.checkpoint, self._scratch or run_dir.checkpoints,
                                                  max_to_keep=config.keep_checkpoints)
        self.evaluator = self.method.evaluator(config.num_eval_samples, config.eval_temperature)
        self._stop_signal = None

    # --- the loop -------------------------------------------------------------------------------
    def train(self, resume: bool = False) -> dict[str, float]:
        """Runs every phase to its end (or to a stop signal); returns the final metrics."""
        if resume:
            self.checkpoint.restore(self.run_dir.latest_checkpoint()).assert_existing_objects_matched()
            self.log(f"resumed from {self.run_dir.latest_checkpoint()} at step {int(self.step.numpy())}")
        if self.is_chief:
            train_writer = tf.summary.create_file_writer(f"{self.run_dir.logdir}/train")
            eval_writer = tf.summary.create_file_writer(f"{self.run_dir.logdir}/eval")
        else:
            train_writer = eval_writer = tf.summary.create_noop_writer()
        phases = self.method.phases()
        total_steps = sum(phase.num_steps for phase in phases)
        start = int(self.step.numpy())
        batches = iter(self.strategy.experimental_distribute_dataset(
            training_batches(self.task.train, self.config.batch_size, self.config.seed, start)))
        previous_handlers = self._catch_signals()
        progress = tqdm(total=total_steps, initial=start, unit="step", dynamic_ncols=True,
                        mininterval=0.5 if sys.stderr.isatty() else 30, file=sys.stderr)
        try:
            phase_end = 0
            for phase in phases:
                phase_start, phase_end = phase_end, phase_end + phase.num_steps
                if int(self.step.numpy()) >= phase_end:
                    continue
                progress.set_description(phase.name)
                compiled = self._compile(phase)
                while int(self.step.numpy()) < phase_end and self._stop_signal is None:
                    step = int(self.step.numpy())
                    values = compiled(next(batches), self._seed(step))
                    values = {name: float(value) for name, value in values.items()}
                    self._check_finite(step, phase.name, values)
                    self.step.assign_add(1)
                    progress.update(1)
                    shown = "loss" if "loss" in values else next(iter(values), None)  # phases name their own
                    if shown is not None:
                        progress.set_postfix({shown: f"{values[shown]:.4f}"}, refresh=False)
                    if (step + 1) % self.config.summary_every == 0:
                        with train_writer.as_default(step=step + 1):
                            for name, value in values.items():
                                tf.summary.scalar(f"{phase.name}/{name}", value)
                            tf.summary.scalar("learning_rate", self.config.learning_rate)
                    if self.config.checkpoint_every and (step + 1) % self.config.checkpoint_every == 0:
                        self.manager.save(checkpoint_number=step + 1)
                    if self.config.eval_every and (step + 1) % self.config.eval_every == 0 and step + 1 < total_steps:
                        self._evaluate(eval_writer, step + 1)
            step = int(self.step.numpy())
            if self.manager.latest_checkpoint != f"{self.manager.directory}/ckpt-{step}":
                self.manager.save(checkpoint_number=step)
            if self._stop_signal is not None:
                self.log(f"stopped by {signal.Signals(self._stop_signal).name} at step {step}; checkpoint saved "
                         f"in {self.run_dir.checkpoints}; continue with --resume")
            return self._evaluate(eval_writer, step, final=True)
        finally:
            progress.close()
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)
            train_writer.flush()
            eval_writer.flush()
            if self._scratch:
                shutil.rmtree(self._scratch, ignore_errors=True)

    # --- pieces ---------------------------------------------------------------------------------
    def _compile(self, phase):
        strategy = self.strategy

        @tf.function(jit_compile=self.config.xla)
        def distributed_step(batch, seed):
            if phase.cross_replica:
                with strategy.scope():
                    return phase.step(batch, seed)
            values = strategy.run(phase.step, args=(batch, seed))
            return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
                    for name, value in values.items()}

        return distributed_step

    def _seed(self, step: int) -> tf.Tensor:
        return tf.random.experimental.stateless_fold_in(tf.constant([self.config.seed, 0], tf.int32), step)

    def _evaluate(self, writer, step: int, final: bool = False) -> dict[str, float]:
        if not self.is_chief:  # the chief's evaluation is the run's; the others would only repeat it
            return {}
        started = time.time()
        eval_seed = tf.random.experimental.stateless_fold_in(tf.constant([self.config.seed, 1], tf.int32), step)
        metrics, texts = self.evaluator(eval_seed)
        path = self.run_dir.write_samples(step, texts[: self.config.samples_to_write])
        with writer.as_default(step=step):
            for name, value in metrics.items():
                tf.summary.scalar(name, value)
            tf.summary.text("samples", "\n\n".join(f"{i + 1}. `{t}`" for i, t in enumerate(texts[:8])))
        writer.flush()
        shown = ", ".join(f"{name} {value:.4f}" for name, value in metrics.items())
        self.log(f"step {step}: {shown} ({time.time() - started:.1f}s)")
        if final:
            described = self.evaluator.describe()
            self.log("final metrics:")
            for name, value in metrics.items():
                self.log(f"  {name.replace('_', '-').upper()}: {value:.4f}  "
                         f"({described[name]})")
            self.log(f"samples: {path}")
        return metrics

    def _check_finite(self, step: int, phase: str, values: dict[str, float]) -> None:
        bad = {name: value for name, value in values.items() if not math.isfinite(value)}
        if bad:
            last = self.manager.latest_checkpoint or "none (no checkpoint was written)"
            raise TrainingDiverged(f"training diverged at step {step + 1} of phase {phase} "
                                   f"({', '.join(f'{k}={v}' for k, v in bad.items())}); stopped without saving; "
                                   f"last good checkpoint: {last}")

    def _catch_signals(self) -> dict:
        def handler(signum, frame):
            self._stop_signal = signum

        previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
        return previous


def model_identity(config, task: Task, extra_flags: tuple[str, ...] = ()) -> dict:
    """What must match for a checkpoint to be resumed: method, model sizes, data shape."""
    identity = {"method": config.method, "task": task.name, "vocab_size": task.spec.vocab_size,
                "sequence_length": task.spec.max_length}
    for name in ("embedding_dim", "hidden_dim", "num_layers") + tuple(extra_flags):
        identity[name] = getattr(config, name)
    if task.conditional:
        identity["source_length"] = task.source_length
        for name in ("attention", "hard_attention", "memory_hops"):
            identity[name] = getattr(config, name)
    if task.vocabulary is not None:
        identity["vocabulary_sha"] = _digest("\n".join(task.vocabulary.tokens))
    return identity


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
