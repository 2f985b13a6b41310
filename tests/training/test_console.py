"""What a training run prints to the console: one progress bar per phase with a sensible ETA, and none of
TensorFlow's start-up noise, while real errors still show."""
import os
import re
import signal
import subprocess
import sys
import time

from tests.conftest import ROOT, TINY_FLAGS
from tfgan_text.native_noise import NO_GPU_NOISE, NOISE, noise_patterns
from tfgan_text.training.actions import ProgressBar, StepResult


def remaining_seconds(bar) -> float:
    """The ETA the bar shows, in seconds."""
    shown = bar.format_meter(**bar.format_dict)
    minutes, seconds = re.search(r"<(\d+):(\d+)", shown).groups()
    return 60 * int(minutes) + int(seconds)


def test_a_bar_per_phase_whose_eta_leaves_out_the_first_steps_compilation():
    progress = ProgressBar()
    progress.start_phase("pretrain", 1000, 0)
    time.sleep(1.5)  # the first step: tf.function tracing
    progress.after_step(StepResult(1, "pretrain", {"loss": 2.5, "grad_norm": 9.0}, 1010))
    for step in range(2, 32):
        time.sleep(0.005)
        progress.after_step(StepResult(step, "pretrain", {"loss": 2.5, "grad_norm": 9.0}, 1010))
    bar = progress.bar
    assert (bar.desc, bar.total, bar.n) == ("pretrain", 1000, 31)
    # ~969 steps at the compiled steps' rate (<= 200/s) are seconds; counting the 1.5 s of tracing as a step's
    # time would make them more than a minute (31 steps in ~2 s).
    assert remaining_seconds(bar) < 30, bar.format_meter(**bar.format_dict)
    assert bar.postfix == "loss=2.5"  # the main scalars; gradient norms are left to TensorBoard

    progress.start_phase("adversarial", 10, 4)  # a resumed phase: 4 of its 10 steps were run before
    assert bar.disable  # the previous phase's bar is closed
    progress.after_step(StepResult(1005, "adversarial", {"generator_loss": 0.25, "discriminator_loss": 1.5,
                                                         "discriminator_accuracy": 0.75, "reward": 3.0}, 1010))
    assert (progress.bar.desc, progress.bar.total, progress.bar.n) == ("adversarial", 10, 5)
    assert progress.bar.postfix == "g_loss=0.25, d_loss=1.5, d_accuracy=0.75"
    progress.at_end(1005)
    assert progress.bar is None


def command_env() -> dict:
    """The environment of a user who set nothing: the commands' own TensorFlow log level applies."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return env


def test_a_cli_start_prints_no_tensorflow_noise(tmp_path):
    done = subprocess.run([sys.executable, "-m", "tfgan_text.main"] + TINY_FLAGS
                          + ["--steps=2", "--eval_every=100000", f"--logdir={tmp_path}/run"],
                          capture_output=True, text=True, cwd=ROOT, env=command_env(), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for noise in NOISE + NO_GPU_NOISE:  # without the filter: oneDNN, cuda drivers, cuInit...
        assert noise not in done.stderr, done.stderr[-3000:]
    assert "mle: 100%" in done.stderr and "final metrics:" in done.stdout


NATIVE_CRASH = """
import os
from tfgan_text.cli import run_command

def main(argv):
    os.write(2, b"I0000 00:00:1.1 1 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not "
                b"be used.\\n")
    os.write(2, b"I0000 00:00:1.1 1 port.cc:153] oneDNN custom operations are on. You may see...\\n")
    os.write(2, b"E0000 00:00:1.2 1 kernel.cc:9] a real error of the native code\\n")
    os.write(2, b"F0000 00:00:1.3 1 kernel.cc:10] Check failed: the last line before an abort")
    os.abort()

run_command("tfgan-text", main)
"""


def test_real_native_errors_still_show_even_when_the_command_crashes():
    """The filter drops only the known lines, and passes on what the command wrote up to its abort."""
    done = subprocess.run([sys.executable, "-c", NATIVE_CRASH], capture_output=True, text=True, cwd=ROOT,
                          env=command_env(), timeout=60)
    assert done.returncode == -signal.SIGABRT
    assert "a real error of the native code" in done.stderr
    assert done.stderr.endswith("Check failed: the last line before an abort")
    assert "oneDNN" not in done.stderr
    no_gpu = NO_GPU_NOISE[0] in noise_patterns()  # with a GPU, a CUDA driver's failure is a real error
    assert ("cuda drivers" in done.stderr) != no_gpu
