"""Run as a script (a fresh process: logical devices must be set before TensorFlow starts).

    python -m tests.training.distributed_check LOGDIR METHOD [METHOD ...]   (or METHOD@reverse: conditional)

For each method, trains a tiny configuration through every phase once on the
default strategy and once on a MirroredStrategy over two logical CPU devices,
with the same global batch and data, and prints one JSON line per method:
the largest difference between the two runs over every checkpointed variable
(models and optimizers) and whether the two replicas hold identical values.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from tests.conftest import TINY_FLAGS, cli_task, parse_cli  # noqa: E402
from tests.training.tiny_methods import COMMON, method_flags, variable_values  # noqa: E402
from tfgan_text.methods import METHODS  # noqa: E402
from tfgan_text.training.run_dir import RunDirectory  # noqa: E402
from tfgan_text.training.trainer import Trainer  # noqa: E402


def trained_variables(strategy, logdir, method):
    """(variables before training, after training)."""
    _, name, config = parse_cli(TINY_FLAGS + COMMON + method_flags(method))
    config = config.replace(eval_every=10**9, checkpoint_every=10**9)
    task = cli_task(config)
    trainer = Trainer(METHODS[name], task, config, RunDirectory(logdir), strategy=strategy, log=lambda *_: None)
    before = variable_values(trainer.method)
    trainer.train()
    return before, variable_values(trainer.method)


MIRRORED = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])  # one per process, as in a real run


def check(method: str, logdir: str) -> dict:
    initial, single = trained_variables(tf.distribute.get_strategy(), f"{logdir}/{method}-single", method)
    _, mirrored = trained_variables(MIRRORED, f"{logdir}/{method}-mirrored", method)
    assert single.keys() == mirrored.keys(), (sorted(single), sorted(mirrored))
    differences = {name: float(abs(single[name][0] - mirrored[name][0]).max()) if single[name][0].size else 0.0
                   for name in single}
    worst = max(differences, key=differences.get)
    replicas_agree = all((copies[0] == c).all() for copies in mirrored.values() for c in copies)
    trained = [name for name in single if "optimizer" not in name and (single[name][0] != initial[name][0]).any()]
    return {"method": method, "max_abs_difference": differences[worst], "worst_variable": worst,
            "replicas_agree": bool(replicas_agree), "replicas": len(next(iter(mirrored.values()))),
            "variables": len(single), "trained_weights": len(trained)}


if __name__ == "__main__":
    for name in sys.argv[2:]:
        print(json.dumps(check(name, sys.argv[1])), flush=True)
