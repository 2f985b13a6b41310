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

import os
import shutil
import tempfile

import keras
import tensorflow as tf
from tensorboard.plugins.hparams import api as hp

from tfgan_text.config import MethodConfig
from tfgan_text.data.pipeline import steps_per_epoch, training_batches
from tfgan_text.data.tasks import Task
from tfgan_text.errors import Interrupted, UsageError
from tfgan_text.methods.base import Method, Phase
from tfgan_text.training.actions import (Checkpointer, DivergenceGuard, Evaluation, ProgressBar, StepResult,
                                         StopRequested, StopSignal, Summaries, step_seed)
from tfgan_text.training.run_dir import RunDirectory, checkpoint_number


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
    """Builds a method under a strategy and runs its phases. `run_dir` None: nothing is written (no
    checkpoint, summary or samples file). `resume`: continue the run in `run_dir` from its latest
    checkpoint; otherwise the method's new-run set-up (e.g. a pre-trained generator) runs here, so a
    bad input fails before anything is written."""

    def __init__(self, method_class: type[Method], task: Task, config: MethodConfig, run_dir: RunDirectory | None,
                 strategy: tf.distribute.Strategy | None = None, log=print, resume: bool = False):
        self.task, self.config, self.run_dir, self.log, self.resume = task, config, run_dir, log, resume
        self.strategy = strategy or make_strategy(config.strategy)
        self.is_chief = is_chief(self.strategy)
        replicas = self.strategy.num_replicas_in_sync
        if config.batch_size % replicas:
            raise UsageError(f"--batch_size={config.batch_size}: must be a multiple of the {replicas} replicas")
        self.steps_per_epoch = steps_per_epoch(len(task.train), config.batch_size)
        if self.steps_per_epoch < 1:
            raise UsageError(f"--batch_size={config.batch_size}: larger than the {len(task.train)} training "
                             "sequences")
        self.eval_every = config.eval_every or self.steps_per_epoch
        self.checkpoint_every = config.checkpoint_every or self.steps_per_epoch
        keras.utils.set_random_seed(config.seed)  # initial weights are a function of --seed
        with self.strategy.scope():
            self.method = method_class(task, config, self.steps_per_epoch)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
            self.checkpoint = tf.train.Checkpoint(step=self.step, **self.method.checkpoint_objects())
            if not resume:
                self.method.start_new_run()
        # A non-chief worker must take part in every save, into a directory of its own that it deletes.
        self._scratch = None if self.is_chief or run_dir is None else tempfile.mkdtemp(prefix="tfgan_text_worker_")
        self.manager = None if run_dir is None else tf.train.CheckpointManager(
            self.checkpoint, self._scratch or run_dir.checkpoints, max_to_keep=config.keep_checkpoints)
        self.evaluator = self.method.evaluator(config.num_eval_samples, config.eval_temperature)  # the final one
        interim = min(config.interim_eval_samples, config.num_eval_samples)
        self.interim_evaluator = self.evaluator if interim == config.num_eval_samples else \
            self.method.evaluator(interim, config.eval_temperature)

    # --- the loop -------------------------------------------------------------------------------
    def train(self) -> list[dict[str, float]]:
        """Runs every phase to its end; returns the metric history (the last entry is the final evaluation).
        A stop signal (SIGINT/SIGTERM) checkpoints and raises Interrupted without the final evaluation, its
        message saying what was saved and how to go on."""
        if self.resume:
            self.restore()
        writes = self.is_chief and self.run_dir is not None
        train_writer = tf.summary.create_file_writer(f"{self.run_dir.logdir}/train") if writes else \
            tf.summary.create_noop_writer()
        eval_writer = tf.summary.create_file_writer(f"{self.run_dir.logdir}/eval") if writes else \
            tf.summary.create_noop_writer()
        if writes:
            write_hparams(self.run_dir.logdir, self.method.name, self.config)
        phases = self.method.phases()
        start = int(self.step.numpy())
        batches = iter(self.strategy.experimental_distribute_dataset(
            training_batches(self.task.train, self.config.batch_size, self.config.seed, start)))
        evaluation = Evaluation(self.interim_evaluator, self.evaluator, eval_writer, self.eval_every,
                                self.config.seed, self.run_dir, self.config.samples_to_write, self.log)
        progress = ProgressBar()
        actions = [DivergenceGuard(self.manager), progress,
                   Summaries(train_writer, self.config.summary_every, self.optimizers())]
        if self.manager:
            actions.append(Checkpointer(self.manager, self.checkpoint_every))
        if self.is_chief:  # the chief's evaluation is the run's; the others would only repeat it
            actions.append(evaluation)
        try:
            with StopSignal() as stop:  # SIGINT/SIGTERM: checkpoint and stop, without the final evaluation
                self.run_phases(phases, batches, actions, stop)
                step = int(self.step.numpy())
                for action in actions:
                    if action is not evaluation:
                        action.at_end(step)  # the checkpoint is saved before the final evaluation
                if evaluation in actions and stop.received is None:
                    try:
                        with stop.interruptible():
                            evaluation.at_end(step)
                    except StopRequested:
                        pass
            if stop.received is not None:
                raise Interrupted(stop.received, self.stop_message(stop.name, step))
            return evaluation.history
        finally:
            progress.at_end(0)
            train_writer.flush()
            eval_writer.flush()
            if self._scratch:
                shutil.rmtree(self._scratch, ignore_errors=True)

    def optimizers(self) -> dict[str, keras.optimizers.Optimizer]:
        """The method's optimizers by their checkpoint names (`generator_optimizer`, ...)."""
        return {name: value for name, value in self.method.checkpoint_objects().items()
                if isinstance(value, keras.optimizers.Optimizer)}

    def stop_message(self, signal_name: str, step: int) -> str:
        if self.run_dir is None:
            return f"stopped by {signal_name} at step {step} (no run directory: nothing was saved)"
        if not self.is_chief:
            return f"stopped by {signal_name} at step {step}"
        return (f"stopped by {signal_name} at step {step}; checkpoint {self.manager.latest_checkpoint} saved; continue "
                f"with --resume; the final evaluation was skipped, run it with: python -m tfgan_text.evaluate "
                f"--checkpoint_dir={self.run_dir.logdir}")

    def restore(self) -> None:
        """Restores the newest checkpoint that reads back completely (a damaged newer one is skipped, with
        one line; the chief then makes the `checkpoint` state file list only the one restored and older, so
        the run's next saves replace the damaged ones)."""
        prefix = self.run_dir.newest_restorable("--resume", log=self.log)
        try:
            self.checkpoint.restore(prefix).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as e:
            raise UsageError(f"--resume: {prefix} does not hold this run's models "
                             f"({' '.join(str(e).split())[:160]})") from None
        if self.is_chief and tf.train.latest_checkpoint(self.run_dir.checkpoints) != prefix:
            older = [p for p in reversed(self.run_dir.checkpoint_candidates())
                     if checkpoint_number(p) <= checkpoint_number(prefix)]
            tf.compat.v1.train.update_checkpoint_state(self.run_dir.checkpoints, prefix,
                                                       all_model_checkpoint_paths=older)
            self.manager = tf.train.CheckpointManager(self.checkpoint, self.run_dir.checkpoints,
                                                      max_to_keep=self.config.keep_checkpoints)
        self.log(f"resumed from {prefix} at step {int(self.step.numpy())}")

    def run_phases(self, phases: list[Phase], batches, actions: list, stop: StopSignal) -> None:
        """Runs each phase's compiled step from the current global step to the phase's end."""
        total_steps = sum(phase.num_steps for phase in phases)
        phase_end = 0
        for phase in phases:
            phase_end += phase.num_steps
            if int(self.step.numpy()) >= phase_end:
                continue
            compiled = compile_step(phase, self.strategy, self.config.xla)
            done = int(self.step.numpy()) - (phase_end - phase.num_steps)  # on a resume, within the phase
            for action in actions:
                if hasattr(action, "start_phase"):  # the progress bar: one per phase
                    action.start_phase(phase.name, phase.num_steps, done)
            while int(self.step.numpy()) < phase_end and stop.received is None:
                step = int(self.step.numpy())
                values = compiled(next(batches), step_seed(self.config.seed, step))
                result = StepResult(step + 1, phase.name, {name: float(v) for name, v in values.items()}, total_steps)
                self.step.assign_add(1)
                for action in actions:
                    if not getattr(action, "interruptible", False):
                        action.after_step(result)
                        continue
                    try:  # a stop signal cuts an evaluation short rather than wait for its end
                        with stop.interruptible():
                            action.after_step(result)
                    except StopRequested:
                        self.log(f"{stop.name}: the evaluation of step {result.step} was cut short")


