import os

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import TINY_FLAGS, cli_task, parse_cli
from tfgan_text import main
from tfgan_text.data.pipeline import steps_per_epoch
from tfgan_text.methods import METHODS

# A tiny SeqGAN: small D, few negatives, short rounds, so a CLI run takes seconds.
ADVERSARIAL_FLAGS = [f for f in TINY_FLAGS if not f.startswith("--method")] + [
    "--pretrain_epochs=1", "--discriminator_pretrain_rounds=1", "--adversarial_steps=2",
    "--discriminator_negatives=48", "--discriminator_epochs=1", "--discriminator_rounds=1", "--rollout_num=4",
    "--discriminator_filter_widths=1,2,3", "--discriminator_num_filters=6,6,6", "--discriminator_embedding_dim=8",
    "--discriminator_batch_size=16", "--eval_every=100000", "--checkpoint_every=100000"]


def build(method_name, extra=()):
    _, _, config = parse_cli([f"--method={method_name}"] + ADVERSARIAL_FLAGS + list(extra))
    task = cli_task(config)
    tf.keras.utils.set_random_seed(0)
    return METHODS[method_name](task, config, steps_per_epoch(len(task.train), config.batch_size))


def values(model):
    return [v.numpy().copy() for v in model.variables]


def changed(before, model):
    return any(not np.array_equal(a, b.numpy()) for a, b in zip(before, model.variables))


def checkpoint_values(logdir):
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(f"{logdir}/checkpoints"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "OBJECT_GRAPH" not in name and "save_counter" not in name}


def test_phases_follow_the_paper_schedule():
    method = build("seqgan")
    phases = [(p.name, p.num_steps) for p in method.phases()]
    assert phases == [("pretrain_generator", method.steps_per_epoch), ("init_rollout", 1),
                      ("pretrain_discriminator", 1), ("adversarial", 2)]


def test_one_adversarial_step_changes_g_d_and_moves_the_rollout_policy_toward_g():
    method = build("seqgan")
    phases = {p.name: p for p in method.phases()}
    real = tf.constant(method.task.train[:16])
    tf.function(phases["init_rollout"].step)(real, tf.constant([0, 0]))
    for a, b in zip(method.rollout.variables, method.generator.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    g_before, d_before = values(method.generator), values(method.discriminator)
    result = tf.function(phases["adversarial"].step)(real, tf.constant([0, 1]))
    assert changed(g_before, method.generator) and changed(d_before, method.discriminator)
    assert 0.0 <= float(result["discriminator_accuracy"]) <= 1.0
    assert 0.0 < float(result["reward"]) < 1.0 and np.isfinite(float(result["generator_loss"]))
    for old, rollout, g in zip(g_before, method.rollout.variables, method.generator.variables):
        expected = g.numpy() if "embedding" in g.path else 0.8 * old + 0.2 * g.numpy()
        np.testing.assert_allclose(rollout.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_discriminator_pretraining_learns_to_tell_real_from_generated():
    method = build("seqgan", ["--discriminator_epochs=8", "--discriminator_learning_rate=0.01"])
    step = tf.function(method.discriminator_pretrain_step)
    first = step(tf.constant(method.task.train[:16]), tf.constant([0, 0]))
    later = step(tf.constant(method.task.train[:16]), tf.constant([0, 1]))
    assert float(later["discriminator_accuracy"]) > max(0.6, float(first["discriminator_accuracy"]))


def test_adversarial_phase_resumes_from_a_checkpoint_exactly(tmp_path):
    straight, resumed = f"{tmp_path}/straight", f"{tmp_path}/resumed"
    assert main.run(["x", "--method=seqgan"] + ADVERSARIAL_FLAGS + ["--adversarial_steps=3",
                                                                    f"--logdir={straight}"]) == 0
    assert main.run(["x", "--method=seqgan"] + ADVERSARIAL_FLAGS + ["--adversarial_steps=1",
                                                                    f"--logdir={resumed}"]) == 0
    first_part = checkpoint_values(resumed)
    assert main.run(["x", "--method=seqgan"] + ADVERSARIAL_FLAGS + ["--adversarial_steps=3", "--resume",
                                                                    f"--logdir={resumed}"]) == 0
    a, b = checkpoint_values(straight), checkpoint_values(resumed)
    assert a.keys() == b.keys() and any("rollout" in k for k in a) and any("discriminator" in k for k in a)
    assert any(not np.array_equal(first_part[k], b[k]) for k in a)  # the resumed run trained on
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_starts_from_a_pretrained_mle_generator_and_refuses_a_mismatched_one(tmp_path, capsys):
    mle = f"{tmp_path}/mle"
    assert main.run(["x", "--method=mle", "--epochs=1", f"--logdir={mle}"] + ADVERSARIAL_FLAGS) == 0
    method = build("seqgan", [f"--pretrained_generator={mle}"])
    method.start_new_run()  # what the trainer does for a new run
    assert method.phases()[0].num_steps == 0
    trained = build("mle")  # the MLE run's own objects, restored the way its trainer would
    tf.train.Checkpoint(**trained.checkpoint_objects()).restore(
        tf.train.latest_checkpoint(f"{mle}/checkpoints")).assert_existing_objects_matched()
    assert len(method.generator.trainable_variables) == 6
    for mine, saved in zip(method.generator.trainable_variables, trained.generator.trainable_variables):
        np.testing.assert_array_equal(mine.numpy(), saved.numpy())

    for flag, message in [(f"--pretrained_generator={tmp_path}/absent", "no checkpoint there"),
                          (f"--pretrained_generator={mle}", "hidden_dim is 16 but this run's is 24")]:
        logdir = f"{tmp_path}/refused"
        code = main.run(["x", "--method=seqgan"] + ADVERSARIAL_FLAGS + ["--hidden_dim=24", flag,
                                                                        f"--logdir={logdir}"])
        assert code == 2 and message in capsys.readouterr().err.replace("\n", " ")
        assert not os.path.exists(logdir)


@pytest.mark.parametrize("flags, message", [
    (["--discriminator_filter_widths=1,2", "--discriminator_num_filters=4"], "--discriminator_num_filters"),
    (["--discriminator_filter_widths=9,10", "--discriminator_num_filters=4,4"], "every width is longer"),
    (["--discriminator_filter_widths=a"], "--discriminator_filter_widths=a")])
def test_bad_discriminator_flags(tmp_path, capsys, flags, message):
    code = main.run(["x", "--method=seqgan"] + ADVERSARIAL_FLAGS + flags + [f"--logdir={tmp_path}/run"])
    assert code == 2 and message in capsys.readouterr().err
    assert not os.path.exists(f"{tmp_path}/run")
