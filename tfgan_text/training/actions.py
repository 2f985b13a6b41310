"""What the training loop does around its steps, one action each (Orbit's pattern): stop on divergence,
show progress, write summaries, checkpoint, evaluate. The loop calls `after_step` after every step,
in the order the actions are given, and `at_end` once when the phases are done or a stop was asked
(except the final evaluation's, skipped on a stop)."""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import math
import os
import shutil
import signal
import sys
import threading
import time
from typing import Callable, Protocol

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from tfgan_text.errors import CheckpointSaveFailed, Interrupted, TrainingDiverged, TrainingFailed
from tfgan_text.training.run_dir import RunDirectory


@dataclasses.dataclass(frozen=True)
class StepResult:
    step: int  # the global step count after this step
    phase: str
    values: dict[str, float]  # the phase step's scalars
    total_steps: int


class Action(Protocol):
    def after_step(self, result: StepResult) -> None: ...

    def at_end(self, step: int) -> None: ...


class DivergenceGuard:
    """Raises TrainingDiverged on a non-finite scalar, before anything of that step is saved."""

    def __init__(self, manager: tf.train.CheckpointManager | None):
        self.manager = manager

    def after_step(self, result: StepResult) -> None:
        bad = {name: value for name, value in result.values.items() if not math.isfinite(value)}
        if bad:
            last = (self.manager and self.manager.latest_checkpoint) or "none (no checkpoint was written)"
            raise TrainingDiverged(f"training diverged at step {result.step} of phase {result.phase} "
                                   f"({', '.join(f'{k}={v}' for k, v in bad.items())}); stopped without saving; "
                                   f"last good checkpoint: {last}")

    def at_end(self, step: int) -> None:
        pass


class ProgressBar:
    """One tqdm bar per phase on stderr: the phase's name, its own steps, and its main scalars (up to
    `SHOWN_SCALARS`). A phase's first step includes tracing its tf.function, so the bar's clock starts
    after it: the rate and ETA are the phase's average from then on (evaluations included, as they are
    part of the time left). Off a terminal the bar is written rarely."""

    SHOWN_SCALARS = 3

    def __init__(self):
        self.bar: tqdm | None = None
        self.first_step_pending = False

    def start_phase(self, name: str, num_steps: int, done: int) -> None:
        """Called by the loop before the phase's first step (`done`: its steps already run, on a resume)."""
        self.close()
        self.bar = tqdm(total=num_steps, initial=done, desc=name, unit="step", dynamic_ncols=True, smoothing=0,
                        mininterval=0.5 if sys.stderr.isatty() else 30, file=sys.stderr)
        self.first_step_pending = True

    def after_step(self, result: StepResult) -> None:
        if self.bar is None:
            return
        self.bar.set_postfix_str(main_scalars(result.values, self.SHOWN_SCALARS), refresh=False)
        self.bar.update(1)
        if self.first_step_pending:  # the rate counts from here (tqdm has no call for it: its fields are set)
            self.first_step_pending = False
            self.bar.initial = self.bar.n
            self.bar.start_t = self.bar.last_print_t = time.time()

    def at_end(self, step: int) -> None:
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def main_scalars(values: dict[str, float], limit: int) -> str:
    """The first `limit` scalars that are not gradient norms, short: `g_loss=0.6931, d_loss=1.386`."""
    shown = [(name, value) for name, value in values.items() if "norm" not in name][:limit]
    return ", ".join(f"{short_name(name)}={value:.4g}" for name, value in shown)


def short_name(name: str) -> str:
    for word, letter in (("generator_", "g_"), ("discriminator_", "d_"), ("mediator_", "m_")):
        name = name.replace(word, letter)
    return name


class Summaries:
    """Every `every` steps, the phase's scalars (as `<phase>/<name>`) and each optimizer's current learning
    rate (as `learning_rate/<optimizer name>`), read from the optimizer so that a schedule or a rate of its
    own (a discriminator's) shows as it is."""

    def __init__(self, writer, every: int, optimizers: dict[str, keras.optimizers.Optimizer]):
        self.writer, self.every, self.optimizers = writer, every, optimizers

    def after_step(self, result: StepResult) -> None:
        if result.step % self.every == 0:
            with self.writer.as_default(step=result.step):
                for name, value in result.values.items():
                    tf.summary.scalar(f"{result.phase}/{name}", value)
                for name, optimizer in self.optimizers.items():
                    tf.summary.scalar(f"learning_rate/{name}", current_learning_rate(optimizer))

    def at_end(self, step: int) -> None:
        self.writer.flush()


def current_learning_rate(optimizer: keras.optimizers.Optimizer) -> float:
    """The rate the optimizer's next update uses (its schedule's value at its own iteration count)."""
    return float(np.asarray(optimizer.learning_rate))


class Checkpointer:
    """Saves every `every` steps, and at the end unless that step is saved already."""

    def __init__(self, manager: tf.train.CheckpointManager, every: int):
        self.manager, self.every = manager, every

    def after_step(self, result: StepResult) -> None:
        if result.step % self.every == 0:
            save_checkpoint(self.manager, result.step)

    def at_end(self, step: int) -> None:
        if self.manager.latest_checkpoint != f"{self.manager.directory}/ckpt-{step}":
            save_checkpoint(self.manager, step)


