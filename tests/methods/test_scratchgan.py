"""ScratchGAN: the G and D steps against hand computations, masking after eos, each ablation flag, resume."""

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import TINY_FLAGS, assert_resume_matches_uninterrupted
from tfgan_text import main
from tfgan_text.config import ScratchGANConfig
from tfgan_text.data.tasks import Task
from tfgan_text.losses.discriminator import per_token_discriminator_loss
from tfgan_text.methods import METHODS, scratchgan
from tfgan_text.models.scratchgan import LayerNormLSTMCell
from tfgan_text.sampling import SequenceSpec, sequence_log_probs, sequence_mask

SPEC = SequenceSpec(vocab_size=10, max_length=6, bos_id=1, eos_id=2, pad_id=0, banned_ids=(0, 1))
SCRATCHGAN_FLAGS = ["--method=scratchgan", "--discriminator_embedding_dim=8", "--discriminator_hidden_dim=16",
                    "--learning_rate=1e-3", "--discriminator_learning_rate=1e-3", "--discriminator_dropout=0.1",
                    "--discriminator_l2=1e-6", "--num_layers=2"]
# Sequences that end (eos = 2) at different places; pad (0) after.
FAKE = np.array([[5, 6, 2, 0, 0, 0], [7, 7, 7, 7, 7, 2], [2, 0, 0, 0, 0, 0], [3, 9, 8, 2, 0, 0]], np.int32)


def config(**overrides):
    values = dict(embedding_dim=4, hidden_dim=8, num_layers=2, learning_rate=1e-3, grad_clip=0.0, steps=10,
                  epochs=0, seed=0, embeddings_file="", discriminator_embedding_dim=4, discriminator_hidden_dim=8,
                  discriminator_dropout=0.0, discriminator_l2=0.0, discriminator_layer_norm=True,
                  position_signal=True, dense_rewards=True, discount=0.5, reinforce_baseline=True,
                  baseline_decay=0.25, scratchgan_beta1=0.5, discriminator_learning_rate=1e-3)
    values.update(overrides)
    return ScratchGANConfig(**values)


def toy_task(vocabulary=None):
    rng = np.random.default_rng(0)
    train = rng.integers(3, 10, size=(32, 6)).astype(np.int32)
    train[:, 4] = 2
    train[:, 5] = 0
    return Task("toy", SPEC, train, train[:8], "toy", vocabulary=vocabulary)


def tiny_scratchgan(task=None, **overrides):
    tf.keras.utils.set_random_seed(0)
    return METHODS["scratchgan"](task or toy_task(), config(**overrides), steps_per_epoch=4)


