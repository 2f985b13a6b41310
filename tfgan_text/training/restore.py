"""Rebuilds a trained run from its directory: the task, the method's models, the latest checkpoint.

One loader for every command that reads a finished run (evaluate, sweep, export, generate).
"""
from __future__ import annotations

import dataclasses
import json
import os

import tensorflow as tf

from tfgan_text.config import ConfigError, MethodConfig
from tfgan_text.data.build import build_task
from tfgan_text.data.tasks import Task
from tfgan_text.errors import UsageError
from tfgan_text.methods import METHODS
from tfgan_text.training.run_dir import RunDirectory


@dataclasses.dataclass
class LoadedRun:
    run_dir: str
    method: str
    config: MethodConfig  # the run's typed config (from its config.json)
    task: Task
    generator: object
    checkpoint: str
    step: int


def load_run(checkpoint_dir: str, flag: str = "--checkpoint_dir", full_task: bool = True, log=print,
             warn=None) -> LoadedRun:
    """The latest checkpoint's generator with the task it was trained on.

    The task comes from the run's config.json (flags.cfg for runs made before it; a corpus task with
    the saved vocabulary, so ids mean what they meant in training) and is checked against run.json;
    the method is rebuilt through the METHODS registry and restored in the trainer's exact layout.
    `full_task=False` skips sampling the oracle's data sets (serving needs only the oracle's shape).
    A newest checkpoint that does not read back completely (truncated, garbled) is skipped for the
    newest one that does, with one line to `warn` (default: `log`).
    """
    where = f"{flag}={checkpoint_dir}"
    if not os.path.isdir(checkpoint_dir):
        raise UsageError(f"{where}: no such directory")
    run_dir = RunDirectory(checkpoint_dir)
    if not os.path.isdir(run_dir.checkpoints) and os.path.basename(os.path.normpath(checkpoint_dir)) == "checkpoints":
        run_dir = RunDirectory(os.path.dirname(os.path.normpath(checkpoint_dir)))  # given <run>/checkpoints
    if not run_dir.checkpoint_candidates():
        raise UsageError(f"{where}: no checkpoint (ckpt-N) in {run_dir.checkpoints}")
    if not os.path.exists(run_dir.identity):
        raise UsageError(f"{where}: {run_dir.identity} is missing (not a tfgan_text run directory?)")
    try:
        method, values, source = run_dir.saved_config()
    except UsageError as e:
        raise UsageError(f"{where}: {str(e).split(': ', 1)[-1]}") from None
    if method not in METHODS:
        raise UsageError(f"{where}: trained with --method={method}, which this installation lacks")
    try:
        config = METHODS[method].config_class.from_dict(values, source=source)
    except ConfigError as e:
        raise UsageError(f"{where}: {e}") from None
    if not full_task:
        config = config.replace(oracle_num_train=1, oracle_num_test=1)
    vocabulary = run_dir.saved_vocabulary()
    if config.train_data and vocabulary is None:
        raise UsageError(f"{where}: {run_dir.vocabulary} is missing (a corpus run saves its vocabulary)")
    try:
        task = build_task(config, vocabulary=vocabulary, log=lambda message: None, seed=config.seed,
                          saved_sets=run_dir.saved_sampled_sets() if full_task else None)
    except UsageError as e:  # e.g. a corpus given by a relative path, from another working directory
        raise UsageError(f"{where}: rebuilding the run's task from {source}: {e}") from None
    with open(run_dir.identity, encoding="utf-8") as f:
        identity = json.load(f)
    for key, value in (("vocab_size", task.spec.vocab_size), ("sequence_length", task.spec.max_length)):
        if identity.get(key) != value:
            raise UsageError(f"{where}: the task rebuilt from {source} has {key} {value}, but the run "
                             f"was trained with {identity.get(key)} (did its data change?)")
    checkpoint = run_dir.newest_restorable(where, log=warn or log)  # a damaged newer one is skipped, saying so
    built = METHODS[method](task, config, 1)
    step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
    objects = tf.train.Checkpoint(step=step, **built.checkpoint_objects())
    try:
        objects.restore(checkpoint).assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as e:
        raise UsageError(f"{where}: {checkpoint} does not hold this run's models "
                         f"({' '.join(str(e).split())[:160]})") from None
    _check_restored(objects, built.generator, checkpoint, where)
    log(f"restored the generator of {checkpoint} (method {method}, step {int(step.numpy())})")
    return LoadedRun(run_dir.logdir, method, config, task, built.generator, checkpoint, int(step.numpy()))


def _check_restored(objects: tf.train.Checkpoint, generator, checkpoint: str, where: str) -> None:
    """Fails unless every weight of `generator` is reachable from the restored objects (else it would
    keep its random initial value without a warning)."""
    reachable = {id(trackable) for trackable in tf.train.TrackableView(objects).descendants()}
    missing = [v.path for v in generator.variables
               if id(v) not in reachable and not v.path.endswith("seed_generator_state")]  # dropout seeds
    if missing:
        raise UsageError(f"{where}: {checkpoint} does not hold the generator weights {', '.join(missing)}")

