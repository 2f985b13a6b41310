"""WGAN-GP: the gradient penalty, the critic loss, the G-every-k-steps schedule, read-out, resume."""

import numpy as np
import tensorflow as tf

from tests.conftest import TINY_FLAGS
from tfgan_text import main
from tfgan_text.config import WGANGPConfig
from tfgan_text.data.tasks import oracle_task
from tfgan_text.methods import METHODS
from tfgan_text.losses.wasserstein import critic_losses, gradient_penalty
from tfgan_text.models.convolutional import ConvGenerator, Critic, ResidualBlock, read_out
from tfgan_text.models.oracle import build_oracle, random_oracle_parameters
from tfgan_text.sampling import SequenceSpec

WGAN_FLAGS = ["--method=wgan_gp", "--wgan_dim=8", "--wgan_residual_blocks=1", "--critic_steps=3",
              "--learning_rate=1e-3"]


def linear_critic(weight):
    return lambda x: tf.reduce_sum(x * weight, axis=[1, 2])


def test_gradient_penalty_is_zero_for_unit_gradient_norm_and_positive_otherwise():
    rng = np.random.default_rng(0)
    weight = rng.normal(size=[5, 7]).astype(np.float32)
    weight /= np.linalg.norm(weight)  # the norm over all positions and the vocabulary
    real = tf.one_hot(rng.integers(0, 7, size=[4, 5]), 7)
    fake = tf.nn.softmax(tf.constant(rng.normal(size=[4, 5, 7]), tf.float32))
    seed = tf.constant([1, 2])
    np.testing.assert_allclose(gradient_penalty(linear_critic(weight), real, fake, seed).numpy(), 0.0, atol=1e-10)
    np.testing.assert_allclose(gradient_penalty(linear_critic(2 * weight), real, fake, seed).numpy(), 1.0,
                               rtol=1e-5)
    critic = Critic(7, 5, 8, num_blocks=1).build_variables()
    assert np.all(gradient_penalty(critic, real, fake, seed).numpy() > 0)


def test_gradient_penalty_uses_interpolates_per_sequence():
    """A critic whose gradient norm is |x| at x: the penalty reveals where it was evaluated."""
    real, fake = tf.zeros([3, 2, 2]), tf.ones([3, 2, 2])  # x_hat = alpha everywhere, norm of grad = 2 alpha

    def critic(x):
        return 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2])

    seed = tf.constant([3, 4])
    alpha = tf.random.stateless_uniform([3, 1, 1], seed=seed).numpy().reshape(-1)
    np.testing.assert_allclose(gradient_penalty(critic, real, fake, seed).numpy(), (2 * alpha - 1) ** 2, rtol=1e-5)


def test_critic_loss_on_identical_real_and_fake_is_the_penalty_alone():
    critic = Critic(6, 4, 8, num_blocks=2).build_variables()
    rows = tf.one_hot(tf.constant([[1, 2, 3, 4], [5, 5, 0, 0]]), 6)
    seed = tf.constant([0, 5])
    terms = critic_losses(critic, rows, rows, seed, gp_weight=10.0)
    penalty = gradient_penalty(critic, rows, rows, seed)
    np.testing.assert_allclose(terms["loss"].numpy(), 10.0 * penalty.numpy(), rtol=1e-5)
    assert np.all(penalty.numpy() > 0)


def test_generator_writes_every_position_at_once_and_residual_blocks_are_scaled():
    generator = ConvGenerator(vocab_size=11, length=6, dim=8, noise_dim=4, num_blocks=2).build_variables()
    logits = generator(generator.noise(3, tf.constant([0, 1])))
    assert logits.shape == (3, 6, 11)
    critic = Critic(11, 6, 8, num_blocks=2).build_variables()
    assert critic(tf.nn.softmax(logits)).shape == (3,)
    block = ResidualBlock(4, scale=0.3)
    x = tf.random.normal([2, 5, 4])
    block(x)
    inner = block.conv_2(tf.nn.relu(block.conv_1(tf.nn.relu(x))))
    np.testing.assert_allclose(block(x).numpy(), (x + 0.3 * inner).numpy(), rtol=1e-5, atol=1e-6)


