"""The README's commands run as written: the quick ones here, in a temporary directory, in order (each may use
what the ones before it wrote: runs/x, savedmodels/x/1), with only fewer steps and samples appended where the
command would take minutes; every other command of the README is listed with the reason it is not run here.
The README's Python serving block runs verbatim on the export, and the REST examples of docs/serving.md go
through the exported signatures as TF Serving would run them."""
import importlib
import json
import os
import re
import shlex
import shutil

import pytest

from tests.conftest import ROOT

README = os.path.join(ROOT, "README.md")
SERVING_DOC = os.path.join(ROOT, "docs", "serving.md")
# Fewer steps and samples, so that a command of minutes takes seconds (appended: the README's flags come first).
TINY_GRAMMAR = ["--steps=3", "--oracle_num_train=256", "--oracle_num_test=256", "--num_eval_samples=64"]
# (README command, appended for time), run in this order.
QUICK = [
    ("python -m tfgan_text.main --method=mle --logdir=runs/x", TINY_GRAMMAR),
    ("python -m tfgan_text.main --logdir=runs/x --resume", ["--steps=5"]),
    ("python -m tfgan_text.main --method=mle --task=oracle",
     ["--steps=2", "--oracle_vocab_size=50", "--oracle_num_train=64", "--oracle_num_test=64",
      "--num_eval_samples=64"]),
    ("python -m tfgan_text.main --method=mle --train_data=my.txt --test_data=my_test.txt --tokenizer=word",
     ["--steps=2", "--num_eval_samples=8"]),
    ("python -m tfgan_text.main --method=seqgan --print_config", []),
    ("python -m tfgan_text.main --helpfull", []),
    ("python -m tfgan_text.main --flagfile=flags/mle_reverse.cfg",
     ["--steps=2", "--mapping_num_train=64", "--mapping_num_test=16", "--num_eval_samples=16"]),
    ("python -m tfgan_text.evaluate --checkpoint_dir=runs/x", ["--num_samples=64"]),
    ("python -m tfgan_text.evaluate --checkpoint_dir=runs/x --metrics=nll,bleu --temperature=0.8", ["--num_samples=64"]),
    ("python -m tfgan_text.sweep --checkpoint_dirs=runs/mle,runs/gan --temperatures=0.5,0.75,1.0,1.25,1.5 "
     "--out=runs/sweep", ["--num_samples=64"]),
    ("python -m tfgan_text.export --checkpoint_dir=runs/x", []),
    ("python -m tfgan_text.generate --savedmodel=savedmodels/x/1 --num_samples=100 --temperature=0.8 --seed=1", []),
    ("python -m tfgan_text.generate --checkpoint_dir=runs/x --num_samples=100 --temperature=0.8 --seed=1", []),
]
NOT_RUN = {
    "make demo": "would reinstall the shared .venv; it runs `python -m tfgan_text.main --method=mle` (QUICK)",
    "make test": "the test suite itself",
    "python -m tfgan_text.main --flagfile=flags/mle_oracle.cfg": "needs ../shared/data (benchmarks/ runs it)",
    "tensorboard --logdir runs": "a server that runs until stopped",
    "python -m tfgan_text.benchmark --suite=grammar --budget=smoke --seeds=2 --out=benchmark_runs":
        "every method twice, minutes (test_benchmark.py runs the smoke budget)",
    "python -m tfgan_text.benchmark --suite=oracle --budget=cpu --seeds=3 --data_dir=../shared/data":
        "needs ../shared/data; hours",
    "python -m tfgan_text.glove --train_data=../shared/data/coco_train.txt "
    "--test_data=../shared/data/coco_nll_test.txt --tokenizer=word "
    "--vectors_output=runs/word_vectors/coco_glove64.txt --vectors_dim=64": "needs ../shared/data (test_glove.py)",
    "python -m tfgan_text.main --flagfile=flags/scratchgan_coco.cfg": "needs ../shared/data",
    "python -m tfgan_text.main --flagfile=flags/seqgan_reverse.cfg":
        "SeqGAN's pre-training and adversarial phases (methods/test_conditional.py trains them)",
    "python -m tfgan_text.main --method=seqgan --task=parallel --train_data=pairs.tsv --tokenizer=word "
    "--teacher_forcing_steps=1": "SeqGAN's phases on a parallel corpus (methods/test_conditional.py)",
    "docker run --rm -p 8501:8501 -v \"$PWD/savedmodels/x:/models/x\" -e MODEL_NAME=x tensorflow/serving":
        "needs docker; docs/serving.md's requests are checked against the export instead",
    "curl -s -X POST localhost:8501/v1/models/x:predict -d "
    "'{\"inputs\": {\"num_samples\": 3, \"temperature\": 0.8, \"seed\": 42}}'": "needs a model server (see docker)",
    "curl -s -X POST localhost:8501/v1/models/x:predict -d '{\"signature_name\": \"score\", \"inputs\": "
    "{\"texts\": [\"A man riding a bike.\", \"bike a riding man a .\"]}}'": "needs a model server (see docker)",
    "TF_CONFIG='{\"cluster\": {\"worker\": [\"10.0.0.1:12345\", \"10.0.0.2:12345\"]}, \"task\": {\"type\": "
    "\"worker\", \"index\": 0}}' python -m tfgan_text.main --method=seqgan --strategy=multi_worker "
    "--logdir=/shared/runs/seqgan --export_name=seqgan": "two machines (scripts/multi_worker_resume.py)",
    "TF_CONFIG='{\"cluster\": {\"worker\": [\"10.0.0.1:12345\", \"10.0.0.2:12345\"]}, \"task\": {\"type\": "
    "\"worker\", \"index\": 1}}' python -m tfgan_text.main --method=seqgan --strategy=multi_worker "
    "--logdir=/shared/runs/seqgan --export_name=seqgan": "two machines (scripts/multi_worker_resume.py)",
}


