"""The library's verbs: `train` a method from its config, `sample` and `evaluate_run` (beside
`load_run` and `export_generator`, re-exported by the package). The command-line tools wrap these."""
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Callable

import tensorflow as tf

from tfgan_text.config import ConfigError, MethodConfig
from tfgan_text.data.tasks import Task
from tfgan_text.errors import Interrupted, UsageError
from tfgan_text.methods import CONDITIONAL_METHODS, get_method
from tfgan_text.methods.base import Method
from tfgan_text.training.memory import check_step_fits
from tfgan_text.training.run_dir import RunDirectory, model_identity
from tfgan_text.training.run_lock import acquire as acquire_run_lock
from tfgan_text.training.run_lock import check_writable
from tfgan_text.training.trainer import Trainer, is_chief, make_strategy

if TYPE_CHECKING:
    from tfgan_text.training.restore import LoadedRun

# The data, restore and serving modules (tensorflow-text among them) are imported inside the functions:
# a multi-worker strategy must be created before they initialise TensorFlow's runtime.


def train(method: str | type[Method], config: MethodConfig | None = None, *, task: Task | None = None,
          logdir: str | None = None, resume: bool = False, strategy: tf.distribute.Strategy | None = None,
          export_name: str = "", export_dir: str = "savedmodels",
          log: Callable[[str], None] = print) -> list[dict[str, float]]:
    """Trains `method` (a name or a Method class) with `config` (default: the method's config class's
    defaults) on `task` (default: the task `config` describes); returns the metric history, one dict
    per evaluation (`step` and each metric), the final evaluation last.

    `logdir` None: nothing is written. Otherwise the run directory holds checkpoints, TensorBoard logs,
    samples and config.json, so the CLI can resume, evaluate and export it; `resume` continues it. The
    run holds `<logdir>/.lock` throughout (tfgan_text/training/run_lock.py): a second run on the same
    `logdir` is refused, naming the holder.
    `export_name`: at the end, export the generator as `<export_dir>/<export_name>/<next version>`.
    SIGINT/SIGTERM checkpoint and raise `tfgan_text.errors.Interrupted` (a KeyboardInterrupt) at once.
    """
    method_class = get_method(method)
    config = method_class.config_class() if config is None else config
    if not isinstance(config, method_class.config_class):
        raise ConfigError(f"method {method_class.name} takes a {method_class.config_class.__name__}, "
                          f"not a {type(config).__name__}")
    if config.conditional and method_class.name not in CONDITIONAL_METHODS:
        raise UsageError(f"--task={config.task}: a conditional task; --method={method_class.name} generates "
                         "unconditionally")
    strategy = strategy or make_strategy(config.strategy)  # first: a multi-worker strategy precedes other TF work
    chief = is_chief(strategy)
    from tfgan_text.serving import check_model_name

    if export_name:
        check_model_name(export_name, "--export_name")
    if resume and not logdir:
        raise UsageError("--resume needs --logdir (the run to continue)")
    run_dir = RunDirectory(logdir) if logdir else None
    lock = None
    if run_dir and chief:  # the other workers of a cluster write nothing into --logdir
        if resume and not os.path.lexists(logdir):
            raise UsageError(f"--resume: no checkpoint to resume in --logdir={logdir} (no such directory; start "
                             "a run there without --resume)")
        lock = acquire_run_lock(logdir, create=not resume, log=log)  # also the first write: bad paths end here
    try:
        if lock and os.path.isdir(run_dir.checkpoints):
            check_writable(run_dir.checkpoints, f"--logdir={logdir}")
        return _train(method_class, config, task, run_dir, resume, strategy, chief, export_name, export_dir, log)
    finally:
        if lock:
            lock.release()


def _train(method_class, config, task, run_dir, resume, strategy, chief, export_name, export_dir, log):
    from tfgan_text.data.build import build_task
    from tfgan_text.serving import export_generator

    saved_sets = run_dir.saved_sampled_sets() if run_dir and resume else None  # not sampled again
    task = task or build_task(config, log=log, seed=config.seed, saved_sets=saved_sets)
    check_step_fits(method_class, config, task.spec)
    identity = model_identity(method_class.name, config, task, method_class.identity_flags)
    restart = False  # --resume of a run that stopped before its first checkpoint: from step 0
    if resume:
        restart = not run_dir.check_resumable(identity, config)  # every worker restores from the chief's directory
    elif chief and run_dir:
        run_dir.check_new()
    log(f"{method_class.name} on {task.name}: {len(task.train):,} training sequences, vocabulary "
        f"{task.spec.vocab_size:,}, length {task.spec.max_length}; NLL-test on {task.test_description}")
    if restart:
        log(f"--resume: no checkpoint in {run_dir.checkpoints} (the run stopped before its first one); "
            "starting it from step 0 with its saved config")
    trainer = Trainer(method_class, task, config, run_dir, strategy=strategy, log=log, resume=resume and not restart)
    if run_dir and (restart or not resume) and chief:
        run_dir.create(identity, task, method_class.name, config)
    if run_dir:
        log(f"run directory: {run_dir.logdir} (tensorboard --logdir {run_dir.logdir})")
    try:
        history = trainer.train()
    except Interrupted:
        if export_name and chief:
            how = f"; export its checkpoint with: python -m tfgan_text.export --checkpoint_dir={run_dir.logdir} " \
                  f"--name={export_name}" if run_dir else ""
            log(f"--export_name={export_name}: not exported (stopped before the end){how}")
        raise
    if export_name and chief:
        export_generator(trainer.method.generator, task, export_dir, export_name, log=log,
                         readout=getattr(config, "wgan_readout", "argmax"))
    return history


def sample(generator, task: Task, num_samples: int = 10, temperature: float = 1.0, seed: int = 0,
           top_k: int = 0) -> list[str]:
    """`num_samples` texts drawn from an unconditional `generator` (decoded as `task` reads them)."""
    from tfgan_text.sampling import Sampler

    if task.conditional:
        raise UsageError("sample: a conditional task's generator answers sources; use tfgan-text-generate "
                         "--sources or the exported serving_default")
    samples = Sampler(generator, task.spec)(num_samples, tf.constant([seed, 0], tf.int32), temperature, top_k)
    return [task.decode(row) for row in samples.tokens.numpy()]


def evaluate_run(run: LoadedRun | str, metrics: tuple[str, ...] = (), num_samples: int = 10000,
                 temperature: float = 1.0, seed: int = 0, log: Callable[[str], None] = print) -> dict[str, float]:
    """The metrics of a trained run (a run directory or a `load_run` result); `metrics` empty: all
    that apply to its task and need nothing optional (nll, bleu, self_bleu, jsd). (Not `evaluate`: that
    name is the command-line module `python -m tfgan_text.evaluate`.)"""
    from tfgan_text.evaluation import choose_metrics, evaluate
    from tfgan_text.metrics.language_model_scores import LanguageModelConfig
    from tfgan_text.training.restore import load_run

    run = load_run(run, flag="run", log=log) if isinstance(run, str) else run
    chosen = choose_metrics(list(metrics), run.task) if metrics else [
        name for name in choose_metrics([], run.task) if name not in ("fed", "lm")]
    values, _ = evaluate(run, chosen, num_samples, temperature, seed,
                             lm_config=LanguageModelConfig(seed=seed), log=log)
    return values


def default_logdir(method: str) -> str:
    """runs/<method>-<time>, the CLI's run directory when --logdir is not given."""
    return os.path.join("runs", f"{method}-{time.strftime('%Y%m%d-%H%M%S')}")
