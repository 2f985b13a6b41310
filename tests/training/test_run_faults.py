"""Faults around the run directory: damaged checkpoints, a run that died before its first checkpoint, two
runs on one --logdir, file-system errors. Each ends in one line (exit code 2 for what the user can fix
before training, 1 for a fault during training) and leaves the last good checkpoint usable."""
import errno
import glob
import json
import os
import signal
import socket
import subprocess
import sys

import pytest
import tensorflow as tf

from tests.conftest import TINY_FLAGS, parse_cli
from tests.training.test_trainer import start, wait_for
from tfgan_text import evaluate as evaluate_cli
from tfgan_text import export, main
from tfgan_text.training.run_dir import RunDirectory, unreadable_checkpoint

FAST = TINY_FLAGS + ["--eval_every=100000", "--keep_checkpoints=5"]


def train(logdir, *flags):
    assert main.run(["x"] + FAST + [f"--logdir={logdir}"] + list(flags)) == 0


def one_line_error(capsys, prefix="tfgan-text", after_progress=False):
    """The error line; `after_progress`: a fault during training, after the progress bar's output."""
    captured = capsys.readouterr()
    error = captured.err.strip().splitlines()[-1] if after_progress else captured.err.strip()
    assert "\n" not in error and "Traceback" not in captured.err + captured.out, captured.err
    assert error.startswith(f"{prefix}: "), error
    return error, captured.out


def truncate_data(prefix):
    (path,) = glob.glob(f"{prefix}.data-*")
    os.truncate(path, os.path.getsize(path) // 2)


def garble_index(prefix):
    data = bytearray(open(f"{prefix}.index", "rb").read())
    for i in range(0, len(data), 5):
        data[i] ^= 0x5A
    open(f"{prefix}.index", "wb").write(bytes(data))


@pytest.mark.parametrize("damage", [truncate_data, garble_index])
def test_a_damaged_latest_checkpoint_is_skipped_by_resume_evaluate_and_export(tmp_path, capsys, damage):
    logdir = str(tmp_path / "run")
    train(logdir, "--steps=20", "--checkpoint_every=10")
    damage(f"{logdir}/checkpoints/ckpt-20")
    capsys.readouterr()

    out = f"{tmp_path}/eval.json"
    assert evaluate_cli.run(["x", f"--checkpoint_dir={logdir}", "--metrics=nll", "--num_samples=16", f"--out={out}"]) == 0
    err = capsys.readouterr().err
    assert err.count("skipped") == 1 and f"{logdir}/checkpoints/ckpt-20" in err, err
    assert json.load(open(out))["checkpoint"].endswith("ckpt-10")

    assert export.run(["x", f"--checkpoint_dir={logdir}", f"--export_dir={tmp_path}/models", "--name=m"]) == 0
    assert os.path.exists(f"{tmp_path}/models/m/1/saved_model.pb")
    assert "skipped" in capsys.readouterr().out

    assert main.run(["x", f"--logdir={logdir}", "--resume", "--steps=30"]) == 0
    out = capsys.readouterr().out
    skipped = [line for line in out.splitlines() if "skipped" in line]
    assert len(skipped) == 1 and "ckpt-20" in skipped[0], out
    assert f"resumed from {logdir}/checkpoints/ckpt-10 at step 10" in out
    assert tf.train.latest_checkpoint(f"{logdir}/checkpoints").endswith("ckpt-30")
    reader = tf.train.load_checkpoint(f"{logdir}/checkpoints/ckpt-30")  # complete, and at step 30
    assert int(reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE")) == 30
    assert unreadable_checkpoint(f"{logdir}/checkpoints/ckpt-20") is None  # saved again by the resumed run


def test_no_restorable_checkpoint_is_one_line_exit_2(tmp_path, capsys):
    logdir = str(tmp_path / "run")
    train(logdir, "--steps=10", "--checkpoint_every=10")
    truncate_data(f"{logdir}/checkpoints/ckpt-10")
    capsys.readouterr()
    assert evaluate_cli.run(["x", f"--checkpoint_dir={logdir}", "--metrics=nll", "--num_samples=16"]) == 2
    error, _ = one_line_error(capsys, "tfgan-text evaluate")
    assert f"--checkpoint_dir={logdir}" in error and "no checkpoint" in error and "ckpt-10" in error
    assert main.run(["x", f"--logdir={logdir}", "--resume", "--steps=20"]) == 2
    error, _ = one_line_error(capsys)
    assert "--resume" in error and "no checkpoint" in error and "ckpt-10" in error


def test_a_garbled_checkpoint_state_file_hides_no_checkpoint(tmp_path):
    run_dir = RunDirectory(str(tmp_path / "run"))
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1.0)), run_dir.checkpoints, 5)
    for step in (5, 10):
        manager.save(checkpoint_number=step)
    with open(f"{run_dir.checkpoints}/checkpoint", "w") as f:
        f.write("model_checkpoint_path: {{ garbage \0")
    assert run_dir.checkpoint_candidates() == [f"{run_dir.checkpoints}/ckpt-10", f"{run_dir.checkpoints}/ckpt-5"]
    truncate_data(f"{run_dir.checkpoints}/ckpt-10")
    skipped = []
    assert run_dir.newest_restorable("--resume", log=skipped.append) == f"{run_dir.checkpoints}/ckpt-5"
    assert len(skipped) == 1 and skipped[0].startswith(f"skipped checkpoint {run_dir.checkpoints}/ckpt-10: its data")