def readme_commands() -> list[str]:
    """Every command of the README's sh/bash blocks: continuation lines joined, comments and blank lines out,
    `. .venv/bin/activate` (the set-up of the others) left out."""
    with open(README, encoding="utf-8") as f:
        blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", f.read(), re.S)
    commands = []
    for block in blocks:
        for command in block.replace("\\\n", " ").splitlines():
            command = " ".join(re.sub(r"(^|\s)#.*$", "", command).split())  # a comment: '#' after a space
            if command and command != ". .venv/bin/activate":
                commands.append(command)
    return commands


def test_every_readme_command_is_run_here_or_said_why_not():
    commands = readme_commands()
    quick = [command for command, _ in QUICK]
    unlisted = [command for command in commands if command not in quick and command not in NOT_RUN]
    assert not unlisted, f"README commands neither run by this test nor in NOT_RUN: {unlisted}"
    gone = [command for command in quick + list(NOT_RUN) if command not in commands]
    assert not gone, f"commands of this test that the README no longer shows: {gone}"


def run_as_written(command: str, appended: list[str]) -> int:
    """`python -m tfgan_text.<module> ...` through the module's own entry point (what `python -m` calls), in
    this process: one TensorFlow start-up for all of them."""
    words = shlex.split(command)
    assert words[:2] == ["python", "-m"] and words[2].startswith("tfgan_text."), command
    module = importlib.import_module(words[2])
    try:
        return module.run([words[2]] + words[3:] + appended)
    except SystemExit as exit:  # --helpfull: the help, then exit 0, as from `python -m`
        return exit.code or 0


@pytest.fixture(scope="module")
def readme_dir(tmp_path_factory):
    """A directory where every QUICK command has run, in order: {command: (exit code, stdout, stderr)}."""
    folder = tmp_path_factory.mktemp("readme")
    os.symlink(os.path.join(ROOT, "flags"), folder / "flags")  # a clone's flags/, which the commands name
    animals = ("cat", "dog", "man", "bird", "cow", "girl", "boy", "horse")
    (folder / "my.txt").write_text("".join(f"The {a} saw a {b}.\n" for a in animals for b in animals))  # 64 lines:
    (folder / "my_test.txt").write_text("The cat saw a cow.\nThe dog saw a boy.\n")  # one batch of flags/mle.cfg
    results = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for command, appended in QUICK:
            if command.startswith("python -m tfgan_text.sweep"):  # two runs to compare: copies of runs/x
                for name in ("mle", "gan"):
                    shutil.copytree(folder / "runs" / "x", folder / "runs" / name)
            out, err = folder / "stdout.txt", folder / "stderr.txt"
            with open(out, "w") as stdout, open(err, "w") as stderr:
                with patch.context() as streams:
                    streams.setattr("sys.stdout", stdout)
                    streams.setattr("sys.stderr", stderr)
                    code = run_as_written(command, appended)
            results[command] = (code, out.read_text(), err.read_text())
    return folder, results


