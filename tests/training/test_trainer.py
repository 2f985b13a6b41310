"""Resume exactness, clean stops on signals, and divergence handling, on a tiny oracle."""
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import ROOT, TINY_FLAGS
from tfgan_text import main
from tfgan_text.methods import METHODS
from tfgan_text.methods.base import Phase

# Dropout on, so that the resumed run must also reproduce the dropout masks.
RUN = TINY_FLAGS + ["--dropout=0.2", "--eval_every=100000", "--checkpoint_every=50", "--keep_checkpoints=50"]


def start(args, **kwargs):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    kwargs = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, **kwargs}
    return subprocess.Popen([sys.executable, "-m", "tfgan_text.main"] + args, cwd=ROOT, env=env, text=True, **kwargs)


def wait_for(predicate, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def checkpoint_values(logdir):
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(f"{logdir}/checkpoints"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "OBJECT_GRAPH" not in name}


def test_run_killed_after_a_checkpoint_resumes_to_identical_weights(tmp_path):
    steps = ["--steps=1500"]
    assert main.run(["x"] + RUN + steps + [f"--logdir={tmp_path}/straight"]) == 0

    killed = f"{tmp_path}/killed"
    process = start(RUN + steps + [f"--logdir={killed}"])
    try:
        assert wait_for(lambda: tf.train.latest_checkpoint(f"{killed}/checkpoints")), "no checkpoint appeared"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        process.kill()
    interrupted_at = int(tf.train.latest_checkpoint(f"{killed}/checkpoints").rsplit("-", 1)[1])
    assert interrupted_at < 1500

    assert main.run(["x"] + RUN + steps + [f"--logdir={killed}", "--resume"]) == 0
    straight, resumed = checkpoint_values(f"{tmp_path}/straight"), checkpoint_values(killed)
    assert straight.keys() == resumed.keys() and any("generator" in k for k in straight)
    for name in straight:
        np.testing.assert_array_equal(straight[name], resumed[name], err_msg=name)


def test_sigterm_checkpoints_and_exits_within_seconds_without_the_final_evaluation(tmp_path):
    logdir = f"{tmp_path}/run"
    # Each evaluation of 300,000 samples takes many seconds: the stop must wait neither for the one under way
    # (every 50 steps, right after the checkpoint) nor for a final one.
    process = start(RUN + ["--steps=200000", "--eval_every=50", "--num_eval_samples=300000", f"--logdir={logdir}"])
    try:
        assert wait_for(lambda: tf.train.latest_checkpoint(f"{logdir}/checkpoints"))
        signalled = time.time()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=300)
        took = time.time() - signalled
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM, f"exit code {process.returncode}: {output}"
    stopped = re.search(r"stopped by SIGTERM at step (\d+); checkpoint (\S+) saved; continue with --resume", output)
    assert stopped, output
    step, checkpoint = int(stopped.group(1)), stopped.group(2)
    assert checkpoint == tf.train.latest_checkpoint(f"{logdir}/checkpoints") and checkpoint.endswith(f"ckpt-{step}")
    assert "final metrics" not in output and "NLL-ORACLE" not in output
    assert f"run it with: python -m tfgan_text.evaluate --checkpoint_dir={logdir}" in output
    assert took < 30, f"{took:.0f}s from SIGTERM to exit"
    assert not os.path.exists(f"{logdir}/.lock")


def caught_signals(pid: int) -> set:
    """The signals process `pid` has a handler for (from /proc)."""
    with open(f"/proc/{pid}/status") as f:
        mask = int(next(line for line in f if line.startswith("SigCgt:")).split()[1], 16)
    return {signum for signum in range(1, 65) if mask >> (signum - 1) & 1}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_set_up_ends_with_one_line(tmp_path, signum):
    logdir = f"{tmp_path}/run"
    process = start(TINY_FLAGS + [f"--logdir={logdir}"], stderr=subprocess.PIPE)
    try:
        # The command line's handler is in place before TensorFlow is imported: signal the set-up then.
        assert wait_for(lambda: signal.SIGTERM in caught_signals(process.pid), timeout=60), "no SIGTERM handler"
        process.send_signal(signum)
        output, errors = process.communicate(timeout=120)
    finally:
        process.kill()
    name = signal.Signals(signum).name
    assert process.returncode == 128 + signum, errors
    assert errors.strip().splitlines()[-1] == f"tfgan-text: interrupted ({name})", errors
    assert "Traceback" not in errors + output
    assert not os.path.exists(logdir)


def test_ctrl_c_after_the_run_directory_was_locked_leaves_nothing(tmp_path, capsys, monkeypatch):
    from tfgan_text.training import trainer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer.Trainer, "__init__", interrupted)
    logdir = f"{tmp_path}/run"
    assert main.run(["x"] + TINY_FLAGS + [f"--logdir={logdir}"]) == 130
    assert capsys.readouterr().err.strip() == "tfgan-text: interrupted (SIGINT)"
    assert not os.path.exists(logdir)  # the lock released, the directory it made removed


class NanAfterStep25(METHODS["mle"]):
    """MLE whose reported loss turns NaN at step 26: the trainer must stop without saving it."""

    name = "nan_after_25"

    def phases(self):
        counter = tf.Variable(0)
        mle_step = self.mle_step

        def step(tokens, seed):
            values = mle_step(tokens, seed)
            counter.assign_add(1)
            values["loss"] = tf.where(counter > 25, float("nan"), values["loss"])
            return values

        return [Phase("mle", 100, step)]


def test_divergence_stops_keeping_the_last_good_checkpoint(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(METHODS, NanAfterStep25.name, NanAfterStep25)
    logdir = f"{tmp_path}/run"
    code = main.run(["x"] + TINY_FLAGS + [f"--method={NanAfterStep25.name}", "--checkpoint_every=10",
                                          f"--logdir={logdir}"])
    assert code == 1
    error = capsys.readouterr().err
    assert "training diverged at step 26" in error and "loss=nan" in error
    assert "last good checkpoint:" in error and error.strip().endswith("ckpt-20")
    assert tf.train.latest_checkpoint(f"{logdir}/checkpoints").endswith("ckpt-20")


def test_evaluations_before_the_last_draw_interim_eval_samples_and_the_final_one_all(tmp_path, capsys):
    logdir = f"{tmp_path}/run"
    assert main.run(["x"] + TINY_FLAGS + ["--steps=4", "--eval_every=2", "--checkpoint_every=100",
                                          "--num_eval_samples=48", "--interim_eval_samples=16",
                                          "--samples_to_write=100", f"--logdir={logdir}"]) == 0
    written = {name: len(open(f"{logdir}/samples/{name}").read().splitlines())
               for name in sorted(os.listdir(f"{logdir}/samples"))}
    assert written == {"step_00000002.txt": 16, "step_00000004.txt": 48}
