"""The layout of a run directory, and the checks that keep a resumed run consistent.

    <logdir>/checkpoints/   ckpt-N.*, checkpoint, vocab.txt, flags.cfg, run.json
    <logdir>/train/, eval/  TensorBoard event files
    <logdir>/samples/       generated text, one sequence per line, per evaluation
"""
from __future__ import annotations

import json
import os

import tensorflow as tf

from tfgan_text.data.tasks import Task
from tfgan_text.data.vocabulary import Vocabulary
from tfgan_text.errors import UsageError


class RunDirectory:
    def __init__(self, logdir: str):
        self.logdir = logdir
        self.checkpoints = os.path.join(logdir, "checkpoints")
        self.vocabulary = os.path.join(self.checkpoints, "vocab.txt")
        self.flags = os.path.join(self.checkpoints, "flags.cfg")
        self.identity = os.path.join(self.checkpoints, "run.json")
        self.samples = os.path.join(logdir, "samples")

    def latest_checkpoint(self) -> str | None:
        return tf.train.latest_checkpoint(self.checkpoints) if os.path.isdir(self.checkpoints) else None

    def saved_vocabulary(self) -> Vocabulary | None:
        return Vocabulary.load(self.vocabulary) if os.path.exists(self.vocabulary) else None

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
            if key not in saved and _is_flag_default(key, identity.get(key)):
                continue  # a flag newer than the run: the run was trained as its default says
            if saved.get(key) != identity.get(key) and key == "vocabulary_sha":
                raise UsageError(f"--resume: the vocabulary built from the flags differs from {self.vocabulary}")
            if saved.get(key) != identity.get(key):
                raise UsageError(f"--resume: {key} is {identity.get(key)!r} but the run in --logdir={self.logdir} "
                                 f"was trained with {saved.get(key)!r}")

    def create(self, identity: dict, task: Task, flags_text: str) -> None:
        """Writes the files that stand beside every checkpoint (each atomically)."""
        os.makedirs(self.checkpoints, exist_ok=True)
        if task.vocabulary is not None:
            task.vocabulary.save(self.vocabulary)
        _write_atomically(self.flags, flags_text)
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


def _is_flag_default(name: str, value) -> bool:
    """True when `name` is a flag and `value` is its default (what runs made before the flag did)."""
    from absl import flags

    return name in flags.FLAGS and flags.FLAGS[name].default == value
