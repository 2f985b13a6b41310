"""The layout of a run directory, and the checks that keep a resumed run consistent.

    <logdir>/checkpoints/   ckpt-N.*, checkpoint, vocab.txt, config.json, run.json
    <logdir>/train/, eval/  TensorBoard event files
    <logdir>/samples/       generated text, one sequence per line, per evaluation

config.json holds the method and its whole typed config (runs made before it hold flags.cfg, which
is still read); run.json the model identity that a resumed run must match.
"""
from __future__ import annotations

import dataclasses
import glob
import json
import os
import zipfile
from typing import Any, Callable

import numpy as np
import tensorflow as tf

from tfgan_text.config import MethodConfig, TaskConfig, all_fields, read_config_json, read_flagfile, write_config
from tfgan_text.data.tasks import SampledSets, Task
from tfgan_text.data.vocabulary import Vocabulary
from tfgan_text.data.word_vectors import word_vector_dim
from tfgan_text.errors import UsageError

IDENTITY_FIELDS = ("embedding_dim", "hidden_dim", "num_layers")
CONDITIONAL_IDENTITY_FIELDS = ("attention", "hard_attention", "memory_hops")
# The task flags most likely behind a differing identity entry that is not itself a flag, likeliest first.
TASK_FLAGS_BEHIND = {
    "task": ("task", "train_data"),
    "vocab_size": ("oracle_vocab_size", "max_vocab_size", "min_count", "tokenizer", "mapping_num_symbols",
                   "train_data", "task"),
    "sequence_length": ("oracle_length", "max_length", "mapping_max_length", "long_sentences", "tokenizer",
                        "train_data", "task"),
    "source_length": ("max_source_length", "mapping_max_length", "train_data", "task"),
    "vocabulary_sha": ("train_data", "tokenizer", "min_count", "max_vocab_size", "max_length", "long_sentences",
                       "test_data", "heldout_fraction", "task"),
}


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
    if getattr(config, "embeddings_file", ""):  # fixed vectors feed the models: their size is the model's
        identity["embeddings_dim"] = word_vector_dim(config.embeddings_file)
    return identity


