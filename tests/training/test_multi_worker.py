"""Two MultiWorkerMirroredStrategy workers on 127.0.0.1 train the same weights; only the chief writes."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from scripts.multi_worker_resume import free_ports
from tests.conftest import ROOT

TIMEOUT = 420  # seconds for the whole cluster; the runs themselves take well under a minute on an idle machine


def start_cluster(script_args: list[str], tmp_path, module: str = "tests.training.multi_worker_check"):
    """Starts one process per worker; worker 0 is the chief. Each gets its own TMPDIR and working directory
    (where exports go) to inspect."""
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = []
    for index in range(2):
        scratch, cwd = tmp_path / f"tmp{index}", tmp_path / f"cwd{index}"
        scratch.mkdir()
        cwd.mkdir()
        tf_config = {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT, TF_CONFIG=json.dumps(tf_config),
                   TMPDIR=str(scratch), CUDA_VISIBLE_DEVICES="")
        processes.append(subprocess.Popen([sys.executable, "-m", module, *script_args[index]], cwd=cwd, env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return processes


def finish(processes) -> list[tuple[int, str, str]]:
    results = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=TIMEOUT)
            results.append((process.returncode, out, err))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    return results


def reports(out: str) -> dict:
    return {r["method"]: r for r in (json.loads(line) for line in out.splitlines() if line.startswith("{"))}


def checkpoint_values(prefix: str) -> dict:
    reader = tf.train.load_checkpoint(prefix)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map() if "OBJECT_GRAPH" not in name}


def test_two_workers_train_identical_weights_and_only_the_chief_writes(tmp_path):
    # Each worker gets its own --logdir, so that anything the non-chief wrote would show.
    runs = [tmp_path / "chief_run", tmp_path / "worker_run"]
    results = finish(start_cluster([[str(runs[0]), "mle", "seqgan"], [str(runs[1]), "mle", "seqgan"]], tmp_path))
    for code, out, err in results:
        assert code == 0, err[-3000:]
    chief, worker = (reports(out) for _, out, _ in results)
    for method in ("mle", "seqgan"):
        assert chief[method]["chief"] and not worker[method]["chief"]
        assert chief[method]["replicas"] == worker[method]["replicas"] == 2
        assert chief[method]["step"] == worker[method]["step"] > 0
        assert chief[method]["digest"] == worker[method]["digest"], method  # bit-identical weights
        assert tf.train.latest_checkpoint(str(runs[0] / method / "checkpoints"))
        assert os.path.exists(runs[0] / method / "checkpoints" / "run.json")
    assert os.path.exists(tmp_path / "cwd0" / "savedmodels" / "tiny_mle" / "1" / "saved_model.pb")  # the chief exports
    assert not runs[1].exists(), sorted(str(p) for p in runs[1].rglob("*"))  # the non-chief wrote nothing there,
    assert not any((tmp_path / "cwd1").iterdir())  # exported nothing,
    assert not any((tmp_path / "tmp1").iterdir())  # and removed its scratch checkpoints


@pytest.mark.skipif(not os.environ.get("TFGAN_TEXT_SLOW_TESTS"), reason="five TensorFlow processes (~50 s of CPU); "
                    "set TFGAN_TEXT_SLOW_TESTS=1, or run scripts/multi_worker_resume.py")
def test_killed_cluster_resumes_from_the_last_checkpoint(tmp_path):
    """The procedure of scripts/multi_worker_resume.py: kill a worker mid-run, restart both with --resume."""
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "multi_worker_resume.py"),
                             "--workdir", str(tmp_path), "--steps", "200",
                             "--checkpoint_every", "10"],
                            cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES=""),
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert 0 < report["killed_after_checkpoint"] < report["steps"]
    assert report["resumed_from"] == report["killed_after_checkpoint"]
    assert report["final_step"] == report["steps"]
    # The resumed run ends where an uninterrupted one-device run with the same flags ends.
    resumed = checkpoint_values(report["final_checkpoint"])
    straight = checkpoint_values(report["reference_checkpoint"])
    assert resumed.keys() == straight.keys()
    assert max(float(np.abs(resumed[k] - straight[k]).max()) for k in resumed if resumed[k].dtype.kind == "f") < 1e-5


def test_multi_worker_without_tf_config_is_a_usage_error(tmp_path, monkeypatch, tiny_argv, capsys):
    from tfgan_text import main

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert main.run(tiny_argv + ["--strategy=multi_worker", f"--logdir={tmp_path}/run", "--steps=1"]) == 2
    assert "TF_CONFIG" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