def hand_returns(method, fake, discount, dense=True):
    d = method.discriminator.real_probability(tf.constant(fake)).numpy()
    mask = sequence_mask(tf.constant(fake), SPEC.eos_id).numpy()
    rewards = (2 * d - 1) * mask
    if not dense:
        last = mask.sum(axis=1).astype(int) - 1
        sparse = np.zeros_like(rewards)
        sparse[np.arange(len(fake)), last] = rewards[np.arange(len(fake)), last]
        rewards = sparse
    returns = np.zeros_like(rewards)
    for t in range(fake.shape[1]):
        returns[:, t] = sum(discount ** (s - t) * rewards[:, s] for s in range(t, fake.shape[1]))
    return rewards, returns, mask


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("use_baseline", [True, False])
def test_generator_step_is_reinforce_on_discounted_d_rewards_with_the_moving_baseline(dense, use_baseline):
    method = tiny_scratchgan(dense_rewards=dense, reinforce_baseline=use_baseline)
    method.baseline.assign(0.3)
    rewards, returns, mask = hand_returns(method, FAKE, 0.5, dense)
    mean_return = returns[mask > 0].mean()
    baseline = 0.25 * 0.3 + 0.75 * mean_return if use_baseline else 0.0
    log_probs = sequence_log_probs(method.generator, tf.constant(FAKE), SPEC).numpy()
    expected_loss = -np.sum((returns - baseline) * log_probs * mask) / mask.sum()
    values = method.generator_step(tf.constant(FAKE))
    np.testing.assert_allclose(float(values["mean_return"]), mean_return, rtol=1e-5)
    np.testing.assert_allclose(float(values["baseline"]), baseline, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(float(values["generator_loss"]), expected_loss, rtol=1e-4)
    np.testing.assert_allclose(float(values["reward"]), rewards.sum() / mask.sum(), rtol=1e-5)
    np.testing.assert_allclose(float(method.baseline.numpy()), baseline if use_baseline else 0.3, rtol=1e-5)


def test_nothing_past_the_end_token_matters_to_either_step():
    """Tokens after eos (normally pad) change neither G's loss and gradient nor D's."""
    garbage = FAKE.copy()
    garbage[FAKE == 0] = 9
    results = []
    for fake in (FAKE, garbage):
        method = tiny_scratchgan()
        g = method.generator_step(tf.constant(fake))
        d = method.discriminator_step(tf.constant(FAKE[::-1].copy()), tf.constant(fake),
                                                   tf.constant([0, 1]))
        results.append({k: float(v) for k, v in {**g, **d}.items()})
    for key in ("generator_loss", "generator_grad_norm", "reward", "mean_return", "discriminator_loss",
                "discriminator_grad_norm", "discriminator_accuracy_fake"):
        np.testing.assert_allclose(results[0][key], results[1][key], rtol=1e-5, err_msg=key)


def test_discriminator_l2_adds_its_gradient_to_every_weight():
    real = toy_task().train[:4]
    norms = {}
    for l2 in (0.0, 0.5):
        method = tiny_scratchgan(discriminator_l2=l2)
        weights = [v.numpy().copy() for v in method.discriminator.trainable_variables]
        norms[l2] = float(method.discriminator_step(tf.constant(real), tf.constant(FAKE),
                                                                 tf.constant([0, 1]))["discriminator_grad_norm"])
    # Recompute the regularised gradient by hand: the classification gradient + 2 * l2 * w.
    method = tiny_scratchgan()
    real_mask, fake_mask = (sequence_mask(tf.constant(x), 2) for x in (real, FAKE))
    with tf.GradientTape() as tape:
        loss = (per_token_discriminator_loss(method.discriminator(tf.constant(real)), 1, real_mask,
                                             tf.reduce_sum(real_mask))
                + per_token_discriminator_loss(method.discriminator(tf.constant(FAKE)), 0, fake_mask,
                                               tf.reduce_sum(fake_mask)))
    grads = tape.gradient(loss, method.discriminator.trainable_variables)
    plain = np.sqrt(sum(np.sum(tf.convert_to_tensor(g).numpy() ** 2) for g in grads))
    regularised = np.sqrt(sum(np.sum((tf.convert_to_tensor(g).numpy() + 2 * 0.5 * w) ** 2)
                              for g, w in zip(grads, weights)))
    np.testing.assert_allclose(norms[0.0], plain, rtol=1e-4)
    np.testing.assert_allclose(norms[0.5], regularised, rtol=1e-4)


def test_the_d_flags_reach_the_discriminator():
    default = tiny_scratchgan(discriminator_dropout=0.1)
    assert default.discriminator.dropout == 0.1
    assert isinstance(default.discriminator.lstm.cell, LayerNormLSTMCell)
    assert default.discriminator.positions is not None
    ablated = tiny_scratchgan(discriminator_layer_norm=False, position_signal=False)
    assert not isinstance(ablated.discriminator.lstm.cell, LayerNormLSTMCell)
    assert ablated.discriminator.positions is None


def test_each_step_draws_a_generated_batch_the_size_of_the_real_batch(monkeypatch):
    drawn = []
    original = scratchgan.sample

    def spy(generator, spec, num_samples, *args, **kwargs):
        drawn.append(int(num_samples))
        return original(generator, spec, num_samples, *args, **kwargs)

    monkeypatch.setattr(scratchgan, "sample", spy)
    method = tiny_scratchgan()
    for batch_size in (4, 12):
        method.train_step(tf.constant(toy_task().train[:batch_size]), tf.constant([0, batch_size]))
    assert drawn == [4, 12]


def test_pretrained_vectors_are_fixed_inputs_of_g_and_d_and_missing_words_are_counted(tmp_path, capsys):
    from tfgan_text.data.vocabulary import Vocabulary
    vocabulary = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "c", "d", "e", "f"])
    path = tmp_path / "vectors.txt"
    path.write_text("a 1 2 3\nb 4 5 6\nzzz 7 8 9\nf -1 0 1\n", encoding="utf-8")
    method = tiny_scratchgan(task=toy_task(vocabulary), embeddings_file=str(path))
    assert "3 of 10 words found" in capsys.readouterr().out
    for model in (method.generator, method.discriminator):
        table = model.embedding.pretrained.numpy()
        np.testing.assert_array_equal(table[[4, 5, 9]], [[1, 2, 3], [4, 5, 6], [-1, 0, 1]])
        assert all(v is not model.embedding.pretrained for v in model.trainable_variables)
    before = method.generator.embedding.pretrained.numpy().copy()
    method.generator_step(tf.constant(FAKE))
    np.testing.assert_array_equal(before, method.generator.embedding.pretrained.numpy())


def test_bad_embeddings_file_is_a_one_line_error_and_nothing_is_written(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 2 3\nb 4 5\n", encoding="utf-8")
    logdir = tmp_path / "run"
    argv = ["x"] + TINY_FLAGS + SCRATCHGAN_FLAGS + [f"--embeddings_file={bad}", f"--logdir={logdir}", "--steps=2"]
    assert main.run(argv) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1] == f"tfgan-text: error: --embeddings_file={bad}: line 2 has 2 values, the first vector has 3"
    assert not logdir.exists()


def test_resuming_with_vectors_of_another_size_is_one_line(tmp_path, capsys):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("".join(f"{word} 1 2 3\n" for word in range(1, 6)), encoding="utf-8")
    logdir = tmp_path / "run"
    argv = ["x"] + TINY_FLAGS + SCRATCHGAN_FLAGS + [f"--embeddings_file={vectors}", f"--logdir={logdir}",
                                                    "--eval_every=100000"]
    assert main.run(argv + ["--steps=2"]) == 0
    vectors.write_text("".join(f"{word} 1 2 3 4\n" for word in range(1, 6)), encoding="utf-8")
    capsys.readouterr()
    assert main.run(argv + ["--steps=4", "--resume"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1] == (f"tfgan-text: error: --embeddings_file={vectors}: its vectors are 4-d, but the run in "
                         f"--logdir={logdir} was trained with 3-d vectors")


def test_resume_from_a_checkpoint_matches_an_uninterrupted_run(tmp_path):
    """A copy of a run rolled back to its step-4 checkpoint, resumed to step 8, ends where the run ended."""
    run = TINY_FLAGS + SCRATCHGAN_FLAGS + ["--eval_every=100000", "--checkpoint_every=4", "--steps=8"]
    assert_resume_matches_uninterrupted(tmp_path, run, 4, 8, ("discriminator", "baseline"))
