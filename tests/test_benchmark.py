"""The benchmark platform: a suite's runs, killed midway and started again, give the uninterrupted results."""
import json
import os

import pytest

from tfgan_text import benchmark
from tfgan_text.errors import UsageError
from tfgan_text.training import actions

# The default suite compares two methods; TFGAN_TEXT_ALL_METHODS=1 runs every method (minutes).
METHODS = list(benchmark.METHOD_ORDER) if os.environ.get("TFGAN_TEXT_ALL_METHODS") else ["mle", "cot"]


def results(folder) -> dict:
    with open(os.path.join(folder, "grammar-smoke", "results.json"), encoding="utf-8") as f:
        return json.load(f)


def test_a_killed_benchmark_resumes_to_the_uninterrupted_results(tmp_path, monkeypatch):
    saves = []
    original = actions.save_checkpoint

    def killed_at_the_fifth_checkpoint(manager, number):
        path = original(manager, number)
        saves.append(path)
        if len(saves) == 5:  # within the second seed's run of the first method (3 checkpoints a run)
            raise KeyboardInterrupt("killed")
        return path

    monkeypatch.setattr(actions, "save_checkpoint", killed_at_the_fifth_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        benchmark.run_benchmark("grammar", "smoke", METHODS, 2, str(tmp_path / "killed"), "", log=print)
    monkeypatch.undo()
    folder = tmp_path / "killed" / "grammar-smoke"
    assert (folder / METHODS[0] / "seed0" / "benchmark.json").exists()  # finished: kept
    assert not (folder / METHODS[0] / "seed1" / "benchmark.json").exists()  # half a run
    assert not (folder / "results.json").exists()

    messages = []
    resumed = benchmark.run_benchmark("grammar", "smoke", METHODS, 2, str(tmp_path / "killed"), "",
                                      log=messages.append)
    assert [(r["method"], r["seed"]) for r in resumed] == [(m, s) for m in METHODS for s in (0, 1)]
    assert not any("seed 0" in m and METHODS[0] in m for m in messages)  # the finished run is not run again
    assert any(m.startswith(f"resuming {METHODS[0]} seed 1") for m in messages), messages
    assert results(tmp_path / "killed")["experiments"] == resumed

    # The interrupted experiment, run without interruption (the others ran whole in the killed benchmark).
    whole = benchmark.run_benchmark("grammar", "smoke", METHODS[:1], 2, str(tmp_path / "whole"), "", log=print)
    for key in ("rows", "step", "schedule"):
        assert resumed[1][key] == whole[1][key], key

    report = (folder / "results.md").read_text()
    assert "## At temperature 1" in report and "## Frontier" in report
    for method in METHODS:
        assert f"| {method} |" in report
    assert any(v in report for v in ("dominates MLE", "dominated by MLE", "crosses MLE", "no common range with MLE"))
    assert (folder / "frontier.png").read_bytes()[:4] == b"\x89PNG"


def test_frontier_interpolation_and_verdicts():
    mle = [(1.0, 5.0), (2.0, 4.0), (3.0, 3.0)]
    assert benchmark.interpolate(mle, 1.5) == 4.5 and benchmark.interpolate(mle, 3.5) is None
    levels = [1.5, 2.0, 2.5]
    assert benchmark.verdict([(1.0, 4.0), (3.0, 2.0)], mle, levels) == "dominates MLE"
    assert benchmark.verdict([(1.0, 6.0), (3.0, 4.0)], mle, levels) == "dominated by MLE"
    assert benchmark.verdict([(1.0, 6.0), (3.0, 2.0)], mle, levels) == "crosses MLE"
    assert benchmark.verdict([(5.0, 1.0), (6.0, 0.5)], mle, levels) == "no common range with MLE"


@pytest.mark.parametrize("args, message", [
    (("nope", "smoke", ["mle"], 1), "--suite=nope: one of"),
    (("grammar", "huge", ["mle"], 1), "--budget=huge: one of"),
    (("grammar", "smoke", ["mle", "x"], 1), "--methods=mle,x: x is not an unconditional method"),
    (("grammar", "smoke", ["mle"], 0), "--seeds=0: at least 1"),
    (("oracle", "smoke", ["mle"], 1), "--suite=oracle: /nowhere/seqgan_oracle_lstm.npz is missing"),
    (("custom", "smoke", ["mle"], 1), "--suite=custom: needs --train_data"),
])
def test_bad_arguments_are_one_line(tmp_path, args, message):
    with pytest.raises(UsageError, match=f"^{message}"):
        benchmark.run_benchmark(*args, str(tmp_path), "/nowhere")
