"""The layout of a run directory, and the checks that keep a resumed run consistent.

    <logdir>/checkpoints/   ckpt-N.*, checkpoint, vocab.txt, config.json, run.json
    <logdir>/train/, eval/  TensorBoard event files
    <logdir>/samples/       generated text, one sequence per line, per evaluation

config.json holds the method and its whole typed config (runs made before it hold flags.cfg, which
is still read); run.json the model identity that a resumed run must match.
"""
from __future__ import annotations

import json
import os
from typing import Any

import tensorflow as tf

from tfgan_text.config import MethodConfig, all_fields, read_config_json, read_flagfile, write_config
from tfgan_text.data.tasks import Task
from tfgan_text.data.vocabulary import Vocabulary
from tfgan_text.errors import UsageError

IDENTITY_FIELDS = ("embedding_dim", "hidden_dim", "num_layers")
CONDITIONAL_IDENTITY_FIELDS = ("attention", "hard_attention", "memory_hops")


def model_identity(method: str, config: MethodConfig, task: Task, extra_fields: tuple[str, ...] = ()) -> dict:
    """What must match for a checkpoint to be resumed: method, model sizes, data shape."""
    identity = {"method": method, "task": task.name, "vocab_size": task.spec.vocab_size,
                "sequence_length": task.spec.max_length}
    for name in IDENTITY_FIELDS + tuple(extra_fields):
        value = getattr(config, name)
        identity[name] = list(value) if isinstance(value, tuple) else value
    if task.conditional:
        identity["source_length"] = task.source_length
        for name in CONDITIONAL_IDENTITY_FIELDS:
            identity[name] = getattr(config, name)
    if task.vocabulary is not None:
        identity["vocabulary_sha"] = task.vocabulary.digest()
    return identity


class RunDirectory:
    def __init__(self, logdir: str):
        self.logdir = logdir
        self.checkpoints = os.path.join(logdir, "checkpoints")
        self.vocabulary = os.path.join(self.checkpoints, "vocab.txt")
        self.config = os.path.join(self.checkpoints, "config.json")
        self.legacy_flags = os.path.join(self.checkpoints, "flags.cfg")  # runs made before config.json
        self.identity = os.path.join(self.checkpoints, "run.json")
        self.samples = os.path.join(logdir, "samples")

    def latest_checkpoint(self) -> str | None:
        return tf.train.latest_checkpoint(self.checkpoints) if os.path.isdir(self.checkpoints) else None

    def saved_vocabulary(self) -> Vocabulary | None:
        return Vocabulary.load(self.vocabulary) if os.path.exists(self.vocabulary) else None

    def saved_config(self) -> tuple[str, dict[str, Any], str]:
        """(method, config field values, the file they came from) of the run."""
        if os.path.exists(self.config):
            method, values = read_config_json(self.config)
            return method, values, self.config
        if os.path.exists(self.legacy_flags):
            method, values = read_flagfile(self.legacy_flags, unknown="skip")
            return method or "mle", values, self.legacy_flags
        raise UsageError(f"--logdir={self.logdir}: {self.config} is missing (not a tfgan_text run directory?)")

    def check_new(self) -> None:
        if self.latest_checkpoint() or os.path.exists(self.identity):
            raise UsageError(f"--logdir={self.logdir}: already holds a run; pass --resume to continue it "
                             "or choose another --logdir")

    def check_resumable(self, identity: dict) -> None:
        """Refuses to resume into a run whose model, method or vocabulary differ."""
        if not self.latest_checkpoint() or not os.path.exists(self.identity):
            raise UsageError(f"--resume: no checkpoint to resume in --logdir={self.logdir}")
        with open(self.identity, encoding="utf-8") as f:
            saved = json.load(f)
        for key in sorted(set(saved) | set(identity)):
            if key not in saved and _is_field_default(key, identity.get(key)):
                continue  # a field newer than the run: the run was trained as its default says
            if saved.get(key) != identity.get(key) and key == "vocabulary_sha":
                raise UsageError(f"--resume: the vocabulary built from the flags differs from {self.vocabulary}")
            if saved.get(key) != identity.get(key):
                raise UsageError(f"--resume: {key} is {identity.get(key)!r} but the run in --logdir={self.logdir} "
                                 f"was trained with {saved.get(key)!r}")

    def create(self, identity: dict, task: Task, method: str, config: MethodConfig) -> None:
        """Writes the files that stand beside every checkpoint (each atomically)."""
        os.makedirs(self.checkpoints, exist_ok=True)
        if task.vocabulary is not None:
            task.vocabulary.save(self.vocabulary)
        write_config(self.config, method, config)
        _write_atomically(self.identity, json.dumps(identity, indent=1, sort_keys=True))

    def write_samples(self, step: int, texts: list[str]) -> str:
        os.makedirs(self.samples, exist_ok=True)
        path = os.path.join(self.samples, f"step_{step:08d}.txt")
        _write_atomically(path, "".join(text + "\n" for text in texts))
        return path


def _write_atomically(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _is_field_default(name: str, value) -> bool:
    """True when `name` is a config field and `value` its default (what runs made before the field did)."""
    field = all_fields().get(name)
    if field is None:
        return False
    default = list(field.default) if isinstance(field.default, tuple) else field.default
    return default == value