def write_hparams(logdir: str, method: str, config: MethodConfig) -> None:
    """The run's method and config as a TensorBoard HParams session in `logdir` itself, so that runs side by
    side under one parent compare in the HParams table: its columns are the config fields, and its metrics
    the scalars of `train/` and `eval/` (their last values: the final evaluation's). No experiment summary
    is written: the plugin would take one run's arbitrarily, hiding other methods' fields; it infers the
    union from the sessions instead."""
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        hp.hparams(hparams_of(method, config))
    writer.close()


def hparams_of(method: str, config: MethodConfig) -> dict[str, bool | int | float | str]:
    """`method` and the fields of `config` as HParams values (a tuple of integers as "1,2,3")."""
    values = {"method": method}
    for name, value in config.to_dict().items():
        values[name] = ",".join(str(v) for v in value) if isinstance(value, list) else value
    return values


def compile_step(phase: Phase, strategy: tf.distribute.Strategy, jit_compile: bool = False):
    """`phase.step` as one tf.function under `strategy`: (batch, seed) -> scalars averaged over replicas."""

    @tf.function(jit_compile=jit_compile)
    def distributed_step(batch, seed):
        if phase.cross_replica:
            with strategy.scope():
                return phase.step(batch, seed)
        values = strategy.run(phase.step, args=(batch, seed))
        return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
                for name, value in values.items()}

    return distributed_step
