"""Faults around the run directory: damaged checkpoints, a run that died before its first checkpoint, two
runs on one --logdir, file-system errors. Each ends in one line (exit code 2 for what the user can fix
before training, 1 for a fault during training) and leaves the last good checkpoint usable."""
import glob
import json
import os

import pytest
import tensorflow as tf

from tests.conftest import TINY_FLAGS
from tfgan_text import evaluate as evaluate_cli
from tfgan_text import export, main
from tfgan_text.training.run_dir import RunDirectory, unreadable_checkpoint

FAST = TINY_FLAGS + ["--eval_every=100000", "--keep_checkpoints=5"]


def train(logdir, *flags):
    assert main.run(["x"] + FAST + [f"--logdir={logdir}"] + list(flags)) == 0


def one_line_error(capsys, prefix="tfgan-text"):
    captured = capsys.readouterr()
    error = captured.err.strip()
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
    assert sorted(os.listdir(checkpoints)) == ["config.json", "run.json"]


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
