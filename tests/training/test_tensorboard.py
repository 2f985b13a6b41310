"""A real TensorBoard reads training runs over its HTTP API: scalars, each optimizer's learning rate, text
samples, and the HParams table that compares runs side by side (config values and final metrics)."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import keras
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from tests.conftest import TINY_FLAGS, train_cli
from tfgan_text.optimization import adam
from tfgan_text.training.actions import StepResult, Summaries


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(port: int, path: str, **params):
    url = f"http://127.0.0.1:{port}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def hparams_request(port: int, route: str, request: dict):
    return get_json(port, f"/data/plugin/hparams/{route}", request=json.dumps(request))


@pytest.fixture(scope="module")
def tensorboard_port(tmp_path_factory):
    """A TensorBoard serving a parent directory of two tiny runs that differ in --learning_rate, --steps and
    --eval_every (0, once an epoch of 16 steps, and 4): (port, {run name: (logdir, final metrics)})."""
    parent = tmp_path_factory.mktemp("runs")
    runs = {}
    for name, flags in {"run": ["--steps=32"], "other": ["--steps=8", "--learning_rate=0.005", "--eval_every=4"]}.items():
        logdir = str(parent / name)
        runs[name] = logdir, train_cli(TINY_FLAGS + flags + [f"--logdir={logdir}"])
    port = free_port()
    tensorboard = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    server = subprocess.Popen([tensorboard, "--logdir", str(parent), "--host", "127.0.0.1", "--port", str(port),
                               "--reload_interval", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        expected = {f"{name}/{part}" for name in runs for part in ("train", "eval")}
        deadline, listed = time.time() + 90, []
        while time.time() < deadline and not expected <= set(listed):
            try:
                listed = get_json(port, "/data/runs")
            except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
                pass
            time.sleep(0.5)
        assert expected <= set(listed), f"TensorBoard did not list the runs: {listed}"
        yield port, runs
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_tensorboard_serves_scalars_and_text_of_a_run(tensorboard_port):
    port, runs = tensorboard_port
    logdir = runs["run"][0]
    tags = get_json(port, "/data/plugin/scalars/tags")
    assert "mle/loss" in tags["run/train"] and "nll_oracle" in tags["run/eval"] and "nll_test" in tags["run/eval"]
    loss = get_json(port, "/data/plugin/scalars/scalars", run="run/train", tag="mle/loss")
    assert [point[1] for point in loss] == list(range(1, 33))  # summary_every=1: one point a step
    nll_oracle = get_json(port, "/data/plugin/scalars/scalars", run="run/eval", tag="nll_oracle")
    assert nll_oracle[-1][1] == 32 and 0 < nll_oracle[-1][2] < 10

    text_tags = get_json(port, "/data/plugin/text/tags")
    assert "samples" in text_tags["run/eval"]
    text = get_json(port, "/data/plugin/text/text", run="run/eval", tag="samples")
    with open(f"{logdir}/samples/step_00000032.txt") as f:
        first_sample = f.readline().strip()
    assert text[-1]["step"] == 32 and f"<code>{first_sample}</code>" in text[-1]["text"]


def test_tensorboard_has_a_point_per_evaluation(tensorboard_port):
    port, _ = tensorboard_port
    for run, steps in (("run", [16, 32]), ("other", [4, 8])):
        points = get_json(port, "/data/plugin/scalars/scalars", run=f"{run}/eval", tag="nll_oracle")
        assert [point[1] for point in points] == steps


def test_tensorboard_shows_each_optimizers_learning_rate(tensorboard_port):
    port, _ = tensorboard_port
    tags = get_json(port, "/data/plugin/scalars/tags")
    assert "learning_rate" not in tags["run/train"]  # the flat flag value of before
    for run, rate in (("run", 0.01), ("other", 0.005)):
        points = get_json(port, "/data/plugin/scalars/scalars", run=f"{run}/train",
                          tag="learning_rate/generator_optimizer")
        assert points and all(abs(point[2] - rate) < 1e-6 for point in points)


def test_hparams_table_compares_the_runs_config_and_final_metrics(tensorboard_port):
    port, runs = tensorboard_port
    deadline, experiment = time.time() + 15, {}
    while time.time() < deadline and not experiment.get("hparamInfos"):
        experiment = hparams_request(port, "experiment", {})
        time.sleep(0.5)
    infos = {info["name"]: info for info in experiment["hparamInfos"]}
    assert {"method", "learning_rate", "steps", "hidden_dim", "eval_bleu"} <= set(infos)
    assert infos["learning_rate"]["differs"] and not infos["hidden_dim"]["differs"]
    assert infos["learning_rate"]["domainInterval"] == {"minValue": 0.005, "maxValue": 0.01}
    metric_names = {(m["name"]["group"], m["name"]["tag"]) for m in experiment["metricInfos"]}
    assert {("eval", "nll_oracle"), ("eval", "nll_test"), ("train", "mle/loss"),
            ("train", "learning_rate/generator_optimizer")} <= metric_names

    groups = hparams_request(port, "session_groups", {
        "startIndex": 0, "sliceSize": 10, "includeMetrics": True,
        "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
        "colParams": [{"hparam": "learning_rate"}, {"metric": {"group": "eval", "tag": "nll_oracle"}}]})
    by_steps = {group["hparams"]["steps"]: group for group in groups["sessionGroups"]}
    assert set(by_steps) == {32, 8}
    for name, steps, rate in (("run", 32, 0.01), ("other", 8, 0.005)):
        group = by_steps[steps]
        assert group["hparams"]["method"] == "mle" and group["hparams"]["learning_rate"] == rate
        assert group["hparams"]["hidden_dim"] == 16 and group["hparams"]["task"] == "oracle"
        final = {(m["name"]["group"], m["name"]["tag"]): m for m in group["metricValues"]}
        nll_oracle = final["eval", "nll_oracle"]
        assert nll_oracle["trainingStep"] == steps
        assert abs(nll_oracle["value"] - runs[name][1]["nll_oracle"]) < 1e-5  # the final evaluation's


def test_summaries_read_each_learning_rate_from_its_optimizer(tmp_path):
    """A schedule shows its value at the optimizer's own iteration, not the rate it started from."""
    variable = keras.Variable(1.0)
    scheduled = keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5))
    scheduled.build([variable])
    optimizers = {"generator_optimizer": scheduled, "discriminator_optimizer": adam(1e-4, variables=[variable])}
    writer = tf.summary.create_file_writer(str(tmp_path))
    summaries = Summaries(writer, 1, optimizers)
    for step in (1, 2, 3):
        scheduled.apply([tf.constant(1.0)], [variable])
        summaries.after_step(StepResult(step, "gan", {"loss": 1.0}, 3))
    summaries.at_end(3)
    events = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    events.Reload()
    rates = {tag: [float(tf.make_ndarray(e.tensor_proto)) for e in events.Tensors(tag)]
             for tag in events.Tags()["tensors"] if tag.startswith("learning_rate/")}
    assert rates["learning_rate/discriminator_optimizer"] == pytest.approx([1e-4] * 3)
    assert rates["learning_rate/generator_optimizer"] == pytest.approx([0.05, 0.025, 0.0125])
