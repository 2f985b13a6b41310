"""Every bad input and fault of issue #16, through the training command line, in one pool of two processes.

Each case runs `tfgan_text.main.run(argv)` in a worker that imported TensorFlow once; the test checks the
exit code, that the error is ONE line naming the flag, file or path, and what was (not) written.
"""
import concurrent.futures
import contextlib
import io
import json
import multiprocessing
import os
import re
import socket

import pytest

from tests.conftest import TINY_FLAGS

QUICK = TINY_FLAGS + ["--steps=2", "--eval_every=100000", "--num_eval_samples=16"]


def run_cli(argv: list) -> tuple[int, str]:
    """(exit code, stderr) of the training command, in this process."""
    from tfgan_text import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main.run(["tfgan-text"] + argv)
    return code, err.getvalue()


def files(tmp_path) -> dict:
    """The bad inputs, written once."""
    made = {}

    def write(name, data):
        path = tmp_path / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        made[name] = str(path)

    write("empty.txt", "")
    write("blank.txt", "\n \n\t\n")
    write("binary.txt", bytes(range(256)) * 8)
    write("latin1.txt", "caf\xe9 au lait\n".encode("latin-1") * 20)
    write("unique_words.txt", "".join(f"word{i}\n" for i in range(200)))
    write("huge_line.txt", "".join(f"a cat sat on mat {i % 7}\n" for i in range(50)) + "x " * 500_000 + "\n")
    write("no_tab.tsv", "a b c\nd e f\n")
    write("empty_target.tsv", "a b\tc d\ne f\t\n")
    write("latin1_vectors.txt", "caf\xe9 0.1 0.2\n".encode("latin-1"))
    write("vectors_dim3.txt", "the 0.1 0.2 0.3\ncat 0.1 0.2 0.3\n")
    write("a_file", "not a directory\n")
    (tmp_path / "a_directory.txt").mkdir()
    made["a_directory.txt"] = str(tmp_path / "a_directory.txt")
    return made


def cases(paths: dict, tmp_path) -> dict:
    """{name: (argv, expected exit code, pattern the one-line error must match, logdir that must not exist)}"""
    def run_dir(name):
        return str(tmp_path / "runs" / name)

    corpus = ["--method=mle", "--embedding_dim=8", "--hidden_dim=8", "--batch_size=8", "--steps=2",
              "--num_eval_samples=8", "--eval_every=100000"]
    table = {
        "missing corpus": (corpus + [f"--train_data={tmp_path}/absent.txt"], 2, r"absent\.txt"),
        "empty corpus": (corpus + [f"--train_data={paths['empty.txt']}"], 2, r"empty\.txt"),
        "blank corpus": (corpus + [f"--train_data={paths['blank.txt']}"], 2, r"blank\.txt"),
        "binary corpus": (corpus + [f"--train_data={paths['binary.txt']}"], 2, r"binary\.txt"),
        "latin-1 corpus": (corpus + [f"--train_data={paths['latin1.txt']}"], 2, r"latin1\.txt"),
        "a directory as corpus": (corpus + [f"--train_data={paths['a_directory.txt']}"], 2, r"a_directory\.txt"),
        "only unknown words (7)": (corpus + [f"--train_data={paths['unique_words.txt']}", "--min_count=2"], 2,
                                   r"--min_count"),
        "a length beyond the bound (3)": (corpus + [f"--train_data={paths['huge_line.txt']}",
                                                    "--max_length=1000000"], 2, r"--max_length"),
        "tsv without a tab": (corpus + ["--task=parallel", f"--train_data={paths['no_tab.tsv']}"], 2,
                              r"no_tab\.tsv"),
        "empty tsv target (10)": (corpus + ["--task=parallel", f"--train_data={paths['empty_target.tsv']}"], 2,
                                  r"empty_target\.tsv.*(target|empty)"),
        "huge --rollout_num (5)": (["--method=seqgan"] + QUICK[1:] + ["--rollout_num=1000000000"], 2,
                                   r"--rollout_num"),
        "non-UTF-8 embeddings (9)": (["--method=scratchgan"] + QUICK[1:] + [
            f"--embeddings_file={paths['latin1_vectors.txt']}"], 2, r"latin1_vectors\.txt"),
        "embeddings of the wrong size (9)": (["--method=scratchgan"] + QUICK[1:] + [
            f"--embeddings_file={paths['vectors_dim3.txt']}"], 2, r"vectors_dim3\.txt|--embedding"),
        "--logdir is a file (8)": (QUICK + [f"--logdir={paths['a_file']}"], 2, r"a_file"),
        "unknown method": (["--method=nope"], 2, r"--method=nope"),
        "flag out of range": (QUICK + ["--batch_size=0"], 2, r"--batch_size"),
    }
    return {name: (argv + ([] if any(a.startswith("--logdir") for a in argv) else [f"--logdir={run_dir(name)}"]),
                   code, pattern, None if any(a.startswith("--logdir") for a in argv) else run_dir(name))
            for name, (argv, code, pattern) in table.items()}


