"""Conditional generation (--task=copy|reverse|parallel) with --method=mle and --method=seqgan."""
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import QUIET, REVERSE_FLAGS, assert_resume_matches_uninterrupted, cli_task, parse_cli, train_cli
from tfgan_text import main
from tfgan_text.data.pipeline import steps_per_epoch
from tfgan_text.methods import METHODS

# REVERSE_FLAGS (conftest): reversal of 2-5 symbols out of 8, learnt by a small encoder-decoder in a few
# hundred steps.
SEQGAN_FLAGS = REVERSE_FLAGS + [
    "--method=seqgan", "--mapping_num_train=320", "--pretrain_epochs=1", "--discriminator_pretrain_rounds=1", "--adversarial_steps=2",
    "--discriminator_negatives=64", "--discriminator_epochs=1", "--discriminator_rounds=1", "--rollout_num=2",
    "--discriminator_filter_widths=1,2,3", "--discriminator_num_filters=6,6,6", "--discriminator_embedding_dim=8",
    "--discriminator_batch_size=32", "--eval_every=100000", "--checkpoint_every=100000"]


def build(flags):
    _, method, config = parse_cli(flags)
    task = cli_task(config)
    tf.keras.utils.set_random_seed(0)
    return METHODS[method](task, config, steps_per_epoch(len(task.train), config.batch_size))


@pytest.mark.parametrize("attention", ["multiplicative", "additive"])
def test_a_tiny_conditional_mle_learns_to_reverse(tmp_path, attention, request):
    if attention == "multiplicative":  # the default: conftest's run, the one test_export_conditional serves
        logdir, metrics, _ = request.getfixturevalue("reverse_mle_run")
    else:
        logdir = f"{tmp_path}/run"
        metrics = train_cli(["--method=mle", "--steps=300", "--learning_rate=0.01", f"--attention={attention}",
                             f"--logdir={logdir}"] + REVERSE_FLAGS + QUIET)
    assert metrics["greedy_exact_match"] >= 0.95  # held-out sources, never trained on
    assert metrics["nll_test"] < 0.05
    with open(f"{logdir}/samples/step_00000300.txt") as f:
        source, answer = f.readline().strip().split(" => ")
    assert answer.split() == source.split()[::-1]


def test_hard_attention_the_memory_network_and_a_fast_output_layer_train(tmp_path):
    for extra in (["--hard_attention"], ["--memory_hops=2", "--memory_separator=s0"],
                  ["--output_layer=sampled_softmax", "--num_sampled=6"]):
        metrics = train_cli(["--method=mle", "--steps=150", "--learning_rate=0.01",
                             f"--logdir={tmp_path}/{extra[0][2:8]}"] + REVERSE_FLAGS + QUIET + extra)
        assert metrics["nll_test"] < 1.0, extra  # a uniform guess is ln 8 = 2.08 per token


def test_the_discriminator_judges_the_pair_not_the_target_alone():
    method = build(SEQGAN_FLAGS)
    rows = tf.constant(method.task.train[:4])
    sources, targets = method.task.split(rows)
    other_sources = tf.roll(sources, 1, axis=0)
    same_target = method.discriminator(method.task.pack(other_sources, targets)).numpy()
    assert not np.allclose(same_target, method.discriminator(rows).numpy())


def test_negatives_answer_training_sources():
    method = build(SEQGAN_FLAGS)
    negatives = method.sample_generator(40, tf.constant([3, 4])).numpy()
    train_sources = {row.tobytes() for row in method.task.split(method.task.train)[0]}
    sources = method.task.split(negatives)[0]
    assert negatives.shape == (40, method.task.train.shape[1])
    assert all(row.tobytes() in train_sources for row in sources)


@pytest.mark.parametrize("prefix_rewards", ["monte_carlo", "discriminator"])
def test_one_adversarial_step_with_teacher_forcing_interleave(prefix_rewards):
    method = build(SEQGAN_FLAGS + ["--teacher_forcing_steps=2", f"--prefix_rewards={prefix_rewards}"])
    phases = {p.name: p for p in method.phases()}
    rows = tf.constant(method.task.train[:32])
    tf.function(phases["init_rollout"].step)(rows, tf.constant([0, 0]))
    mle_updates = int(method.generator_optimizer.iterations.numpy())
    values = tf.function(phases["adversarial"].step)(rows, tf.constant([0, 1]))
    assert int(method.adversarial_optimizer.iterations.numpy()) == 1
    assert int(method.generator_optimizer.iterations.numpy()) == mle_updates + 2  # the interleave
    assert np.isfinite(float(values["teacher_forcing_loss"])) and 0.0 < float(values["reward"]) < 1.0


def test_conditional_seqgan_resumes_exactly(tmp_path):
    assert_resume_matches_uninterrupted(tmp_path, SEQGAN_FLAGS + ["--checkpoint_every=1", "--keep_checkpoints=10"],
                                        rollback_step=13, final_step=14,
                                        expected_names=("source_conv", "decoder_0", "attention"))


@pytest.mark.parametrize("flags, message", [
    (["--method=cot"], "--task=reverse: a conditional task; --method=cot generates unconditionally"),
    (["--method=mle", "--memory_hops=1", "--memory_separator=|"], "--memory_separator=|: not a token"),
    (["--method=rankgan", "--task=oracle", "--prefix_rewards=discriminator", "--oracle_vocab_size=40",
      "--oracle_num_train=256", "--oracle_num_test=64", "--oracle_length=8"], "--prefix_rewards=discriminator: only"),
])
def test_bad_conditional_flags_are_one_line_errors(tmp_path, capsys, flags, message):
    argv = ["x"] + REVERSE_FLAGS + flags + [f"--logdir={tmp_path}/run", "--steps=1", "--pretrain_epochs=0",
                                            "--discriminator_pretrain_rounds=0", "--adversarial_steps=0"]
    assert main.run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()