def wedge(logdir):
    """The run directory of a run that died after writing run.json, before its first checkpoint."""
    checkpoints = f"{logdir}/checkpoints"
    for path in glob.glob(f"{checkpoints}/ckpt-*") + [f"{checkpoints}/checkpoint"]:
        os.remove(path)
    assert sorted(os.listdir(checkpoints)) == ["config.json", "run.json", "sampled_sets.npz"]


def test_a_run_that_died_before_its_first_checkpoint_resumes_from_step_0_with_its_config(tmp_path, capsys):
    logdir = str(tmp_path / "run")
    train(logdir, "--steps=2", "--hidden_dim=12")
    wedge(logdir)
    capsys.readouterr()
    assert main.run(["x"] + FAST + [f"--logdir={logdir}", "--steps=2"]) == 2  # a new run: refused, with the way out
    error, _ = one_line_error(capsys)
    assert f"--logdir={logdir}" in error and "before its first checkpoint" in error and "--resume" in error

    assert main.run(["x", f"--logdir={logdir}", "--resume", "--steps=4"]) == 0
    out = capsys.readouterr().out
    assert "no checkpoint" in out and "from step 0 with its saved config" in out, out
    assert tf.train.latest_checkpoint(f"{logdir}/checkpoints").endswith("ckpt-4")
    with open(f"{logdir}/checkpoints/config.json") as f:
        assert json.load(f)["config"]["hidden_dim"] == 12  # the saved config, not the default


def test_resume_of_a_directory_without_a_run_says_what_to_do(tmp_path, capsys):
    os.makedirs(tmp_path / "empty")
    assert main.run(["x"] + FAST + [f"--logdir={tmp_path}/empty", "--resume"]) == 2
    error, _ = one_line_error(capsys)
    assert "no checkpoint to resume" in error and "without --resume" in error


# --- one writer per run directory -------------------------------------------------------------------------
def write_lock(logdir, pid, host=None):
    os.makedirs(logdir, exist_ok=True)
    with open(f"{logdir}/.lock", "w") as f:
        json.dump({"pid": pid, "host": host or socket.gethostname(), "started": "2026-12-01 10:00:00"}, f)


def test_a_second_run_on_a_busy_logdir_is_refused_naming_the_holder(tmp_path, capsys):
    logdir = str(tmp_path / "run")
    first = start(FAST + ["--steps=200000", "--checkpoint_every=20", f"--logdir={logdir}"])
    try:
        assert wait_for(lambda: tf.train.latest_checkpoint(f"{logdir}/checkpoints")), "no checkpoint appeared"
        capsys.readouterr()
        for second in ([f"--logdir={logdir}"], [f"--logdir={logdir}", "--resume", "--steps=10"]):
            assert main.run(["x"] + FAST + second) == 2
            error, _ = one_line_error(capsys)
            assert f"--logdir={logdir}: in use by pid {first.pid} on host {socket.gethostname()}" in error
        assert first.poll() is None  # the first run goes on
    finally:
        first.send_signal(signal.SIGTERM)
        output, _ = first.communicate(timeout=300)
    assert first.returncode == 128 + signal.SIGTERM, output  # stopped, checkpointed: not finished
    assert not os.path.exists(f"{logdir}/.lock")  # released at exit


def test_a_stale_lock_is_taken_over_and_a_live_or_foreign_one_is_not(tmp_path, capsys):
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)  # exited and reaped: no longer running
    logdir = str(tmp_path / "run")
    write_lock(logdir, dead)
    train(logdir, "--steps=2")
    out = capsys.readouterr().out
    assert f"took over the stale lock {logdir}/.lock of pid {dead} on host {socket.gethostname()}" in out, out
    assert not os.path.exists(f"{logdir}/.lock")

    write_lock(logdir, os.getppid())  # alive on this host
    assert main.run(["x"] + FAST + [f"--logdir={logdir}", "--resume", "--steps=4"]) == 2
    error, _ = one_line_error(capsys)
    assert f"in use by pid {os.getppid()} on host {socket.gethostname()}" in error
    write_lock(logdir, dead, host="elsewhere")  # cannot be checked from here: says how to remove it
    assert main.run(["x"] + FAST + [f"--logdir={logdir}", "--resume", "--steps=4"]) == 2
    error, _ = one_line_error(capsys)
    assert f"in use by pid {dead} on host elsewhere" in error and f"remove {logdir}/.lock" in error