@pytest.fixture(scope="module")
def pool():
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def test_every_bad_input_is_one_line_with_exit_2_and_writes_nothing(tmp_path, pool):
    table = cases(files(tmp_path), tmp_path)
    futures = {name: pool.submit(run_cli, argv) for name, (argv, *_rest) in table.items()}
    failures = []
    for name, (argv, expected_code, pattern, logdir) in table.items():
        code, err = futures[name].result(timeout=600)
        lines = [line for line in err.strip().splitlines() if line.strip()]
        if code != expected_code or len(lines) != 1 or not re.search(pattern, lines[0]):
            failures.append(f"{name}: exit {code}, stderr {err.strip()[-500:]!r}")
        elif logdir and os.path.exists(logdir):
            failures.append(f"{name}: {logdir} was written")
    assert not failures, "\n".join(failures)


def test_faults_after_a_run_are_answered_in_one_line(tmp_path, pool):
    """A finished run: resuming it with another method (10), running a second run into it (1: a lock held by
    a live process), corrupting every checkpoint (2), and a run that crashed before its first checkpoint (4)."""
    logdir = str(tmp_path / "run")
    assert pool.submit(run_cli, QUICK + [f"--logdir={logdir}"]).result(timeout=600)[0] == 0
    code, err = pool.submit(run_cli, ["--method=seqgan", f"--logdir={logdir}", "--resume"]).result(timeout=600)
    assert code == 2 and "--method" in err.strip().splitlines()[-1] and len(err.strip().splitlines()) == 1, err

    with open(os.path.join(logdir, ".lock"), "w") as f:  # held by this (live) test process
        json.dump({"pid": os.getpid(), "host": socket.gethostname(), "process_start": None}, f)
    code, err = pool.submit(run_cli, QUICK + [f"--logdir={logdir}", "--resume", "--steps=4"]).result(timeout=600)
    assert code == 2 and str(os.getpid()) in err and len(err.strip().splitlines()) == 1, err
    os.remove(os.path.join(logdir, ".lock"))

    for name in os.listdir(f"{logdir}/checkpoints"):
        if name.startswith("ckpt-") and ".data-" in name:
            with open(f"{logdir}/checkpoints/{name}", "r+b") as f:
                f.truncate(3)
    code, err = pool.submit(run_cli, QUICK + [f"--logdir={logdir}", "--resume", "--steps=4"]).result(timeout=600)
    assert code == 2 and "checkpoint" in err and len(err.strip().splitlines()) == 1, err

    crashed = str(tmp_path / "crashed")
    assert pool.submit(run_cli, QUICK + [f"--logdir={crashed}"]).result(timeout=600)[0] == 0
    for name in os.listdir(f"{crashed}/checkpoints"):
        if name.startswith("ckpt-") or name == "checkpoint":
            os.remove(f"{crashed}/checkpoints/{name}")  # as if it died before its first checkpoint
    code, err = pool.submit(run_cli, [f"--logdir={crashed}", "--resume"]).result(timeout=600)
    assert code == 0, err