def test_quick_readme_commands_run_as_written(readme_dir):
    folder, results = readme_dir
    failed = {command: f"exit {code}: {err.strip().splitlines()[-1:] if err.strip() else out[-300:]}"
              for command, (code, out, err) in results.items() if code != 0}
    assert not failed, failed
    assert (folder / "runs" / "sweep" / "sweep.csv").exists() and (folder / "savedmodels" / "x" / "1").is_dir()
    # What the README says of them: the grammar run prints its metrics and sentences; evaluate leaves FED out
    # on a fresh install, saying how to add it; the export and the run give the same sentences.
    assert "final metrics:" in results[QUICK[0][0]][1] or "final metrics:" in results[QUICK[0][0]][2]
    evaluate_all = results["python -m tfgan_text.evaluate --checkpoint_dir=runs/x"]
    assert "FED skipped: " in evaluate_all[2] and "make fed" in evaluate_all[2]
    from_savedmodel, from_run = (results[command][1].splitlines() for command, _ in QUICK[-2:])
    assert len(from_savedmodel) == 100 and from_savedmodel == from_run


def test_readme_python_serving_block_runs_as_written(readme_dir, capsys, monkeypatch):
    folder, _ = readme_dir
    with open(README, encoding="utf-8") as f:
        block = re.search(r"<!-- tests/test_readme.py runs this block.*?-->\n```python\n(.*?)```", f.read(), re.S)
    assert block, "README: the Python serving block or its marker is gone"
    monkeypatch.chdir(folder)
    namespace = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    out, same = namespace["out"], namespace["same"]
    assert out["texts"].shape == (3,) and same["texts"].numpy().tolist() == out["texts"].numpy().tolist()
    printed = capsys.readouterr().out
    assert "'max_num_samples': 1000" in printed


def documented_exchanges() -> list[tuple[str, dict, dict]]:
    """(URL path, request body, response body) of each request shown in docs/serving.md."""
    with open(SERVING_DOC, encoding="utf-8") as f:
        found = re.findall(r"```http\nPOST (\S+)\n(.*?)```\s*```json\n(.*?)```", f.read(), re.S)
    return [(path, json.loads(request), json.loads(response)) for path, request, response in found]


def shape_and_kind(value) -> tuple:
    """(shape, element kind) of a JSON value: nested lists of equal lengths of int, float or str."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    kind = "float" if isinstance(value, float) else type(value).__name__
    return tuple(shape), kind


def test_documented_rest_requests_match_the_exported_signatures(readme_dir):
    from tfgan_text.serving_check import SessionServer

    folder, _ = readme_dir
    exchanges = documented_exchanges()
    assert {request.get("signature_name", "serving_default") for _, request, _ in exchanges} == {
        "serving_default", "score"}
    server = SessionServer(str(folder / "savedmodels" / "x" / "1"))
    kinds = {1: "float", 3: "int", 7: "str"}  # DT_FLOAT, DT_INT32, DT_STRING
    try:
        for path, request, documented in exchanges:
            assert path == "/v1/models/x:predict", path
            signature = server.signature_def(request)
            for name, value in request["inputs"].items():  # the documented inputs are the signature's
                assert name in signature.inputs, name
                assert shape_and_kind(value)[1] == kinds[signature.inputs[name].dtype], name
            required = set(signature.inputs) - set(signature.defaults)
            assert required <= set(request["inputs"]), f"{path}: required inputs {required - set(request['inputs'])}"
            answer = server.predict(request)
            assert "outputs" in answer, answer
            assert sorted(answer["outputs"]) == sorted(documented["outputs"])
            for name, value in answer["outputs"].items():
                assert shape_and_kind(value) == shape_and_kind(documented["outputs"][name]), name
                assert shape_and_kind(value)[1] == kinds[signature.outputs[name].dtype], name
    finally:
        server.close()


def test_the_documented_serving_check_command_answers_as_written(readme_dir, capsys, monkeypatch):
    folder, _ = readme_dir
    with open(SERVING_DOC, encoding="utf-8") as f:
        commands = [" ".join(block.replace("\\\n", " ").split())
                    for block in re.findall(r"```sh\n(.*?)```", f.read(), re.S)]
    assert len(commands) == 1 and commands[0].startswith("python -m tfgan_text.serving_check "), commands
    monkeypatch.chdir(folder)
    assert run_as_written(commands[0], []) == 0
    answer = json.loads(capsys.readouterr().out)
    assert sorted(answer["outputs"]) == ["lengths", "log_likelihood", "token_ids", "token_nll"]
