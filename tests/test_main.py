"""Bad input: one line naming the flag or file, exit code 2, nothing written to the run directory."""
import os

import pytest

from tests.conftest import TINY_FLAGS
from tfgan_text import main

CORPUS_FLAGS = ["--embedding_dim=8", "--hidden_dim=8", "--batch_size=4", "--steps=2", "--num_eval_samples=8"]


def snapshot(directory):
    """Every file under `directory` with its size and modification time."""
    found = {}
    for folder, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(folder, name)
            found[path] = (os.path.getsize(path), os.stat(path).st_mtime_ns)
    return found


def run_expecting_usage_error(argv, capsys):
    code = main.run(["tfgan-text"] + argv)
    error = capsys.readouterr().err.strip()
    assert code == 2
    assert error.startswith("tfgan-text: error: ") and "\n" not in error
    return error


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(f"the {w} sat on the mat ." for w in ["cat", "dog", "man", "cow"] * 5))
    return str(path)


@pytest.mark.parametrize("content, message", [
    (None, "no such file"), (b"", "is empty"), (b"a b\x00c\n", "looks binary"), (b"\xff\xfe b\n", "not valid UTF-8")])
def test_bad_corpus_files(tmp_path, capsys, content, message):
    path = tmp_path / "corpus.txt"
    if content is not None:
        path.write_bytes(content)
    logdir = tmp_path / "run"
    error = run_expecting_usage_error([f"--train_data={path}", f"--logdir={logdir}"] + CORPUS_FLAGS, capsys)
    assert f"--train_data={path}" in error and message in error
    assert not logdir.exists()


def test_every_line_longer_than_max_length(tmp_path, capsys, corpus):
    logdir = tmp_path / "run"
    error = run_expecting_usage_error([f"--train_data={corpus}", "--max_length=3", f"--logdir={logdir}"]
                                      + CORPUS_FLAGS, capsys)
    assert "--max_length=3" in error and "every line is longer" in error
    assert not logdir.exists()


@pytest.mark.parametrize("flag, message", [
    ("--method=nosuchgan", "--method=nosuchgan: unknown method; available: "),
    ("--batch_size=0", "--batch_size=0"), ("--heldout_fraction=1.5", "--heldout_fraction=1.5"),
    ("--tokenizer=bpe", "--tokenizer"), ("--export_name=../up", "--export_name=../up"), ("--batch_size=100000", "--batch_size=100000: larger than")])
def test_bad_flags(tmp_path, capsys, flag, message):
    logdir = tmp_path / "run"
    error = run_expecting_usage_error(TINY_FLAGS + [flag, f"--logdir={logdir}"], capsys)
    assert message in error
    assert not logdir.exists()


def test_resume_refuses_a_different_vocabulary_or_model_and_changes_nothing(tmp_path, capsys, corpus):
    logdir = str(tmp_path / "run")
    base = [f"--train_data={corpus}", f"--logdir={logdir}"] + CORPUS_FLAGS
    assert main.run(["tfgan-text"] + base) == 0
    capsys.readouterr()
    before = snapshot(logdir)
    error = run_expecting_usage_error(base + ["--resume", "--max_vocab_size=8"], capsys)
    assert f"--max_vocab_size=8: the run in --logdir={logdir} was trained with --max_vocab_size=0" in error
    other_words = tmp_path / "other.txt"
    other_words.write_text(open(corpus).read().replace("cow", "owl"))  # same size, other vocabulary
    error = run_expecting_usage_error(base + ["--resume", f"--train_data={other_words}"], capsys)
    assert f"--train_data={other_words}: the run in --logdir={logdir} was trained with --train_data={corpus}" in error
    error = run_expecting_usage_error(base + ["--resume", "--hidden_dim=16"], capsys)
    assert error.endswith(f"error: --hidden_dim=16: the run in --logdir={logdir} was trained with --hidden_dim=8")
    error = run_expecting_usage_error(base + ["--resume", "--method=seqgan"], capsys)  # the method first
    assert f"error: --method=seqgan: the run in --logdir={logdir} was trained with --method=mle" in error
    error = run_expecting_usage_error(base + ["--resume", "--rollout_num=3"], capsys)  # not an MLE flag
    assert f"error: --rollout_num=3: not a flag of --method=mle (the run in --logdir={logdir})" in error
    error = run_expecting_usage_error(base, capsys)  # a second run into the same directory
    assert "already holds a run" in error
    assert snapshot(logdir) == before
    assert main.run(["tfgan-text"] + base + ["--resume", "--steps=4"]) == 0