class RunDirectory:
    def __init__(self, logdir: str):
        self.logdir = logdir
        self.checkpoints = os.path.join(logdir, "checkpoints")
        self.vocabulary = os.path.join(self.checkpoints, "vocab.txt")
        self.config = os.path.join(self.checkpoints, "config.json")
        self.legacy_flags = os.path.join(self.checkpoints, "flags.cfg")  # runs made before config.json
        self.identity = os.path.join(self.checkpoints, "run.json")
        self.sampled_sets = os.path.join(self.checkpoints, "sampled_sets.npz")  # a sampled task's data sets
        self.samples = os.path.join(logdir, "samples")

    def latest_checkpoint(self) -> str | None:
        """The newest checkpoint's prefix (restorable or not), or None."""
        candidates = self.checkpoint_candidates()
        return candidates[0] if candidates else None

    def checkpoint_candidates(self) -> list[str]:
        """Prefixes of the checkpoints in checkpoints/, newest (highest step) first: those the `checkpoint`
        state file lists and any other ckpt-N.index (a damaged state file hides nothing)."""
        if not os.path.isdir(self.checkpoints):
            return []
        found = {path[: -len(".index")] for path in glob.glob(os.path.join(glob.escape(self.checkpoints),
                                                                            "ckpt-*.index"))}
        try:
            state = tf.train.get_checkpoint_state(self.checkpoints)
        except Exception:  # noqa: BLE001  (a garbled state file: the files on disk still say what there is)
            state = None
        if state is not None:
            listed = list(state.all_model_checkpoint_paths) + [state.model_checkpoint_path]
            found |= {os.path.join(self.checkpoints, os.path.basename(p)) for p in listed
                      if p and os.path.exists(os.path.join(self.checkpoints, os.path.basename(p)) + ".index")}
        return sorted((p for p in found if checkpoint_number(p) is not None), key=checkpoint_number, reverse=True)

    def newest_restorable(self, where: str, log=print) -> str:
        """The newest checkpoint whose index and data read back completely (every tensor, checksums
        included); each newer one is skipped with one line to `log` saying why. None readable: one
        UsageError naming `where` (the flag) and why each failed."""
        problems = []
        for prefix in self.checkpoint_candidates():
            problem = unreadable_checkpoint(prefix)
            if problem is None:
                for skipped, why in problems:
                    log(f"skipped checkpoint {skipped}: {why}")
                return prefix
            problems.append((prefix, problem))
        if not problems:
            raise UsageError(f"{where}: no checkpoint (ckpt-N) in {self.checkpoints}")
        why = "; ".join(f"{os.path.basename(prefix)}: {problem}" for prefix, problem in problems)
        raise UsageError(f"{where}: no checkpoint in {self.checkpoints} restores completely ({why})")

    def saved_vocabulary(self) -> Vocabulary | None:
        return Vocabulary.load(self.vocabulary) if os.path.exists(self.vocabulary) else None

    def saved_config(self) -> tuple[str, dict[str, Any], str]:
        """(method, config field values, the file they came from) of the run."""
        if os.path.exists(self.config):
            method, values = read_config_json(self.config)
            return method, self._resolved_task(values), self.config
        if os.path.exists(self.legacy_flags):
            method, values = read_flagfile(self.legacy_flags, unknown="skip")
            return method or "mle", self._resolved_task(values), self.legacy_flags
        raise UsageError(f"--logdir={self.logdir}: {self.config} is missing (not a tfgan_text run directory?)")

    def holds_run_files(self) -> bool:
        """Whether a run was started here: config.json (or an old run's flags.cfg) or run.json exists."""
        return any(os.path.exists(path) for path in (self.config, self.legacy_flags, self.identity))

    def _resolved_task(self, values: dict[str, Any]) -> dict[str, Any]:
        """`values` with --task=auto replaced by the task the run was trained on (run.json), so that what
        `auto` means today does not change an older run: without --train_data it meant the LSTM oracle
        before the grammar task existed."""
        if values.get("task", "auto") != "auto" or not os.path.exists(self.identity):
            return values
        try:
            with open(self.identity, encoding="utf-8") as f:
                trained_on = json.load(f).get("task")
        except (OSError, ValueError, AttributeError):
            return values
        return {**values, "task": trained_on} if trained_on in ("grammar", "oracle", "corpus") else values

    def check_new(self) -> None:
        if self.latest_checkpoint():
            raise UsageError(f"--logdir={self.logdir}: already holds a run; pass --resume to continue it "
                             "or choose another --logdir")
        if os.path.exists(self.identity):
            raise UsageError(f"--logdir={self.logdir}: holds a run that stopped before its first checkpoint; "
                             "pass --resume to start it again from step 0 with its saved config, or choose "
                             "another --logdir")

    def check_resumable(self, identity: dict, config: MethodConfig | None = None) -> bool:
        """Refuses to resume into a run whose method, model or data differ; the message names the flag
        (the method first; for the vocabulary or sequence length, the task flag of `config` that changed
        from the run's config.json). Returns whether there is a checkpoint to restore: False for a run
        that stopped before its first one (it starts again from step 0)."""
        has_checkpoint = self.latest_checkpoint() is not None
        if not has_checkpoint and not self.holds_run_files():
            raise UsageError(f"--resume: no checkpoint to resume in --logdir={self.logdir} (no run was started "
                             "there; start one without --resume)")
        if not os.path.exists(self.identity):
            if has_checkpoint:
                raise UsageError(f"--resume: {self.identity} is missing (not a tfgan_text run directory?)")
            return False  # the run stopped while writing its files: nothing to compare
        with open(self.identity, encoding="utf-8") as f:
            saved = json.load(f)
        keys = set(saved) | set(identity)
        for key in [k for k in ("method", "task") if k in keys] + sorted(keys - {"method", "task"}):
            if key not in saved and _is_field_default(key, identity.get(key)):
                continue  # a field newer than the run: the run was trained as its default says
            if saved.get(key) != identity.get(key):
                raise UsageError(self._mismatch(key, saved, identity, config))
        return has_checkpoint

    def _mismatch(self, key: str, saved: dict, identity: dict, config: MethodConfig | None) -> str:
        """The one line that names the flag behind a differing identity `key`."""
        run = f"the run in --logdir={self.logdir}"
        if key == "method" or (key in all_fields() and key != "task"):  # identity["task"] is the task's kind
            new, old = _flag_value(identity.get(key)), _flag_value(saved.get(key))
            if key not in saved:
                default = _flag_value(all_fields()[key].default)
                return f"--{key}={new}: {run} was trained before --{key} existed (as --{key}={default})"
            return f"--{key}={new}: {run} was trained with --{key}={old}"
        changed = self._changed_task_flags(config)
        likely = TASK_FLAGS_BEHIND.get(key, ())
        changed.sort(key=lambda item: likely.index(item[0]) if item[0] in likely else len(likely))
        if changed:
            name, new, old = changed[0]
            return f"--{name}={_flag_value(new)}: {run} was trained with --{name}={_flag_value(old)}"
        if key == "task":
            return f"--resume: the task is {identity.get(key)} but {run} was trained on {saved.get(key)}"
        if key == "embeddings_dim":
            return (f"--embeddings_file={config.embeddings_file}: its vectors are {identity.get(key)}-d, but {run} "
                    f"was trained with {saved.get(key)}-d vectors")
        if key == "vocabulary_sha":
            return (f"--resume: the vocabulary built from the flags differs from {self.vocabulary} (did the "
                    "data change?)")
        return (f"--resume: the task built from the flags has {key} {identity.get(key)} but {run} was trained "
                f"with {saved.get(key)} (did its data change?)")

    def _changed_task_flags(self, config: MethodConfig | None) -> list[tuple[str, Any, Any]]:
        """(flag, value now, value in the run's config) of every task flag that differs from the run's."""
        if config is None:
            return []
        try:
            _, values, _ = self.saved_config()
        except (UsageError, OSError):
            return []
        task_fields = [f.name for f in dataclasses.fields(TaskConfig)]
        default = {name: all_fields()[name].default for name in task_fields}
        changed = [(name, getattr(config, name), values.get(name, default[name])) for name in task_fields
                   if _flag_value(getattr(config, name)) != _flag_value(values.get(name, default[name]))]
        saved_kind = values.get("task", "auto")
        if saved_kind == "auto":
            saved_kind = "corpus" if values.get("train_data") else "grammar"
        return [item for item in changed if item[0] != "task" or config.task_kind != saved_kind]  # auto = its kind

    def create(self, identity: dict, task: Task, method: str, config: MethodConfig) -> None:
        """Writes the files that stand beside every checkpoint (each atomically); a file-system error is a
        UsageError naming the path."""
        try:
            os.makedirs(self.checkpoints, exist_ok=True)
            if task.vocabulary is not None:
                task.vocabulary.save(self.vocabulary)
            write_config(self.config, method, config)
            if task.oracle is not None and not task.conditional:  # sampled, not read: keep them for later calls
                write_atomically(self.sampled_sets, lambda f: np.savez(f, train=task.train, test=task.test), "wb")
            write_atomically(self.identity, json.dumps(identity, indent=1, sort_keys=True))
        except OSError as e:
            raise UsageError(f"--logdir={self.logdir}: cannot write {e.filename or self.checkpoints} "
                             f"({e.strerror or e})") from None

    def saved_sampled_sets(self) -> SampledSets | None:
        """The training and held-out sets of a sampled task as this run drew them (None if the run kept
        none or the file does not read: they are then sampled again, with the same seeds)."""
        try:
            with np.load(self.sampled_sets) as saved:
                return saved["train"], saved["test"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None

    def write_samples(self, step: int, texts: list[str]) -> str:
        os.makedirs(self.samples, exist_ok=True)
        path = os.path.join(self.samples, f"step_{step:08d}.txt")
        write_atomically(path, "".join(text + "\n" for text in texts))
        return path


def unreadable_checkpoint(prefix: str) -> str | None:
    """Why the checkpoint `prefix` cannot be restored completely, or None: its index must parse and every
    tensor must read back (TensorFlow checks each one's CRC32C), so a truncated data file or a garbled index
    is found before anything is restored from it."""
    if not os.path.exists(prefix + ".index"):
        return "its .index file is missing"
    try:
        reader = tf.train.load_checkpoint(prefix)
    except Exception as e:  # noqa: BLE001  (TensorFlow raises OpError, ValueError or IndexError here)
        return f"its index is unreadable ({_one_line(e)})"
    try:
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except Exception as e:  # noqa: BLE001
        return f"its data is unreadable ({_one_line(e)})"
    return None


def _one_line(error: BaseException, limit: int = 160) -> str:
    text = " ".join(str(getattr(error, "message", None) or error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def checkpoint_number(prefix: str) -> int | None:
    """N of a ckpt-N prefix (None for another name)."""
    number = os.path.basename(prefix)[len("ckpt-"):]
    return int(number) if number.isdigit() else None


def write_atomically(path: str, content: str | Callable[[Any], None], mode: str = "w") -> None:
    """Writes `content` (a text, or a function that writes into the open file) to `path` through a
    temporary file, so `path` is either complete or absent."""
    tmp = path + ".tmp"
    try:
        with open(tmp, mode, encoding=None if "b" in mode else "utf-8") as f:
            if callable(content):
                content(f)
            else:
                f.write(content)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _flag_value(value) -> str:
    """`value` as it is written on the command line."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _is_field_default(name: str, value) -> bool:
    """True when `name` is a config field and `value` its default (what runs made before the field did)."""
    field = all_fields().get(name)
    if field is None:
        return False
    default = list(field.default) if isinstance(field.default, tuple) else field.default
    return default == value
