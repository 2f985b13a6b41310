
import numpy as np
import tensorflow as tf

from tests.conftest import assert_resume_matches_uninterrupted
from tests.methods.test_seqgan import ADVERSARIAL_FLAGS, build, changed, values
from tfgan_text.losses.ranking import rank_scores

RANKGAN_FLAGS = ["--rankgan_reference_size=4", "--rankgan_generator_batch=8"]


def test_adversarial_step_ranks_rollouts_and_updates_g_ranker_and_rollout_policy():
    method = build("rankgan", RANKGAN_FLAGS)
    phases = {p.name: p for p in method.phases()}
    assert [p.name for p in method.phases()] == ["pretrain_generator", "init_rollout", "pretrain_discriminator",
                                                  "adversarial"]
    real = tf.constant(method.task.train[:16])
    tf.function(phases["init_rollout"].step)(real, tf.constant([0, 0]))
    g_before, d_before = values(method.generator), values(method.discriminator)
    result = tf.function(phases["adversarial"].step)(real, tf.constant([0, 1]))
    assert changed(g_before, method.generator) and changed(d_before, method.discriminator)
    # Rewards are rank scores against the 8 real sentences of C+: about 1 / 9, never 0 or 1.
    assert 0.0 < float(result["reward"]) < 0.5 and np.isfinite(float(result["generator_loss"]))
    assert 0.0 <= float(result["discriminator_accuracy"]) <= 1.0


def test_step_scorer_ranks_against_the_real_batch():
    method = build("rankgan", RANKGAN_FLAGS)
    real = tf.constant(method.task.train[:8])
    seed = tf.constant([3, 4])
    scorer = method.step_scorer(real, seed)
    tokens = tf.constant(method.task.train[8:12])
    d = method.discriminator
    expected = rank_scores(d.features(tokens), d.features(real), d.features(method.reference_set(seed)))
    np.testing.assert_allclose(scorer(tokens).numpy(), expected.numpy(), rtol=1e-5)


def test_ranker_rounds_learn_to_rank_real_above_generated():
    method = build("rankgan", RANKGAN_FLAGS + ["--discriminator_epochs=6", "--discriminator_learning_rate=0.01"])
    step = tf.function(method.discriminator_pretrain_step)
    first = step(tf.constant(method.task.train[:16]), tf.constant([0, 0]))
    later = step(tf.constant(method.task.train[:16]), tf.constant([0, 1]))
    assert float(later["discriminator_loss"]) < float(first["discriminator_loss"])
    assert float(later["discriminator_accuracy"]) > max(0.6, float(first["discriminator_accuracy"]))


def test_rankgan_resumes_from_a_checkpoint_exactly(tmp_path):
    run = ["--method=rankgan"] + ADVERSARIAL_FLAGS + RANKGAN_FLAGS + [
        "--oracle_num_train=32", "--oracle_num_test=16", "--num_eval_samples=16", "--checkpoint_every=1",
        "--keep_checkpoints=10"]
    # Steps: 2 MLE, 1 init, 1 ranker round, 2 adversarial; rolled back to after the first adversarial step.
    assert_resume_matches_uninterrupted(tmp_path, run, 5, 6, ("rollout",))