def test_resume_without_a_checkpoint(tmp_path, capsys):
    error = run_expecting_usage_error(TINY_FLAGS + ["--resume", f"--logdir={tmp_path}/none"], capsys)
    assert "no checkpoint to resume" in error
    assert not os.path.exists(f"{tmp_path}/none")


def test_export_at_the_end_of_training(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main.run(["tfgan-text"] + TINY_FLAGS + ["--steps=3", "--logdir=run", "--export_name=tiny"]) == 0
    assert os.path.exists(tmp_path / "savedmodels" / "tiny" / "1" / "saved_model.pb")


def test_every_flagfile_parses_in_a_fresh_process():
    """Every preset parses in a fresh process, with absl and with the library's own flagfile reader."""
    import glob
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = ("import glob, sys\nfrom tfgan_text import main\nfrom tfgan_text.config import read_flagfile\n"
              "for path in sorted(glob.glob('flags/*.cfg')):\n"
              "    main.parse_flags(['x', f'--flagfile={path}'])\n"
              "    read_flagfile(path)\n"
              "print('parsed', len(glob.glob('flags/*.cfg')))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"parsed {len(glob.glob(f'{ROOT}/flags/*.cfg'))}"


def test_every_flagfile_for_the_lstm_oracle_says_task_oracle():
    """--task=auto without data means the grammar task; every preset written for the LSTM oracle (its name
    says oracle, or it sets a flag only the LSTM oracle reads) keeps it, so its setting does not change."""
    import glob

    from tests.conftest import ROOT
    from tfgan_text.config import MLEConfig, read_flagfile
    from tfgan_text.methods import METHODS

    lstm_only = {"oracle_params", "oracle_seed", "oracle_vocab_size", "oracle_embedding_dim", "oracle_hidden_dim",
                 "oracle_length"}
    task_fields = {"task", "train_data", "test_data"}
    kinds = {}
    for path in sorted(glob.glob(f"{ROOT}/flags/*.cfg")):
        _, values = read_flagfile(path)
        kind = MLEConfig(**{k: v for k, v in values.items() if k in task_fields}).task_kind
        kinds[os.path.basename(path)] = kind
        if lstm_only & set(values) or "_oracle" in os.path.basename(path):
            assert kind == "oracle", path
    # Every default (flags/<method>.cfg) is on the grammar task, so a default run prints sentences.
    assert all(kinds[f"{method}.cfg"] == "grammar" for method in METHODS), kinds
    assert kinds["seqgan_oracle.cfg"] == "oracle" and kinds["seqgan_coco.cfg"] == "corpus"


def test_no_command_loads_tensorflow_before_run_command_starts():
    """A Ctrl-C while TensorFlow loads (seconds) is one line only if it loads inside run_command."""
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.test_layers import CLI_MODULES

    code = ("import importlib, sys\n"
            f"for module in {sorted(CLI_MODULES)!r}:\n"
            "    importlib.import_module(module)\n"
            "    assert 'tensorflow' not in sys.modules, module\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_every_default_flagfile_names_existing_published_settings():
    """A default preset (flags/<method>.cfg) is sized down for minutes on 2 cores; its header comment names the
    flagfile(s) that hold the published setting, and every flagfile it names exists."""
    import re

    from tests.conftest import ROOT
    from tfgan_text.methods import METHODS

    for method in METHODS:
        with open(f"{ROOT}/flags/{method}.cfg", encoding="utf-8") as f:
            comment = " ".join(line[1:] for line in f if line.startswith("#"))
        named = set(re.findall(r"flags/([\w.]+?\.cfg)", comment)) - {f"{method}.cfg"}
        assert named, f"flags/{method}.cfg names no published setting"
        missing = [name for name in named if not os.path.exists(f"{ROOT}/flags/{name}")]
        assert not missing, f"flags/{method}.cfg names missing flagfiles: {missing}"
