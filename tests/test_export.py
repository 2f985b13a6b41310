"""SavedModel export: TF Serving's loader in a TensorFlow-only Python, exact samples, scoring, atomicity, bad input."""
import importlib
import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import QUIET, ROOT, TINY_FLAGS, cli_task, parse_cli, train_cli
from tfgan_text.training.restore import load_run
from tfgan_text import export, generate, serving
from tfgan_text.sampling import Sampler

ANIMALS, VERBS, PLACES = ["cat", "dog", "bird", "cow"], ["sat", "slept", "stood"], ["mat", "rug", "sofa", "bed"]


def train(argv, logdir):
    """Trains in-process; returns the final metrics of the trainer's own (in-memory) generator."""
    return train_cli(argv + [f"--logdir={logdir}"])


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    lines = [f"The {a} {v} on the {p}." for a in ANIMALS for v in VERBS for p in PLACES] * 4
    (folder / "corpus.txt").write_text("\n".join(lines) + "\n")
    logdir = str(folder / "run")
    metrics = train(["--method=mle", f"--train_data={folder / 'corpus.txt'}", "--embedding_dim=16", "--hidden_dim=32",
                     "--batch_size=32", "--steps=150", "--learning_rate=0.02", "--num_eval_samples=32",
                     "--samples_to_write=4"] + QUIET, logdir)
    return logdir, metrics


@pytest.fixture(scope="module")
def oracle_model(tiny_oracle_run):
    """(task, generator) restored from the oracle run's checkpoint, as the CLIs do it."""
    loaded = load_run(tiny_oracle_run[0], full_task=False, log=lambda message: None)
    task, generator = loaded.task, loaded.generator
    return task, generator


def check_serving(version_dir, requests, tmp_path):
    """Runs `python -m tfgan_text.serving_check` (a Python that can import only TensorFlow) on {key: [signature
    name, REST body]}; returns its findings."""
    requests_path, out_path = tmp_path / "requests.json", tmp_path / "answers.json"
    requests_path.write_text(json.dumps({key: {"signature_name": name, **body}
                                         for key, (name, body) in requests.items()}))
    done = subprocess.run([sys.executable, "-m", "tfgan_text.serving_check", f"--savedmodel={version_dir}",
                           f"--requests_file={requests_path}", f"--out={out_path}"],
                          capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out_path.read_text())


