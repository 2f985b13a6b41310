import os

import numpy as np
import tensorflow as tf

from tests.conftest import assert_resume_matches_uninterrupted
from tests.methods.test_seqgan import ADVERSARIAL_FLAGS, build, changed, values
from tfgan_text import main
from tfgan_text.models.leakgan_generator import LeakGANGenerator
from tfgan_text.sampling import sample
from tfgan_text.training.restore import load_run

LEAKGAN_FLAGS = ["--leakgan_goal_size=4", "--leakgan_step_size=2", "--rollout_num=2", "--leakgan_mle_every=2",
                 "--leakgan_pretrain_cycles=1", "--leakgan_pretrain_discriminator_rounds=1"]


def build_leakgan(extra=()):
    return build("leakgan", LEAKGAN_FLAGS + list(extra))


def test_adversarial_step_updates_manager_worker_and_d_and_interleaves_a_supervised_epoch():
    method = build_leakgan(["--leakgan_mle_every=1", "--oracle_num_train=32"])
    phases = {p.name: p for p in method.phases()}
    assert list(phases) == ["pretrain", "pretrain_discriminator", "adversarial"]
    real = tf.constant(method.task.train[:16])
    g_before, d_before = values(method.generator), values(method.discriminator)
    result = tf.function(phases["adversarial"].step)(real, tf.constant([0, 1]))
    assert changed(g_before, method.generator) and changed(d_before, method.discriminator)
    assert np.isfinite(float(result["manager_loss"])) and np.isfinite(float(result["generator_loss"]))
    assert 0.0 < float(result["reward"]) < 1.0
    assert int(method.adversarial_optimizer.iterations) == int(method.adversarial_manager_optimizer.iterations) == 1
    # --leakgan_mle_every=1: the G step was followed by a supervised epoch (2 batches of 16).
    assert int(method.generator_optimizer.iterations) == int(method.manager_optimizer.iterations) == 2


def test_adversarial_learning_rate_sets_the_adversarial_optimizers_only():
    """--adversarial_learning_rate applies to LeakGAN as to every adversarial method (it was ignored: the
    adversarial MANAGER / WORKER updates ran at --learning_rate)."""
    method = build_leakgan(["--learning_rate=0.005", "--adversarial_learning_rate=0.0005"])
    rate = lambda optimizer: float(optimizer.learning_rate.numpy())  # noqa: E731
    assert rate(method.adversarial_optimizer) == rate(method.adversarial_manager_optimizer) == np.float32(0.0005)
    assert rate(method.generator_optimizer) == rate(method.manager_optimizer) == np.float32(0.005)


def test_evaluator_reports_nll_oracle_at_both_temperatures():
    method = build_leakgan(["--num_eval_samples=32"])
    evaluator = method.evaluator(32, 1.0)
    metrics, texts = evaluator(tf.constant([1, 0]))
    assert {"nll_oracle", "nll_oracle_eval_temperature", "nll_test"} <= metrics.keys() and len(texts) == 32
    assert "x 1.5" in evaluator.describe()["nll_oracle_eval_temperature"]


def test_leakgan_resumes_from_a_checkpoint_exactly_and_refuses_a_plain_pretrained_generator(tmp_path, capsys):
    run = ["--method=leakgan"] + ADVERSARIAL_FLAGS + LEAKGAN_FLAGS + [
        "--oracle_num_train=32", "--oracle_num_test=16", "--num_eval_samples=16", "--pretrain_epochs=1",
        "--discriminator_pretrain_rounds=0", "--leakgan_pretrain_discriminator_rounds=0", "--adversarial_steps=2",
        "--checkpoint_every=1", "--keep_checkpoints=10"]
    # 2 pre-training steps, then 2 adversarial steps; rolled back to after the first adversarial step.
    assert_resume_matches_uninterrupted(tmp_path, run, 3, 4, ("manager",))
    straight, common = f"{tmp_path}/straight", ["x"] + run
    loaded = load_run(straight, log=lambda *_: None)  # what evaluate / generate / export read
    assert isinstance(loaded.generator, LeakGANGenerator) and loaded.step == 4
    assert loaded.generator.discriminator is not None and sample(loaded.generator, loaded.task.spec, 2,
                                                                 tf.constant([0, 1])).tokens.shape[0] == 2
    code = main.run(common + [f"--pretrained_generator={straight}", f"--logdir={tmp_path}/refused"])
    assert code == 2 and "cannot start from a plain LSTM" in capsys.readouterr().err
    assert not os.path.exists(f"{tmp_path}/refused")
