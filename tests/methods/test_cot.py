"""CoT: the exact KL term, where its gradient goes, the mediator's balanced NLL, resume."""

import numpy as np
import tensorflow as tf

from tests.conftest import TINY_FLAGS, assert_resume_matches_uninterrupted
from tfgan_text.config import CoTConfig
from tfgan_text.data.tasks import oracle_task
from tfgan_text.methods import METHODS
from tfgan_text.losses.cooperative import cooperative_kl
from tfgan_text.metrics.likelihood import NegativeLogLikelihood
from tfgan_text.models.oracle import build_oracle, random_oracle_parameters
from tfgan_text.sampling import SequenceSpec, sample, teacher_forcing_inputs

SPEC = SequenceSpec(vocab_size=6, max_length=4, bos_id=1, eos_id=2, pad_id=0, banned_ids=(0, 1))
COT_FLAGS = ["--method=cot", "--mediator_embedding_dim=8", "--mediator_hidden_dim=16", "--learning_rate=0.01"]


def config(**overrides):
    values = dict(embedding_dim=8, hidden_dim=16, num_layers=1, dropout=0.0, init_stddev=0.0, learning_rate=0.01,
                  grad_clip=5.0, steps=10, epochs=0, mediator_embedding_dim=8, mediator_hidden_dim=16,
                  mediator_dropout=0.0, mediator_learning_rate=0.01, cot_beta1=0.9, cot_beta2=0.95)
    values.update(overrides)
    return CoTConfig(**values)


def tiny_cot(**overrides):
    tf.keras.utils.set_random_seed(0)
    task = oracle_task(build_oracle(random_oracle_parameters(3, 12, 8, 8)), 6, 64, 32, 0)
    return METHODS["cot"](task, config(**overrides), steps_per_epoch=4)


def test_kl_term_equals_a_direct_computation_over_the_vocabulary():
    rng = np.random.default_rng(0)
    g_logits, m_logits = rng.normal(size=[3, 4, 6]), rng.normal(size=[3, 4, 6])
    tokens = np.array([[3, 4, 2, 0], [5, 5, 5, 5], [2, 0, 0, 0]], np.int32)  # masked after eos

    def probs(logits):  # pad and bos are banned: they get probability 0
        logits = logits.copy()
        logits[..., [0, 1]] = -np.inf
        e = np.exp(logits - logits.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    g, m = probs(g_logits), probs(m_logits)
    allowed = [2, 3, 4, 5]
    per_position = np.sum(g[..., allowed] * (np.log(g[..., allowed]) - np.log(m[..., allowed])), axis=-1)
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]], np.float64)
    expected = np.sum(per_position * mask)
    got = cooperative_kl(tf.constant(g_logits, tf.float32), tf.constant(m_logits, tf.float32), tf.constant(tokens),
                         SPEC)
    np.testing.assert_allclose(float(got), expected, rtol=1e-5)


def test_kl_gradient_does_not_reach_the_mediator_logits():
    g_logits = tf.Variable(tf.random.normal([2, 4, 6]))
    m_logits = tf.Variable(tf.random.normal([2, 4, 6]))
    with tf.GradientTape(persistent=True) as tape:
        kl = cooperative_kl(g_logits, m_logits, tf.constant([[3, 4, 5, 2], [4, 4, 4, 4]]), SPEC)
    assert tape.gradient(kl, m_logits) is None
    assert float(tf.reduce_sum(tf.abs(tape.gradient(kl, g_logits)))) > 0


def test_generator_step_is_the_gradient_of_the_per_step_kl_at_fixed_prefixes_and_leaves_the_mediator():
    method = tiny_cot()
    spec = method.task.spec
    fake = sample(method.generator, spec, 8, tf.constant([0, 1])).tokens
    inputs = teacher_forcing_inputs(fake, spec.bos_id)
    g_vars = method.generator.trainable_variables
    # Independent gradient: the per-step KL with the prefixes and M's probabilities as plain constants.
    m_log_probs = tf.constant(tf.nn.log_softmax(method.mediator(inputs)).numpy())
    with tf.GradientTape() as tape:
        log_g = tf.nn.log_softmax(method.generator(inputs))
        direct = tf.reduce_sum(tf.exp(log_g) * (log_g - m_log_probs)) / tf.cast(tf.size(fake), tf.float32)
    expected_norm = float(tf.linalg.global_norm([tf.convert_to_tensor(g) for g in tape.gradient(direct, g_vars)]))
    mediator_before = [v.numpy().copy() for v in method.mediator.trainable_variables]
    generator_before = [v.numpy().copy() for v in g_vars]
    values = tf.function(method.generator_step)(fake, tf.constant([0, 2]))
    np.testing.assert_allclose(float(values["grad_norm"]), expected_norm, rtol=1e-4)
    np.testing.assert_allclose(float(values["loss"]), float(direct), rtol=1e-5)
    for before, v in zip(mediator_before, method.mediator.trainable_variables):
        np.testing.assert_array_equal(before, v.numpy())
    assert any(not np.array_equal(b, v.numpy()) for b, v in zip(generator_before, g_vars))


def test_mediator_step_is_mle_on_the_balanced_batch_and_leaves_the_generator():
    method = tiny_cot()
    spec = method.task.spec
    real = tf.constant(method.task.train[:8])
    fake = sample(method.generator, spec, 8, tf.constant([0, 1])).tokens
    balanced_nll = NegativeLogLikelihood(method.mediator, spec)(tf.concat([real, fake], axis=0))
    generator_before = [v.numpy().copy() for v in method.generator.trainable_variables]
    values = tf.function(method.mediator_step)(real, fake, tf.constant([0, 3]))
    np.testing.assert_allclose(float(values["balanced_nll"]), balanced_nll, rtol=1e-5)
    for before, v in zip(generator_before, method.generator.trainable_variables):
        np.testing.assert_array_equal(before, v.numpy())


def test_cot_from_scratch_lowers_the_held_out_nll():
    method = tiny_cot()
    nll = NegativeLogLikelihood(method.generator, method.task.spec)
    before = nll(method.task.test)
    step = tf.function(method.phases()[0].step)
    for i in range(100):
        values = step(tf.constant(method.task.train[(8 * i) % 64:][:8]), tf.constant([0, i]))
    assert nll(method.task.test) < before - 0.2
    assert {"balanced_nll", "jsd_mediator", "loss", "generator_entropy"} <= set(values)


def test_resume_from_a_checkpoint_matches_an_uninterrupted_run(tmp_path):
    """A copy of a run rolled back to its step-14 checkpoint, resumed to step 20, ends where the run ended."""
    run = TINY_FLAGS + COT_FLAGS + ["--eval_every=100000", "--checkpoint_every=7", "--keep_checkpoints=5",
                                    "--steps=20"]
    assert_resume_matches_uninterrupted(tmp_path, run, 14, 20, ("mediator", "generator"))