def test_oracle_export_serves_with_tensorflow_only(tiny_oracle_run, oracle_model, tmp_path):
    logdir, metrics = tiny_oracle_run
    task, generator = oracle_model
    export_dir = str(tmp_path / "savedmodels")
    assert serving.export_generator(generator, task, export_dir, "tiny", log=lambda m: None).endswith("tiny/1")
    assert export.run(["export", f"--checkpoint_dir={logdir}", f"--export_dir={export_dir}", "--name=tiny"]) == 0
    assert sorted(os.listdir(f"{export_dir}/tiny")) == ["1", "2"]  # auto-increment, nothing else beside them
    version_dir = f"{export_dir}/tiny/2"  # the command line's export
    full_task = cli_task(parse_cli(TINY_FLAGS)[2])
    test_texts = [" ".join(str(i) for i in row) for row in full_task.test]
    answers = check_serving(version_dir, {
        "plain": ["serving_default", {"inputs": {"num_samples": 5, "temperature": 1.0, "seed": 7}}],
        "top_k": ["serving_default", {"inputs": {"num_samples": 5, "temperature": 0.5, "seed": 7, "top_k": 3,
                                                 "max_length": 4, "batch_index": 1}}],
        "score": ["score", {"inputs": {"texts": test_texts}}],
        "too_many": ["serving_default", {"inputs": {"num_samples": 10 ** 9, "temperature": 1.0, "seed": 7}}],
        "cold": ["serving_default", {"inputs": {"num_samples": 2, "temperature": 0.0, "seed": 7}}],
        "too_long": ["score", {"inputs": {"texts": [" ".join(["1"] * (task.spec.max_length + 1))]}}],
        "bad_id": ["score", {"inputs": {"texts": [f"1 2 {task.spec.vocab_size}"]}}],
    }, tmp_path)
    assert answers["num_op_types"] > 20  # the check did look at the graph and its functions

    # Session (TF Serving's loader) and TF2 loader agree; both equal the in-process sampler.
    for key in ("plain", "top_k", "score"):
        assert answers["session"][key]["outputs"] == answers["tf2"][key], key
    plain = answers["session"]["plain"]["outputs"]
    expected = Sampler(generator, task.spec)(5, tf.constant([7, 0]), chunk_size=5)
    np.testing.assert_array_equal(plain["token_ids"], expected.tokens.numpy())
    np.testing.assert_allclose(plain["log_prob"], expected.log_probs.numpy().sum(axis=1), rtol=1e-5)
    assert plain["texts"] == [task.decode(row) for row in expected.tokens.numpy()]
    expected = Sampler(generator, task.spec)(10, tf.constant([7, 0]), temperature=0.5, top_k=3, chunk_size=5)
    np.testing.assert_array_equal(answers["session"]["top_k"]["outputs"]["token_ids"],
                                  expected.tokens.numpy()[5:, :4])  # batch_index 1 = the sampler's 2nd chunk

    # Scoring the held-out set through the SavedModel gives the trainer's own NLL-test: the exported
    # weights are those the trainer ended with, not a partial restore.
    scored = answers["session"]["score"]["outputs"]
    nll_test = np.sum(scored["token_nll"]) / np.sum(scored["lengths"])
    assert nll_test == pytest.approx(metrics["nll_test"], abs=1e-4)

    errors = answers["errors"]
    assert "num_samples must be <= 1000" in errors["too_many"]
    assert "temperature must be > 0" in errors["cold"]
    assert f"more than {task.spec.max_length} tokens" in errors["too_long"]
    assert "token ids must be in" in errors["bad_id"]


def test_corpus_export_scores_real_sentences_above_shuffled_ones(corpus_run, tmp_path):
    logdir, metrics = corpus_run
    loaded = load_run(logdir, full_task=False, log=lambda message: None)
    task, generator = loaded.task, loaded.generator
    path = serving.export_generator(generator, task, str(tmp_path / "models"), "captions", log=lambda message: None)
    assert path == str(tmp_path / "models" / "captions" / "1")
    assert os.path.exists(os.path.join(path, "assets", "vocab.txt"))
    sentences = ["The cat sat on the mat.", "the dog slept on the rug .", "The bird stood on the sofa."]
    rng = random.Random(0)
    shuffled = []
    for sentence in sentences:
        words = sentence.lower().replace(".", " .").split()
        while True:
            rng.shuffle(words)
            if " ".join(words) != sentence.lower().replace(".", " ."):
                break
        shuffled.append(" ".join(words))
    held_out = [task.decode(row) for row in task.test]
    answers = check_serving(path, {
        "score": ["score", {"inputs": {"texts": sentences + shuffled + ["a zebra sat on the mat ."]}}],
        "held_out": ["score", {"inputs": {"texts": held_out}}],
        "generate": ["serving_default", {"inputs": {"num_samples": 20, "temperature": 1.0, "seed": 3}}],
    }, tmp_path)
    scores = answers["session"]["score"]["outputs"]
    log_likelihood = scores["log_likelihood"]
    for i in range(len(sentences)):
        assert log_likelihood[i] > log_likelihood[len(sentences) + i] + 1.0, (sentences[i], shuffled[i])
    # In-graph word tokenisation matches the project's tokenizer + vocabulary (unknown words -> <unk>).
    expected_ids = task.vocabulary.encode(task.tokenizer.tokenize(["A zebra sat on the mat."])[0])
    assert expected_ids[1] == task.vocabulary.unk_id
    assert scores["token_ids"][-1][:len(expected_ids) + 1] == expected_ids + [task.vocabulary.eos_id]
    assert scores["lengths"][0] == 8  # 7 tokens + eos
    held = answers["session"]["held_out"]["outputs"]
    assert np.sum(held["token_nll"]) / np.sum(held["lengths"]) == pytest.approx(metrics["nll_test"], abs=1e-4)
    # In-graph detokenisation matches Task.decode.
    generated = answers["session"]["generate"]["outputs"]
    assert generated["texts"] == [task.decode(row) for row in generated["token_ids"]]
    assert answers["tf2"]["generate"] == generated


