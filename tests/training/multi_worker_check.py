"""One worker of a MultiWorkerMirroredStrategy cluster (TF_CONFIG in the environment), run as a script:

    python -m tests.training.multi_worker_check LOGDIR METHOD [METHOD ...]

Trains each tiny method through the command-line path (`tfgan_text.train` as the CLI calls it, --strategy=multi_worker,
--logdir=LOGDIR/<method>; MLE is also exported to savedmodels/tiny_mle under the working directory) and prints one JSON line per method with a digest of every
checkpointed variable as this worker holds it, so that the test can compare the workers.
"""
import hashlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.conftest import TINY_FLAGS, train_cli  # noqa: E402
from tests.training.tiny_methods import COMMON, method_flags, variable_values  # noqa: E402
from tfgan_text.training import trainer as trainer_module  # noqa: E402

STEPS = {"mle": ["--steps=4"], "seqgan": ["--adversarial_steps=2"]}
finished = []
train = trainer_module.Trainer.train


def train_and_keep(self):
    history = train(self)
    finished.append(self)
    return history


trainer_module.Trainer.train = train_and_keep  # to read this worker's weights after training

if __name__ == "__main__":
    logdir = sys.argv[1]
    for method in sys.argv[2:]:
        argv = (["x"] + TINY_FLAGS + COMMON + [f"--method={method}"] + method_flags(method) + STEPS.get(method, [])
                + ["--strategy=multi_worker", f"--logdir={logdir}/{method}", "--checkpoint_every=2",
                   "--eval_every=1000", "--num_eval_samples=16"] + (["--export_name=tiny_mle"] if method == "mle" else []))
        train_cli(argv[1:])
        trainer = finished[-1]
        digest = hashlib.sha256()
        for name, copies in sorted(variable_values(trainer.method).items()):
            digest.update(name.encode() + copies[0].tobytes())
        print(json.dumps({"method": method, "chief": trainer.is_chief, "digest": digest.hexdigest(),
                          "replicas": trainer.strategy.num_replicas_in_sync, "step": int(trainer.step.numpy())}),
              flush=True)
