"""The command-line edge: absl flags made from the config dataclasses, help, and one way to fail.

Every command (train, evaluate, sweep, export, generate, glove, benchmark) defines its flags on a
FlagValues of its own here, parses with `parse`, and runs inside `run_command`, which turns a
`UsageError` into one line and exit code 2, a fault during training (divergence, a checkpoint that could
not be saved) into one line and exit code 1, and Ctrl-C or SIGTERM into one line.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
import typing
from typing import Any, Callable, Iterable

from absl import flags

from tfgan_text.config import FIELD_OWNERS, Component, ConfigError, all_fields, preset_path
from tfgan_text.errors import Interrupted, TrainingFailed, UsageError
from tfgan_text.native_noise import native_noise_filtered

HELP_FLAGS = ("--help", "-help", "-h", "--helpshort", "-helpshort", "--helpfull", "-helpfull", "-?")


def define_config_flags(flag_values: flags.FlagValues, classes: Iterable[type[Component]]) -> None:
    """One flag per field of `classes` (with their bases), named as the field, with its help and bounds."""
    fields = all_fields()
    names = []
    for cls in classes:
        names += [f.name for f in dataclasses.fields(cls) if f.name not in names]
    for name in names:
        if name in flag_values:
            continue
        field, owner = fields[name], FIELD_OWNERS[name]
        kind = typing.get_type_hints(owner)[name]
        meta, module = field.metadata, f"{owner.__module__}.{owner.__name__}"
        common = dict(name=name, help=meta["help"], flag_values=flag_values, module_name=module)
        bounds = dict(lower_bound=meta["lower"], upper_bound=meta["upper"])
        if kind is bool:
            flags.DEFINE_bool(default=field.default, **common)
        elif kind is int:
            flags.DEFINE_integer(default=field.default, **bounds, **common)
        elif kind is float:
            flags.DEFINE_float(default=field.default, **bounds, **common)
        elif meta["choices"]:
            flags.DEFINE_enum(default=field.default, enum_values=list(meta["choices"]), **common)
        elif kind is str:
            flags.DEFINE_string(default=field.default, **common)
        else:  # tuple[int, ...]
            flags.DEFINE_list(default=[str(v) for v in field.default], **common)


def field_value(flag_values: flags.FlagValues, name: str) -> Any:
    """The parsed flag `name` as its config field's type (a list flag as a tuple of integers)."""
    value = flag_values[name].value
    if not isinstance(value, list):
        return value
    try:
        return tuple(int(v) for v in value)
    except ValueError:
        raise UsageError(f"--{name}={','.join(value)}: expected comma-separated integers") from None


def config_from_flags(flag_values: flags.FlagValues, cls: type[Component]) -> Component:
    """`cls` made from the parsed flags of its fields (a bad value names its flag)."""
    try:
        return cls(**{field.name: field_value(flag_values, field.name) for field in dataclasses.fields(cls)})
    except ConfigError as e:
        raise UsageError(f"--{e}") from None


def explicit_fields(flag_values: flags.FlagValues, cls: type[Component]) -> dict[str, Any]:
    """The fields of `cls` set by the command line or a flagfile, with their typed values."""
    return {f.name: field_value(flag_values, f.name) for f in dataclasses.fields(cls) if flag_values[f.name].present}


def with_default_preset(argv: list[str], default_method: str = "mle") -> list[str]:
    """argv with the method's preset flagfile first when no --flagfile is given, so the command line wins.

    A resumed run (--resume with --logdir) reads its own saved config instead, so no preset is added."""
    if any(arg.startswith(("--flagfile", "-flagfile")) for arg in argv[1:]) or "--resume" in argv[1:]:
        return argv
    method = default_method
    for arg in argv[1:]:
        if arg.startswith("--method="):
            method = arg.split("=", 1)[1]
    try:
        path = preset_path(method)
    except ConfigError:
        return argv  # an unknown method: the command reports it by name
    return argv[:1] + [f"--flagfile={path}"] + argv[1:]


def parse(flag_values: flags.FlagValues, argv: list[str], usage: str = "") -> flags.FlagValues:
    """Parses `argv` afresh; --help/--helpshort/--helpfull print the flags and exit 0; absl's errors become
    a one-line UsageError."""
    if any(arg in HELP_FLAGS for arg in argv[1:]):
        print((usage.strip() + "\n\n" if usage else "") + flag_values.get_help())
        raise SystemExit(0)
    try:
        flag_values.unparse_flags()
        flag_values(argv[:1] + expand_flagfiles(argv[1:]))
    except flags.Error as e:
        raise UsageError(" ".join(str(e).split())) from None
    return flag_values


def expand_flagfiles(args: list[str], _seen: tuple[str, ...] = ()) -> list[str]:
    """`args` with every --flagfile=F replaced by F's flags, recursively. A nested flagfile that does not
    exist where it says is looked up as a preset by its name, so presets that include presets work from
    an installed package as from the checkout."""
    expanded = []
    for arg in args:
        if not arg.startswith(("--flagfile=", "-flagfile=")):
            expanded.append(arg)
            continue
        path = arg.split("=", 1)[1]
        if _seen and not os.path.exists(path) and path.endswith(".cfg"):
            path = preset_path(os.path.basename(path)[:-4])
        if path in _seen:
            raise UsageError(f"--flagfile={path}: includes itself")
        try:
            with open(path, encoding="utf-8") as f:
                lines = [line.strip() for line in f.read().splitlines()]
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"--flagfile={path}: cannot read it ({e.__class__.__name__})") from None
        expanded += expand_flagfiles([line for line in lines if line and not line.startswith("#")],
                                     _seen + (path,))
    return expanded


def run_command(name: str, main: Callable[[list[str]], Any], argv: list[str] | None = None) -> int:
    """Runs `main(argv)`; returns the exit code: 0, 2 for bad input, 1 for a fault during training, 130 for
    Ctrl-C and 143 for SIGTERM (each one line, no traceback). SIGTERM is turned into the same clean exit as
    Ctrl-C from here on (the training loop handles both itself: it checkpoints and stops)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = list(sys.argv if argv is None else argv)
    installed = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = signal.signal(signal.SIGTERM, _terminate) if installed else None
    try:
        with native_noise_filtered():  # TensorFlow's start-up notices, "no CUDA driver" where there is no GPU
            main(argv)
    except UsageError as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt as e:
        signum = getattr(e, "signum", signal.SIGINT)
        print(f"{name}: {getattr(e, 'message', '') or f'interrupted ({signal.Signals(signum).name})'}",
              file=sys.stderr)
        return 128 + signum  # not 0: a stopped run is not a finished one (a job runner must start it again)
    except TrainingFailed as e:  # divergence, a checkpoint that could not be saved
        print(f"{name}: {e}", file=sys.stderr)
        return e.exit_code
    finally:
        if installed:  # None: a handler not set from Python, i.e. the default
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    return 0


def _terminate(signum, frame) -> None:
    raise Interrupted(signum)
