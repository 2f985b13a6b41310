"""Command line: `python -m tfgan_text.main --method=mle [--flagfile=flags/mle_oracle.cfg]`.

Without --flagfile, the method's preset (flags/<method>.cfg, installed with the package) is read
first; flags given on the command line override it. `--resume` with `--logdir` reads the run's own
config.json instead, and flags given beside it override that. Bad input exits with code 2 and one
line naming the flag or file, before anything is written.
"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from tfgan_text.cli import (config_from_flags, define_config_flags, explicit_fields, parse,  # noqa: E402
                            run_command, with_default_preset)
from tfgan_text.config import RUN_OPTION_NAMES, ConfigError, RunOptions, training_config_classes  # noqa: E402
from tfgan_text.errors import UsageError  # noqa: E402

FLAGS = flags.FlagValues()
define_config_flags(FLAGS, training_config_classes())


def parse_flags(argv: list[str]):
    """(run options, method name, the method's typed config) of a command line."""
    from tfgan_text.methods import get_method

    parse(FLAGS, with_default_preset(argv), __doc__)
    options = config_from_flags(FLAGS, RunOptions)
    if options.resume and not options.logdir:
        raise UsageError("--resume needs --logdir (the run to continue)")
    if options.resume and os.path.isdir(options.logdir):
        return options, *resumed_config(options)
    return options, options.method, config_from_flags(FLAGS, get_method(options.method).config_class)


def resumed_config(options: RunOptions):
    """(method, config) of the run in --logdir, with the flags given on this command line on top."""
    from tfgan_text.methods import get_method
    from tfgan_text.training.run_dir import RunDirectory

    run_dir = RunDirectory(options.logdir)
    if not run_dir.holds_run_files():
        raise UsageError(f"--resume: no checkpoint to resume in --logdir={options.logdir} (no run was started "
                         "there; start one without --resume)")
    method, values, source = run_dir.saved_config()
    if FLAGS["method"].present and options.method != method:
        raise UsageError(f"--method={options.method}: the run in --logdir={options.logdir} was trained with "
                         f"--method={method}")
    config_class = get_method(method).config_class
    names = {f.name for f in config_class.fields()}
    for name in FLAGS:
        if FLAGS[name].present and name not in names and name not in RUN_OPTION_NAMES:  # else ignored silently
            raise UsageError(f"{FLAGS[name].serialize()}: not a flag of --method={method} (the run in "
                             f"--logdir={options.logdir})")
    try:
        return method, config_class.from_dict(values, source=source).replace(**explicit_fields(FLAGS, config_class))
    except ConfigError as e:
        raise UsageError(f"--logdir={options.logdir}: {e}") from None


def main(argv: list[str]) -> None:
    from tfgan_text.api import default_logdir, train

    options, method, config = parse_flags(argv)
    if options.print_config:
        print(json.dumps({"method": method, "config": config.to_dict()}, indent=1, sort_keys=True))
        return
    train(method, config, logdir=options.logdir or default_logdir(method), resume=options.resume,
          export_name=options.export_name)


def run(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code."""
    return run_command("tfgan-text", main, argv)


if __name__ == "__main__":
    sys.exit(run())
