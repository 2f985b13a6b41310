"""SavedModel export of a conditional (encoder-decoder) generator: answers to source texts, scoring a
text given its source, TF Serving's loader in a TensorFlow-only Python, limits."""
import os

import numpy as np
import pytest
import tensorflow as tf

from tests.test_export import check_serving
from tfgan_text import export, serving
from tfgan_text.sampling import sample, sequence_log_probs
from tfgan_text.training.restore import load_run


@pytest.fixture(scope="module")
def reverse_run(reverse_mle_run):
    """(run dir, final metrics, folder of the --export_name export) of a model trained to reverse strings."""
    return reverse_mle_run


@pytest.fixture(scope="module")
def reverse_model(reverse_run):
    loaded = load_run(reverse_run[0], full_task=False, log=lambda message: None)
    return loaded.task, loaded.generator


def source_ids(task, texts):
    ids = np.full([len(texts), task.source_length], task.spec.pad_id, np.int32)
    for row, text in enumerate(texts):
        encoded = task.vocabulary.encode(task.tokenizer.tokenize([text])[0])
        ids[row, :len(encoded)] = encoded
    return ids


def test_served_answers_and_scores_equal_the_in_process_ones(reverse_model):
    task, generator = reverse_model
    spec = task.spec
    module = serving.ConditionalServingModule(generator, task)
    sources = [task.decode_source(row) for row in task.split(task.test)[0][:5]] + ["s1 nosuch s3"]
    ids = source_ids(task, sources)
    assert ids[-1, 1] == task.vocabulary.unk_id  # unknown words -> <unk>, as in training
    for temperature, top_k, batch_index in ((1.0, 0, 0), (0.7, 3, 2), (1.0, 1, 0)):
        served = module.generate(tf.constant(sources), tf.constant(temperature), tf.constant(7),
                                 tf.constant(top_k), tf.constant(batch_index))
        stream = tf.random.experimental.stateless_fold_in([7, 0], batch_index)
        expected = sample(generator.conditioned(ids), spec, len(sources), stream, temperature, top_k)
        np.testing.assert_array_equal(served["token_ids"].numpy(), expected.tokens.numpy())
        np.testing.assert_allclose(served["log_prob"].numpy(), expected.log_probs.numpy().sum(axis=1), rtol=1e-5)
        np.testing.assert_array_equal(served["lengths"].numpy(), expected.lengths.numpy())
        assert [t.decode() for t in served["texts"].numpy()] == [task.decode(row) for row in expected.tokens]

    # score: log p(target | source), eos included, equal to the in-process conditional log-probs.
    sources, targets = task.split(task.test[:8])
    texts = [task.decode(row) for row in targets]
    scored = module.score(tf.constant([task.decode_source(row) for row in sources]), tf.constant(texts))
    expected = sequence_log_probs(generator.conditioned(sources), tf.constant(targets), spec).numpy()
    np.testing.assert_allclose(scored["log_likelihood"].numpy(), expected.sum(axis=1), rtol=1e-5)
    np.testing.assert_array_equal(scored["token_ids"].numpy(), targets)
    np.testing.assert_array_equal(scored["lengths"].numpy(), (targets != spec.pad_id).sum(axis=1))
    assert int(module.describe()["max_source_length"]) == task.source_length