def test_generate_cli_same_sentences_from_savedmodel_and_checkpoint(tiny_oracle_run, oracle_model, tmp_path):
    logdir, _ = tiny_oracle_run
    export_dir = str(tmp_path / "savedmodels")
    serving.export_generator(*reversed(oracle_model), export_dir, "small", version=7, max_num_samples=4,
                            log=lambda message: None)
    from_checkpoint = tmp_path / "from_checkpoint.txt"
    assert generate.run(["generate", f"--checkpoint_dir={logdir}", "--num_samples=10", "--seed=5", "--top_k=4",
                         "--batch_size=4", f"--out={from_checkpoint}"]) == 0
    # The SavedModel side runs where keras, tfp and tensorflow-text cannot be imported.
    from_savedmodel = tmp_path / "from_savedmodel.txt"
    script = ("import sys\nfor m in ('keras', 'tf_keras', 'tensorflow_probability', 'tensorflow_text'):\n"
              "    sys.modules[m] = None\nfrom tfgan_text.generate import run\n"
              f"sys.exit(run(['generate', '--savedmodel={export_dir}/small/7', '--num_samples=10', '--seed=5', "
              f"'--top_k=4', '--out={from_savedmodel}']))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = from_savedmodel.read_text().splitlines()
    assert len(lines) == 10 and len(set(lines)) > 1  # 3 requests of <= 4 (the export's limit)
    assert from_checkpoint.read_text().splitlines() == lines


def test_interrupted_export_leaves_no_version_folder(corpus_run, tmp_path, monkeypatch):
    logdir, _ = corpus_run
    loaded = load_run(logdir, full_task=False, log=lambda message: None)
    task, generator = loaded.task, loaded.generator
    real_save = tf.saved_model.save

    def save_then_die(module, directory, signatures=None):
        real_save(module, directory, signatures=signatures)
        assert os.path.exists(os.path.join(directory, "saved_model.pb"))
        raise KeyboardInterrupt  # e.g. Ctrl-C between writing the files and publishing them

    monkeypatch.setattr(tf.saved_model, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        serving.export_generator(generator, task, str(tmp_path), "interrupted", log=lambda message: None)
    assert os.listdir(tmp_path / "interrupted") == []  # no version folder, no leftover staging folder
    monkeypatch.setattr(tf.saved_model, "save", real_save)
    assert serving.export_generator(generator, task, str(tmp_path), "interrupted", log=lambda m: None).endswith("/1")


@pytest.mark.parametrize("args, message", [
    (["--checkpoint_dir={empty}"], "no checkpoint (ckpt-N) in"),
    (["--checkpoint_dir={missing}"], "no such directory"),
    ([], "--checkpoint_dir is required"),
    (["--checkpoint_dir={run}", "--name=../escape"], "--name=../escape: a model name is"),
    (["--checkpoint_dir={run}", "--version=0"], "--version=0: a positive integer"),
    (["--checkpoint_dir={run}", "--version=two"], "--version=two"),
    (["--checkpoint_dir={run}", "--max_num_samples=0"], "--max_num_samples"),
    (["--checkpoint_dir={run}", "--nosuchflag=1"], "nosuchflag"),
])
def test_export_bad_input(tiny_oracle_run, tmp_path, capsys, args, message):
    (tmp_path / "empty" / "checkpoints").mkdir(parents=True)
    values = {"empty": tmp_path / "empty", "missing": tmp_path / "missing", "run": tiny_oracle_run[0]}
    argv = ["export"] + [arg.format(**values) for arg in args] + [f"--export_dir={tmp_path / 'out'}"]
    assert export.run(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("tfgan-text export: error: ") and "\n" not in error and message in error
    assert not (tmp_path / "out").exists()


def test_export_refuses_an_existing_version(tiny_oracle_run, tmp_path, capsys):
    (tmp_path / "out" / "tiny" / "3").mkdir(parents=True)
    argv = ["export", f"--checkpoint_dir={tiny_oracle_run[0]}", f"--export_dir={tmp_path / 'out'}", "--name=tiny",
            "--version=3"]
    assert export.run(argv) == 2
    assert "already exists" in capsys.readouterr().err
    assert os.listdir(tmp_path / "out" / "tiny") == ["3"]


@pytest.mark.parametrize("command, args, message", [
    ("generate", [], "exactly one of --savedmodel"),
    ("generate", ["--savedmodel={missing}"], "no saved_model.pb"),
    ("generate", ["--savedmodel={missing}", "--checkpoint_dir={missing}"], "exactly one of"),
    ("generate", ["--checkpoint_dir={missing}", "--temperature=0"], "--temperature=0.0: must be > 0"),
    ("generate", ["--checkpoint_dir={missing}", "--num_samples=0"], "--num_samples"),
    ("serving_check", [], "--savedmodel is required"),
    ("serving_check", ["--savedmodel={model}"], "exactly one of --request"),
    ("serving_check", ["--savedmodel={model}", "--request=not json"], "--request: not JSON"),
    ("serving_check", ["--savedmodel={model}", "--request=[1]"], "a REST body in the columnar format"),
    ("serving_check", ["--savedmodel={model}", '--request={"inputs": {}}'],
     "the version folder 'model' is not an integer"),
    ("serving_check", ["--savedmodel={model}", "--requests_file={model}/requests.json"], "--requests_file needs --out"),
])
def test_generate_and_serving_check_bad_input(tmp_path, capsys, command, args, message):
    (tmp_path / "model").mkdir()
    argv = [command] + [arg.replace("{missing}", str(tmp_path / "missing")).replace("{model}", str(tmp_path / "model"))
                        for arg in args]
    assert importlib.import_module(f"tfgan_text.{command}").run(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"tfgan-text {command}: error: ") and "\n" not in error and message in error


@pytest.fixture(scope="module")
def wgan_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wgan")
    lines = [f"The {a} {v} on the {p}." for a in ANIMALS for v in VERBS for p in PLACES]
    (folder / "corpus.txt").write_text("\n".join(lines) + "\n")
    logdir = str(folder / "run")
    train(["--method=wgan_gp", f"--train_data={folder / 'corpus.txt'}", "--wgan_dim=8", "--wgan_noise_dim=4",
           "--wgan_residual_blocks=1", "--critic_steps=3", "--learning_rate=1e-3", "--batch_size=16", "--steps=6",
           "--num_eval_samples=16", "--samples_to_write=4", "--wgan_readout=sample"] + QUIET, logdir)
    return logdir


def test_wgan_gp_export_serves_the_training_read_out_and_no_score(wgan_run, tmp_path):
    from tfgan_text.methods.wgan_gp import WGANEvaluator
    from tfgan_text.models.convolutional import output_spec

    export_dir = tmp_path / "models"
    assert export.run(["export", f"--checkpoint_dir={wgan_run}", f"--export_dir={export_dir}", "--name=wgan"]) == 0
    answers = check_serving(str(export_dir / "wgan" / "1"), {
        "first": ["serving_default", {"inputs": {"num_samples": 6, "temperature": 1.0, "seed": 7}}],
        "second": ["serving_default", {"inputs": {"num_samples": 6, "temperature": 1.0, "seed": 7,
                                                  "batch_index": 1}}],
        "top_k": ["serving_default", {"inputs": {"num_samples": 6, "temperature": 0.5, "seed": 7, "top_k": 2,
                                                 "max_length": 4}}],
        "too_many": ["serving_default", {"inputs": {"num_samples": 10 ** 9, "temperature": 1.0, "seed": 7}}],
        "cold": ["serving_default", {"inputs": {"num_samples": 2, "temperature": 0.0, "seed": 7}}],
    }, tmp_path)
    assert answers["signatures"] == ["serving_default"]  # no likelihood of a given text: no `score`
    for key in ("first", "second", "top_k"):
        assert answers["session"][key]["outputs"] == answers["tf2"][key], key
    assert "num_samples must be <= 1000" in answers["errors"]["too_many"]
    assert "temperature must be > 0" in answers["errors"]["cold"]

    # The run's --wgan_readout=sample, same noise and read-out as the training evaluator: batch_index b
    # is the evaluator's chunk b.
    loaded = load_run(wgan_run, full_task=False, log=lambda message: None)
    task, generator = loaded.task, loaded.generator
    spec = task.spec
    expected = WGANEvaluator(task, generator, 12, "sample", chunk_size=6).generate(12, tf.constant([7, 0]))
    first, second = answers["session"]["first"]["outputs"], answers["session"]["second"]["outputs"]
    np.testing.assert_array_equal(first["token_ids"] + second["token_ids"], expected)
    assert first["texts"] == [task.decode(row) for row in expected[:6]]
    ends = [list(row).index(spec.eos_id) + 1 if spec.eos_id in row else spec.max_length for row in expected[:6]]
    assert first["lengths"] == ends

    # log_prob: log p(tokens | z) of the per-position softmax, the end position counting eos or pad.
    noise_seed = tf.random.experimental.stateless_fold_in(tf.random.experimental.stateless_fold_in([7, 0], 0), 0)
    logits = generator(generator.noise(6, noise_seed)).numpy().astype(np.float64)
    logits[..., list(output_spec(spec).banned_ids)] = -np.inf
    log_p = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    for row, tokens, length, value in zip(log_p, expected[:6], ends, first["log_prob"]):
        total = sum(row[t, tokens[t]] for t in range(length))
        if tokens[length - 1] == spec.eos_id:
            total += np.logaddexp(row[length - 1, spec.eos_id], row[length - 1, spec.pad_id]) \
                - row[length - 1, spec.eos_id]
        assert value == pytest.approx(total, abs=1e-4)

    top_k = answers["session"]["top_k"]["outputs"]
    assert np.array(top_k["token_ids"]).shape == (6, 4) and max(top_k["lengths"]) <= 4

    # The argmax read-out (temperature does not change it) equals the evaluator's.
    module = serving.ConvServingModule(generator, task, readout="argmax")
    served = module.generate(tf.constant(5), tf.constant(0.3), tf.constant(3))
    expected = WGANEvaluator(task, generator, 5, "argmax").generate(5, tf.constant([3, 0]))
    np.testing.assert_array_equal(served["token_ids"].numpy(), expected)


def test_score_accepts_every_text_serving_default_emits_and_gives_its_log_prob(corpus_run):
    """A sample that reaches the length limit has T tokens and no end token; `score` takes it (it refused
    such texts, allowing T - 1) and gives the log-probability it was generated with."""
    loaded = load_run(corpus_run[0], log=lambda message: None)
    module = serving.ServingModule(loaded.generator, loaded.task)
    spec = loaded.task.spec
    generated = module.generate(tf.constant(300), tf.constant(4.0), tf.constant(5))  # hot: many run to the limit
    full = generated["lengths"].numpy() == spec.max_length
    assert full.any() and (~full).any()
    scored = module.score(generated["texts"])
    np.testing.assert_array_equal(scored["lengths"].numpy(), generated["lengths"].numpy())
    # score is at temperature 1; the samples' log_prob at 4: compare with a temperature-1 generation instead.
    cold = module.generate(tf.constant(300), tf.constant(1.0), tf.constant(5))
    np.testing.assert_allclose(module.score(cold["texts"])["log_likelihood"].numpy(), cold["log_prob"].numpy(),
                               rtol=1e-4, atol=1e-4)