def save_checkpoint(manager: tf.train.CheckpointManager, number: int) -> str:
    """Saves ckpt-`number`. If that fails (a full disk, a lost mount, an interrupt), the partial files it
    left (ckpt-N_temp/, an unfinished ckpt-N.*) are removed, so the previous checkpoint stays the latest
    and usable; a file-system error becomes one CheckpointSaveFailed line naming the path (exit code 1)."""
    prefix = os.path.join(manager.directory, f"ckpt-{number}")
    previous = manager.latest_checkpoint
    try:
        return manager.save(checkpoint_number=number)
    except BaseException as e:
        shutil.rmtree(prefix + "_temp", ignore_errors=True)
        written = manager.latest_checkpoint == prefix  # complete: what failed came after (the state file)
        if not written:
            for path in glob.glob(glob.escape(prefix) + ".index") + glob.glob(glob.escape(prefix) + ".data-*"):
                try:
                    os.remove(path)
                except OSError:
                    pass
        if isinstance(e, (tf.errors.OpError, OSError)):
            reason = " ".join(str(getattr(e, "message", None) or e).split())[:200]
            removed = "" if written else "; its partial files were removed"
            raise CheckpointSaveFailed(f"saving the checkpoint {prefix} failed ({reason}){removed}; last good "
                                       f"checkpoint: {(prefix if written else previous) or 'none'}") from None
        raise


SAMPLES_SHOWN = 5  # samples printed with the final metrics


class Evaluation:
    """Every `every` steps (`interim_evaluator`: fewer samples) and once at the end (`evaluator`, the full
    report): the metrics, written to the console, TensorBoard, the samples file, and `history` (one dict per
    evaluation)."""

    interruptible = True  # a stop signal cuts it short (the loop's checkpoint does not depend on it)

    def __init__(self, interim_evaluator, evaluator, writer, every: int, seed: int, run_dir: RunDirectory | None,
                 samples_to_write: int, log: Callable[[str], None]):
        self.interim_evaluator, self.evaluator = interim_evaluator, evaluator
        self.writer, self.every, self.seed = writer, every, seed
        self.run_dir, self.samples_to_write, self.log = run_dir, samples_to_write, log
        self.history: list[dict[str, float]] = []
        self.texts: list[str] = []  # the last evaluation's samples, as text

    def after_step(self, result: StepResult) -> None:
        if result.step % self.every == 0 and result.step < result.total_steps:
            self.evaluate(self.interim_evaluator, result.step)

    def at_end(self, step: int) -> None:
        metrics, path = self.evaluate(self.evaluator, step)
        described = self.evaluator.describe()
        self.log("final metrics:")
        for name, value in metrics.items():
            self.log(f"  {name.replace('_', '-').upper()}: {value:.4f}  ({described[name]})")
        shown = self.texts[:SAMPLES_SHOWN]
        if shown:
            self.log(f"samples (the first {len(shown)} of {len(self.texts):,}):")
            for text in shown:
                self.log(f"  {text}")
        if path:
            self.log(f"samples: {path}")

    def evaluate(self, evaluator, step: int) -> tuple[dict[str, float], str | None]:
        started = time.time()
        metrics, texts = evaluator(evaluation_seed(self.seed, step))
        self.texts = texts
        self.history.append({"step": step, **metrics})
        try:
            path = self.run_dir.write_samples(step, texts[: self.samples_to_write]) if self.run_dir else None
        except OSError as e:
            raise TrainingFailed(f"writing the samples of step {step} into {self.run_dir.samples} failed "
                                 f"({e.strerror or e})") from None
        with self.writer.as_default(step=step):
            for name, value in metrics.items():
                tf.summary.scalar(name, value)
            tf.summary.text("samples", "\n\n".join(f"{i + 1}. `{t}`" for i, t in enumerate(texts[:8])))
        self.writer.flush()
        shown = ", ".join(f"{name} {value:.4f}" for name, value in metrics.items())
        self.log(f"step {step}: {shown} ({time.time() - started:.1f}s)")
        return metrics, path


class StopRequested(Exception):
    """Raised by StopSignal's handler inside `interruptible()`: stop what is being done, now."""


class StopSignal:
    """SIGINT/SIGTERM ask the loop to stop after the current step: it checkpoints and ends without the
    final evaluation. Inside `interruptible()` (an evaluation) the handler raises StopRequested at once; a
    second signal raises Interrupted (a KeyboardInterrupt) wherever the loop is."""

    def __init__(self):
        self.received: int | None = None
        self.previous: dict = {}
        self._interruptible = False

    def __enter__(self) -> "StopSignal":
        if threading.current_thread() is threading.main_thread():  # only it may set handlers (not a notebook's)
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    @contextlib.contextmanager
    def interruptible(self):
        self._interruptible = True
        try:
            yield
        finally:
            self._interruptible = False

    def _handle(self, signum, frame) -> None:
        if self.received is not None:
            raise Interrupted(signum)
        self.received = signum
        if self._interruptible:
            self._interruptible = False
            raise StopRequested()

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name


def step_seed(seed: int, step: int) -> tf.Tensor:
    """The stateless seed of training step `step`: every draw of a step is a function of (seed, step)."""
    return tf.random.experimental.stateless_fold_in(tf.constant([seed, 0], tf.int32), step)


def evaluation_seed(seed: int, step: int) -> tf.Tensor:
    return tf.random.experimental.stateless_fold_in(tf.constant([seed, 1], tf.int32), step)