def test_conditional_export_serves_with_tensorflow_only(reverse_run, reverse_model, tmp_path):
    logdir, metrics, trained_export = reverse_run
    task, generator = reverse_model
    assert os.path.isfile(os.path.join(trained_export, "saved_model.pb"))  # --export_name at the end of training
    export_dir = tmp_path / "models"
    assert export.run(["export", f"--checkpoint_dir={logdir}", f"--export_dir={export_dir}", "--name=rev"]) == 0
    sources, targets = task.split(task.test)
    source_texts = [task.decode_source(row) for row in sources]
    reversed_texts = [" ".join(reversed(text.split())) for text in source_texts]
    unchanged = [text for text in source_texts if text != " ".join(reversed(text.split()))][:20]
    source_length = task.source_length
    answers = check_serving(str(export_dir / "rev" / "1"), {
        "greedy": ["serving_default", {"inputs": {"source_texts": source_texts, "temperature": 1.0, "seed": 3,
                                                  "top_k": 1}}],
        "sampled": ["serving_default", {"inputs": {"source_texts": source_texts[:6], "temperature": 0.8,
                                                   "seed": 5, "batch_index": 1}}],
        "held_out": ["score", {"inputs": {"source_texts": source_texts, "texts": [task.decode(r) for r in targets]}}],
        "right_wrong": ["score", {"inputs": {"source_texts": unchanged * 2,
                                             "texts": [" ".join(reversed(t.split())) for t in unchanged] + unchanged}}],
        "too_long": ["serving_default", {"inputs": {"source_texts": ["s1 " * (source_length + 1)],
                                                    "temperature": 1.0, "seed": 1}}],
        "empty": ["serving_default", {"inputs": {"source_texts": ["s1", " "], "temperature": 1.0, "seed": 1}}],
        "none": ["serving_default", {"inputs": {"source_texts": [], "temperature": 1.0, "seed": 1}}],
        "too_many": ["serving_default", {"inputs": {"source_texts": ["s1"] * 1001, "temperature": 1.0, "seed": 1}}],
        "unpaired": ["score", {"inputs": {"source_texts": ["s1 s2"], "texts": ["s2 s1", "s1"]}}],
        "long_score": ["score", {"inputs": {"source_texts": ["s1 " * (source_length + 1)], "texts": ["s1"]}}],
    }, tmp_path)
    assert answers["signatures"] == ["score", "serving_default"]
    for key in ("greedy", "sampled", "held_out", "right_wrong"):
        assert answers["session"][key]["outputs"] == answers["tf2"][key], key

    # The served model has learnt the task: its greedy answers to held-out sources are their reversals.
    greedy = answers["session"]["greedy"]["outputs"]
    assert len(greedy["texts"]) == len(source_texts)
    exact = np.mean([answer == expected for answer, expected in zip(greedy["texts"], reversed_texts)])
    assert exact >= 0.9, exact
    ids = source_ids(task, source_texts)
    expected = sample(generator.conditioned(ids), task.spec, len(ids), tf.constant([3, 0]), 1.0, 1)
    np.testing.assert_array_equal(greedy["token_ids"], expected.tokens.numpy())
    sampled = answers["session"]["sampled"]["outputs"]
    expected = sample(generator.conditioned(ids[:6]), task.spec, 6,
                      tf.random.experimental.stateless_fold_in([5, 0], 1), 0.8)
    np.testing.assert_array_equal(sampled["token_ids"], expected.tokens.numpy())

    # Scoring the held-out pairs gives the trainer's own NLL-test (the exported weights are the final ones);
    # a source's reversal scores far above the source itself.
    held = answers["session"]["held_out"]["outputs"]
    assert np.sum(held["token_nll"]) / np.sum(held["lengths"]) == pytest.approx(metrics["nll_test"], abs=1e-4)
    right_wrong = answers["session"]["right_wrong"]["outputs"]["log_likelihood"]
    right, wrong = right_wrong[:len(unchanged)], right_wrong[len(unchanged):]
    assert all(r > w + 1.0 for r, w in zip(right, wrong)), (right, wrong)

    errors = answers["errors"]
    assert f"more than {source_length} tokens" in errors["too_long"]
    assert f"more than {source_length} tokens" in errors["long_score"]
    assert f"1 to {source_length} tokens" in errors["empty"]
    assert "at least one" in errors["none"]
    assert "at most 1000 source texts" in errors["too_many"]
    assert "as many" in errors["unpaired"]


def test_generate_answers_a_sources_file_from_the_run_and_from_the_export(reverse_run, tmp_path, capsys):
    from tfgan_text import generate

    logdir, _, trained_export = reverse_run
    sources = tmp_path / "sources.txt"
    sources.write_text("s1 s2 s3\ns4 s5 s6 s7\n", encoding="utf-8")
    for where in (f"--checkpoint_dir={logdir}", f"--savedmodel={trained_export}"):
        out = tmp_path / "answers.txt"
        assert generate.run(["x", where, f"--sources={sources}", "--top_k=1", f"--out={out}"]) == 0
        assert out.read_text(encoding="utf-8").splitlines() == ["s3 s2 s1", "s7 s6 s5 s4"]
    sources.write_text("s1 s2 s3 s4 s5 s6 s7 s1\n", encoding="utf-8")  # longer than the model's sources
    assert generate.run(["x", f"--savedmodel={trained_export}", f"--sources={sources}"]) == 2
    assert "--sources=" in capsys.readouterr().err
    assert generate.run(["x", f"--savedmodel={trained_export}", "--num_samples=3"]) == 2  # no sources given
    assert "a conditional model answers" in capsys.readouterr().err


def test_loaded_export_answers_from_python_with_the_optional_inputs_left_out(reverse_run):
    """README, "From Python": a conditional export's `generate` and `score` keep their defaults once loaded
    (top_k 0, batch_index 0), unlike its signatures, which take every input."""
    loaded = tf.saved_model.load(reverse_run[2])
    sources = ["s1 s2 s3", "s4 s5"]
    answered = loaded.generate(source_texts=sources, temperature=0.8, seed=42)
    explicit = loaded.signatures["serving_default"](source_texts=sources, temperature=0.8, seed=42, top_k=0,
                                                    batch_index=0)
    assert answered["texts"].numpy().tolist() == explicit["texts"].numpy().tolist()
    scored = loaded.score(source_texts=sources, texts=["s3 s2 s1", "s5 s4"])["log_likelihood"].numpy()
    assert scored.shape == (2,) and (scored < 0).all()
