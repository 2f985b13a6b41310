"""Temperature sweeps: a CSV and a PNG, and the quality-diversity trade-off of a trained MLE run."""
import csv
import json
import shutil

import pytest

from tests.conftest import QUIET, TINY_FLAGS, train_cli
from tfgan_text import sweep


@pytest.fixture(scope="module")
def mle_run(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("sweep") / "mle")
    train_cli(TINY_FLAGS + QUIET + ["--steps=150", f"--logdir={logdir}"])
    return logdir


def test_sweep_writes_csv_and_png_and_colder_sampling_is_closer_to_the_oracle(mle_run, tmp_path, capsys):
    out = tmp_path / "sweep"
    code = sweep.run(["sweep", f"--checkpoint_dirs={mle_run}", "--temperatures=1.5,0.5,1.0", "--num_samples=2000",
                      f"--out={out}"])
    assert code == 0, capsys.readouterr().err
    with open(out / "sweep.csv", newline="") as f:
        rows = {float(row["temperature"]): row for row in csv.DictReader(f)}
    assert sorted(rows) == [0.5, 1.0, 1.5]
    nll_oracle = {t: float(row["nll_oracle"]) for t, row in rows.items()}
    nll_test = {t: float(row["nll_test"]) for t, row in rows.items()}
    assert nll_oracle[0.5] < nll_oracle[1.0] < nll_oracle[1.5]  # quality rises as T falls
    assert nll_test[0.5] > nll_test[1.0]  # ... and coverage of held-out data falls
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, fragment", [
    (["--temperatures=0.5,0"], "--temperatures=0.5,0: give one or more temperatures > 0"),
    (["--temperatures=warm"], "not a list of numbers"),
    (["--checkpoint_dirs="], "--checkpoint_dirs is required"),
])
def test_bad_flags(mle_run, tmp_path, capsys, argv, fragment):
    argv = [f"--checkpoint_dirs={mle_run}", f"--out={tmp_path / 'out'}"] + argv
    assert sweep.run(["sweep"] + argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("tfgan-text sweep: error: ") and "\n" not in error and fragment in error
    assert not (tmp_path / "out").exists()


def test_run_without_checkpoint(tmp_path, capsys):
    (tmp_path / "empty" / "checkpoints").mkdir(parents=True)
    assert sweep.run(["sweep", f"--checkpoint_dirs={tmp_path / 'empty'}", f"--out={tmp_path / 'out'}"]) == 2
    error = capsys.readouterr().err.strip()
    assert "--checkpoint_dirs=" in error and "no checkpoint" in error and "\n" not in error
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep_corpus")
    (folder / "corpus.txt").write_text("\n".join(f"the {a} saw a {b} ." for a in "abcdef" for b in "abcdef") + "\n")
    logdir = str(folder / "run")
    train_cli([f"--train_data={folder / 'corpus.txt'}", "--embedding_dim=8", "--hidden_dim=8", "--batch_size=8",
               "--steps=2", "--num_eval_samples=8", "--samples_to_write=2", f"--logdir={logdir}"] + QUIET)
    return logdir


@pytest.fixture
def loading_fails(monkeypatch):
    """Any run loaded from here on fails the test: the comparability check must come first."""
    from tfgan_text.training import restore

    def refuse(*args, **kwargs):
        raise AssertionError("a run was loaded before the runs were found comparable")

    monkeypatch.setattr(restore, "load_run", refuse)


def sweep_error(argv, tmp_path, capsys):
    code = sweep.run(["sweep", f"--out={tmp_path / 'out'}"] + argv)
    error = capsys.readouterr().err.strip()
    assert code == 2, error
    assert error.startswith("tfgan-text sweep: error: ") and "\n" not in error
    assert not (tmp_path / "out").exists()
    return error


def test_runs_of_different_tasks_are_refused_before_any_is_loaded(mle_run, corpus_run, loading_fails, tmp_path,
                                                                  capsys):
    error = sweep_error([f"--checkpoint_dirs={mle_run},{corpus_run}"], tmp_path, capsys)
    assert f"{mle_run} and {corpus_run} cannot be compared" in error and "task oracle vs corpus" in error


def test_runs_scored_on_different_held_out_data_are_refused_naming_the_setting(mle_run, loading_fails, tmp_path,
                                                                               capsys):
    other = tmp_path / "other_test_set"
    shutil.copytree(mle_run, other)
    config_path = other / "checkpoints" / "config.json"
    saved = json.loads(config_path.read_text())
    saved["config"]["oracle_data_seed"] = 5
    config_path.write_text(json.dumps(saved))
    error = sweep_error([f"--checkpoint_dirs={mle_run},{other}/checkpoints"], tmp_path, capsys)
    assert "oracle_data_seed 0 vs 5" in error and "task" not in error.split("cannot be compared")[1]
