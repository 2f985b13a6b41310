"""MLE with --output_layer: every variant trains the generator, evaluation stays exact, runs reload."""

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import TINY_FLAGS
from tfgan_text import main
from tfgan_text.config import MLEConfig
from tfgan_text.data.tasks import Task
from tfgan_text.methods import METHODS
from tfgan_text.metrics.likelihood import NegativeLogLikelihood
from tfgan_text.models.output_layers import OUTPUT_LAYERS
from tfgan_text.sampling import SequenceSpec


def tiny_mle(output_layer, num_sampled=8):
    spec = SequenceSpec(vocab_size=30, max_length=6, bos_id=1, eos_id=2, pad_id=0, banned_ids=(0, 1))
    data = np.array([[4, 5, 6, 2, 0, 0], [7, 8, 2, 0, 0, 0], [9, 10, 11, 12, 2, 0]] * 16, np.int32)
    config = MLEConfig(embedding_dim=8, hidden_dim=16, num_layers=1, dropout=0.0, init_stddev=0.0,
                                   learning_rate=0.05, grad_clip=5.0, steps=80, epochs=0,
                                   output_layer=output_layer, num_sampled=num_sampled,
                                   sampling_proposal="unigram", hierarchical_classes=0)
    tf.keras.utils.set_random_seed(0)
    return METHODS["mle"](Task("corpus", spec, data, data, "train"), config, steps_per_epoch=3), data


@pytest.mark.parametrize("output_layer", OUTPUT_LAYERS)
def test_every_output_layer_lowers_the_exact_nll(output_layer):
    method, data = tiny_mle(output_layer)
    assert (method.generator.output_loss is None) == (output_layer == "full")
    nll = NegativeLogLikelihood(method.generator, method.task.spec)  # exact, through the generator's logits
    before = nll(data[:48])
    step = tf.function(method.phases()[0].step)
    losses = [float(step(tf.constant(data[i % 3 * 16:(i % 3 + 1) * 16]), tf.constant([0, i]))["loss"])
              for i in range(80)]
    after = nll(data[:48])
    assert np.all(np.isfinite(losses))
    # NCE also has to learn the normaliser; negative sampling learns p / (k q), not p
    limit = {"nce": 0.6, "negative_sampling": 0.8}.get(output_layer, 0.5)
    assert after < limit * before, (before, after)


def test_hierarchical_softmax_run_resumes_and_reloads(tmp_path, capsys):
    from tfgan_text.training.restore import load_run

    logdir = str(tmp_path / "run")
    base = ["tfgan-text"] + TINY_FLAGS + [f"--logdir={logdir}", "--output_layer=hierarchical_softmax"]
    assert main.run(base + ["--steps=4"]) == 0
    assert main.run(base + ["--steps=6", "--resume"]) == 0
    loaded = load_run(logdir, log=lambda message: None)
    assert loaded.step == 6 and loaded.generator.output_spec.kind == "hierarchical_softmax"
    sums = tf.reduce_sum(tf.exp(loaded.generator(tf.constant([[0, 3, 5]]))), -1)
    np.testing.assert_allclose(sums, 1.0, atol=1e-5)
    capsys.readouterr()
    assert main.run(["tfgan-text"] + TINY_FLAGS + [f"--logdir={logdir}", "--steps=8", "--resume",
                                                   "--output_layer=full"]) == 2
    assert "output_layer" in capsys.readouterr().err  # a different output layer is refused


def test_sampled_output_layer_trains_through_the_cli(tmp_path):
    argv = ["tfgan-text"] + TINY_FLAGS + [f"--logdir={tmp_path / 'run'}", "--steps=5", "--output_layer=nce",
                                          "--num_sampled=16", "--sampling_proposal=log_uniform"]
    assert main.run(argv) == 0