def test_workers_that_are_not_the_chief_do_not_take_the_lock(tmp_path, monkeypatch):
    from tfgan_text import api
    from tfgan_text.training import trainer

    monkeypatch.setattr(api, "is_chief", lambda strategy: False)
    monkeypatch.setattr(trainer, "is_chief", lambda strategy: False)
    logdir = str(tmp_path / "run")
    write_lock(logdir, os.getppid())  # the chief's
    before = open(f"{logdir}/.lock").read()
    options, method, config = parse_cli(FAST + ["--steps=2", f"--logdir={logdir}"])
    api.train(method, config, logdir=logdir, log=lambda message: None)
    assert open(f"{logdir}/.lock").read() == before and os.listdir(logdir) == [".lock"]


# --- file-system faults ---------------------------------------------------------------------------------
def test_a_logdir_that_is_a_file_or_under_one_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "file"
    path.write_text("not a directory\n")
    for logdir, message in ((path, "is a file, not a directory"),
                            (path / "run", f"cannot create {path}/run (Not a directory)")):
        for resume in ([], ["--resume"]):
            assert main.run(["x"] + FAST + [f"--logdir={logdir}"] + resume) == 2
            error, _ = one_line_error(capsys)
            assert f"--logdir={logdir}" in error and (message in error or resume), error
    assert path.read_text() == "not a directory\n"


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("exists", [False, True])
def test_an_unwritable_logdir_is_one_line_exit_2_before_training(tmp_path, capsys, monkeypatch, code, exists):
    """A read-only file system or a directory without write permission (injected: tests run as root)."""
    mount = tmp_path / "mount"
    logdir = mount / "run"
    os.makedirs(logdir if exists else mount)

    def refuse(real):
        def call(path, *args, **kwargs):
            if str(path).startswith(str(mount)):
                raise OSError(code, os.strerror(code), str(path))
            return real(path, *args, **kwargs)
        return call

    monkeypatch.setattr(os, "open", refuse(os.open))
    monkeypatch.setattr(os, "mkdir", refuse(os.mkdir))
    assert main.run(["x"] + FAST + [f"--logdir={logdir}"]) == 2
    error, out = one_line_error(capsys)
    what = f"cannot write in it ({os.strerror(code)})" if exists else f"cannot create {logdir} ({os.strerror(code)})"
    assert f"--logdir={logdir}: {what}" in error
    assert "training sequences" not in out  # found before the task is built
    assert os.listdir(mount) == (["run"] if exists else []) and (not exists or os.listdir(logdir) == [])


def test_a_full_disk_while_checkpointing_is_one_line_exit_1_and_keeps_the_last_checkpoint(tmp_path, capsys,
                                                                                         monkeypatch):
    from tensorflow.python.ops import io_ops

    real_save, saves = io_ops.save_v2, []

    def save_on_a_full_disk(prefix, *args, **kwargs):  # the second save writes part of its files, then fails
        saves.append(prefix)
        written = real_save(prefix, *args, **kwargs)
        if len(saves) == 2:
            raise tf.errors.ResourceExhaustedError(None, None, f"{prefix.numpy().decode()}; No space left on device")
        return written

    monkeypatch.setattr(io_ops, "save_v2", save_on_a_full_disk)
    logdir = str(tmp_path / "run")
    checkpoints = f"{logdir}/checkpoints"
    assert main.run(["x"] + FAST + ["--steps=30", "--checkpoint_every=10", f"--logdir={logdir}"]) == 1
    error, _ = one_line_error(capsys, after_progress=True)
    assert f"saving the checkpoint {checkpoints}/ckpt-20 failed" in error and "No space left on device" in error
    assert error.endswith(f"last good checkpoint: {checkpoints}/ckpt-10")
    assert glob.glob(f"{checkpoints}/ckpt-20*") == []  # ckpt-20_temp/ removed
    assert tf.train.latest_checkpoint(checkpoints) == f"{checkpoints}/ckpt-10"
    assert not os.path.exists(f"{logdir}/.lock")
    monkeypatch.undo()
    assert main.run(["x", f"--logdir={logdir}", "--resume", "--steps=20"]) == 0
    assert f"resumed from {checkpoints}/ckpt-10 at step 10" in capsys.readouterr().out