def test_read_out_ends_a_sentence_at_its_first_eos_or_pad():
    spec = SequenceSpec(vocab_size=6, max_length=5, bos_id=1, eos_id=2, pad_id=0, banned_ids=(0, 1))
    ids = np.array([[4, 2, 5, 5, 5], [4, 5, 0, 3, 2], [1, 1, 1, 1, 1]])
    logits = tf.one_hot(ids, 6) * 10.0 + tf.one_hot(np.full([3, 5], 3), 6) * 5.0  # 3 is always second best
    np.testing.assert_array_equal(read_out(logits, spec).numpy(),
                                  [[4, 2, 0, 0, 0], [4, 5, 2, 0, 0], [3, 3, 3, 3, 3]])  # bos is never written
    assert read_out(logits, spec, "sample", tf.constant([0, 1])).shape == (3, 5)


def tiny_wgan(critic_steps=3):
    tf.keras.utils.set_random_seed(0)
    task = oracle_task(build_oracle(random_oracle_parameters(3, 12, 8, 8)), 6, 64, 32, 0)
    config = WGANGPConfig(wgan_dim=8, wgan_noise_dim=4, wgan_residual_blocks=1, critic_steps=critic_steps,
                                   gp_weight=10.0, wgan_beta1=0.5, wgan_beta2=0.9, wgan_readout="argmax",
                                   learning_rate=1e-3, grad_clip=0.0, steps=10, epochs=0)
    return METHODS["wgan_gp"](task, config, steps_per_epoch=4)


def test_generator_is_updated_once_every_critic_steps_critic_updates():
    method = tiny_wgan(critic_steps=3)
    step = tf.function(method.phases()[0].step)
    real = tf.constant(method.task.train[:8])
    generator_changed, critic_changed = [], []
    for i in range(6):
        g_before = [v.numpy().copy() for v in method.generator.trainable_variables]
        c_before = [v.numpy().copy() for v in method.critic.trainable_variables]
        values = step(real, tf.constant([0, i]))
        generator_changed.append(any(not np.array_equal(b, v.numpy())
                                     for b, v in zip(g_before, method.generator.trainable_variables)))
        critic_changed.append(any(not np.array_equal(b, v.numpy())
                                  for b, v in zip(c_before, method.critic.trainable_variables)))
    assert generator_changed == [False, False, True, False, False, True]
    assert all(critic_changed)
    assert int(method.critic_optimizer.iterations.numpy()) == 6
    assert int(method.generator_optimizer.iterations.numpy()) == 2
    assert {"loss", "wasserstein_estimate", "gradient_penalty", "generator_loss"} <= set(values)


def test_resume_from_a_checkpoint_matches_an_uninterrupted_run(tmp_path):
    """Stopped at step 14, between two generator updates (every 3rd critic update)."""
    run = TINY_FLAGS + WGAN_FLAGS + ["--eval_every=100000", "--checkpoint_every=7", "--wgan_readout=sample"]
    assert main.run(["x"] + run + ["--steps=20", f"--logdir={tmp_path}/straight"]) == 0
    assert main.run(["x"] + run + ["--steps=14", f"--logdir={tmp_path}/resumed"]) == 0
    assert main.run(["x"] + run + ["--steps=20", f"--logdir={tmp_path}/resumed", "--resume"]) == 0
    straight, resumed = (tf.train.load_checkpoint(tf.train.latest_checkpoint(f"{tmp_path}/{name}/checkpoints"))
                         for name in ("straight", "resumed"))
    names = [n for n in straight.get_variable_to_shape_map() if "OBJECT_GRAPH" not in n]
    assert any("critic" in n for n in names) and any("generator" in n for n in names)
    for name in names:
        np.testing.assert_array_equal(straight.get_tensor(name), resumed.get_tensor(name), err_msg=name)
    with open(f"{tmp_path}/resumed/samples/step_00000020.txt") as f:
        assert len(f.read().split("\n")) >= 8
