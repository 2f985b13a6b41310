"""Command line: exports a trained run's generator as a SavedModel that TF Serving can load.

`python -m tfgan_text.export --checkpoint_dir=runs/x [--export_dir=savedmodels] [--name=x] [--version=auto]`
writes `<export_dir>/<name>/<version>/`; what the model answers: tfgan_text/serving.py.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from tfgan_text.cli import parse, run_command  # noqa: E402
from tfgan_text.config import DEFAULT_MAX_NUM_SAMPLES  # noqa: E402
from tfgan_text.errors import UsageError  # noqa: E402

CLI_FLAGS = flags.FlagValues()  # apart from the training config, which the run's config.json holds
flags.DEFINE_string("checkpoint_dir", "", "Run directory (with checkpoints/) to export.", flag_values=CLI_FLAGS)
flags.DEFINE_string("export_dir", "savedmodels", "Base directory of exported models.", flag_values=CLI_FLAGS)
flags.DEFINE_string("name", "", "Model name (TF Serving's model name); default: the run directory's name.",
                    flag_values=CLI_FLAGS)
flags.DEFINE_string("version", "auto", "Integer version, or 'auto': one more than the highest existing.",
                    flag_values=CLI_FLAGS)
flags.DEFINE_integer("max_num_samples", DEFAULT_MAX_NUM_SAMPLES,
                     "Largest num_samples (and number of texts to score) one request may ask for.",
                     lower_bound=1, flag_values=CLI_FLAGS)


def main(argv: list[str]) -> None:
    from tfgan_text.serving import check_model_name, export_generator  # TensorFlow loads inside run_command
    from tfgan_text.training.restore import load_run

    parse(CLI_FLAGS, argv, __doc__)
    c = CLI_FLAGS
    if not c.checkpoint_dir:
        raise UsageError("--checkpoint_dir is required (the run directory to export)")
    version = None
    if c.version != "auto":
        if not c.version.isdigit() or int(c.version) < 1:
            raise UsageError(f"--version={c.version}: a positive integer or 'auto'")
        version = int(c.version)
    name = c.name or os.path.basename(os.path.normpath(os.path.abspath(c.checkpoint_dir)))
    if not c.name and name == "checkpoints":
        name = os.path.basename(os.path.dirname(os.path.normpath(os.path.abspath(c.checkpoint_dir))))
    check_model_name(name)
    loaded = load_run(c.checkpoint_dir, full_task=False)
    config, task, generator = loaded.config, loaded.task, loaded.generator
    export_generator(generator, task, c.export_dir, name, version, c.max_num_samples,
                     readout=getattr(config, "wgan_readout", "argmax"))


def run(argv: list[str] | None = None) -> int:
    return run_command("tfgan-text export", main, argv)


if __name__ == "__main__":
    sys.exit(run())
