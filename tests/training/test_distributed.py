"""MirroredStrategy over two logical CPU devices computes the same training as one device, for every method.

One method is added by registering it: the test is parametrised over the METHODS registry (a method's
tiny configuration is in tiny_methods.py).
"""
import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tfgan_text.methods import CONDITIONAL_METHODS, METHODS

TOLERANCE = 1e-5
CHECKED = sorted(METHODS) + [f"{method}@reverse" for method in CONDITIONAL_METHODS]  # and conditional generation
PROCESSES = 2  # methods are split over this many processes, run side by side (one per core)
# Seconds for both processes together: a guard against a hang, not a speed check. On an idle machine they take
# one to two minutes; under `make test` they share the two cores with the other pytest-xdist worker, and on a
# machine loaded by other work they have taken over 15 minutes.
TIMEOUT = 1800
# Rough CPU seconds of each method's check (both runs), measured once: they balance the processes.
COST = {"leakgan": 29, "scratchgan": 13, "rankgan": 12, "cot": 9, "maligan": 9, "seqgan": 9, "wgan_gp": 4, "mle": 3,
        "seqgan@reverse": 12, "mle@reverse": 4}


def balanced_groups(methods: list[str], processes: int) -> list[list[str]]:
    """The methods dealt out slowest first, each to the process with the least work so far."""
    groups, loads = [[] for _ in range(processes)], [0] * processes
    for method in sorted(methods, key=lambda name: -COST.get(name, 10)):
        lightest = loads.index(min(loads))
        groups[lightest].append(method)
        loads[lightest] += COST.get(method, 10)
    return groups


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """One JSON report per checked method, from `tests.training.distributed_check` run in fresh processes."""
    logdir = tmp_path_factory.mktemp("distributed")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    groups = balanced_groups(CHECKED, PROCESSES)
    processes = [subprocess.Popen([sys.executable, "-m", "tests.training.distributed_check", str(logdir), *group],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for group in groups if group]
    found, deadline = {}, time.monotonic() + TIMEOUT
    for process in processes:
        try:
            out, err = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            err += f"\n(killed: the checks had not ended after {TIMEOUT} s)"
        for line in out.splitlines():
            if line.startswith("{"):
                report = json.loads(line)
                found[report["method"]] = report
        found.setdefault("_errors", []).append(err[-3000:] if process.returncode else "")
    return found


@pytest.mark.parametrize("method", CHECKED)
def test_mirrored_steps_equal_single_device_steps(reports, method):
    assert method in reports, "".join(reports["_errors"])
    report = reports[method]
    assert report["replicas"] == 2
    assert report["trained_weights"] > 0, report  # the runs did change weights: the comparison means something
    assert report["replicas_agree"], report
    assert report["max_abs_difference"] < TOLERANCE, report
