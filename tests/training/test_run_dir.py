"""Resuming checks: what must match, and runs made before a model flag existed."""
import json

import pytest
import tensorflow as tf

from tfgan_text.errors import UsageError
from tfgan_text.training.run_dir import RunDirectory

IDENTITY = {"method": "mle", "task": "oracle", "vocab_size": 40, "sequence_length": 8, "embedding_dim": 8,
            "hidden_dim": 16, "num_layers": 1}


def run_with_identity(tmp_path, saved: dict) -> RunDirectory:
    run_dir = RunDirectory(str(tmp_path / "run"))
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1.0)), run_dir.checkpoints, 1)
    manager.save(checkpoint_number=1)
    with open(run_dir.identity, "w", encoding="utf-8") as f:
        json.dump(saved, f)
    return run_dir


def test_a_run_older_than_a_model_flag_resumes_when_the_flag_keeps_its_default(tmp_path):
    run_dir = run_with_identity(tmp_path, IDENTITY)  # saved before --output_layer existed
    run_dir.check_resumable({**IDENTITY, "output_layer": "full"})
    with pytest.raises(UsageError, match="^--output_layer=nce: the run in --logdir=.* was trained before --output_layer existed \\(as --output_layer=full\\)"):
        run_dir.check_resumable({**IDENTITY, "output_layer": "nce"})


def test_a_changed_model_flag_is_refused(tmp_path):
    run_dir = run_with_identity(tmp_path, {**IDENTITY, "output_layer": "nce"})
    with pytest.raises(UsageError, match="^--output_layer=full: the run .* was trained with --output_layer=nce"):
        run_dir.check_resumable({**IDENTITY, "output_layer": "full"})
    with pytest.raises(UsageError, match="^--hidden_dim=32: "):
        run_dir.check_resumable({**IDENTITY, "hidden_dim": 32, "output_layer": "nce"})


def test_a_changed_method_is_blamed_first_by_its_flag(tmp_path):
    run_dir = run_with_identity(tmp_path, IDENTITY)
    # An adversarial method adds discriminator sizes (sorted before "method") and may change the model too.
    changed = {**IDENTITY, "method": "seqgan", "embedding_dim": 32, "discriminator_embedding_dim": 7}
    with pytest.raises(UsageError, match=r"^--method=seqgan: the run in --logdir=\S+ was trained with --method=mle"):
        run_dir.check_resumable(changed)


def test_a_changed_model_or_data_flag_is_named_as_the_flag(tmp_path):
    from tfgan_text.config import MLEConfig, write_config

    run_dir = run_with_identity(tmp_path, IDENTITY)
    saved = MLEConfig(task="oracle", oracle_vocab_size=40, oracle_length=8, embedding_dim=8, hidden_dim=16)
    write_config(run_dir.config, "mle", saved)
    with pytest.raises(UsageError, match=r"^--hidden_dim=32: the run in --logdir=\S+ was trained with --hidden_dim=16"):
        run_dir.check_resumable({**IDENTITY, "hidden_dim": 32}, saved.replace(hidden_dim=32))
    # vocab_size is no flag: the message names the flag that changed it
    with pytest.raises(UsageError, match=r"^--oracle_vocab_size=50: the run in --logdir=\S+ was trained with "
                                         r"--oracle_vocab_size=40"):
        run_dir.check_resumable({**IDENTITY, "vocab_size": 50}, saved.replace(oracle_vocab_size=50))
    with pytest.raises(UsageError, match=r"^--oracle_length=9: .* --oracle_length=8"):
        run_dir.check_resumable({**IDENTITY, "sequence_length": 9}, saved.replace(oracle_length=9))
    # the same flags but other data: says so
    with pytest.raises(UsageError, match=r"^--resume: the task built from the flags has vocab_size 50 but the run "
                                         r"in --logdir=\S+ was trained with 40"):
        run_dir.check_resumable({**IDENTITY, "vocab_size": 50}, saved)


def test_task_auto_is_compared_as_the_task_it_stands_for(tmp_path):
    """A grammar run saved with --task=auto: auto is the grammar, never a changed flag to blame."""
    from tfgan_text.config import MLEConfig, write_config

    identity = {**IDENTITY, "task": "grammar", "vocab_size": 508, "sequence_length": 20}
    run_dir = run_with_identity(tmp_path, identity)
    saved = MLEConfig(embedding_dim=8, hidden_dim=16)
    write_config(run_dir.config, "mle", saved)
    with pytest.raises(UsageError, match=r"^--resume: the task built from the flags has vocab_size 600 "):
        run_dir.check_resumable({**identity, "vocab_size": 600}, saved)
    with pytest.raises(UsageError, match=r"^--task=oracle: the run in --logdir=\S+ was trained with --task=grammar"):
        run_dir.check_resumable({**identity, "task": "oracle"}, saved.replace(task="oracle"))


def test_a_sampled_task_is_sampled_once_per_run(tiny_oracle_run, tmp_path, monkeypatch):
    """Resume, evaluate, export and generate read the data sets the run drew instead of sampling the
    oracle again; a damaged copy is sampled again, to the same sets (their seeds are fixed)."""
    import shutil

    import numpy as np

    from tests.conftest import QUIET, TINY_FLAGS, train_cli
    from tfgan_text.data import tasks
    from tfgan_text.training.restore import load_run

    logdir = str(shutil.copytree(tiny_oracle_run[0], tmp_path / "run"))
    with np.load(RunDirectory(logdir).sampled_sets) as saved:
        train, test = saved["train"], saved["test"]
    assert train.shape == (256, 8) and test.shape == (64, 8)  # TINY_FLAGS' --oracle_num_train/test

    class NoSampling:
        def __init__(self, *args):
            pass

        def __call__(self, *args, **kwargs):
            raise AssertionError("the oracle's data sets were sampled again")

    with monkeypatch.context() as patch:
        patch.setattr(tasks, "Sampler", NoSampling)
        loaded = load_run(logdir, log=lambda message: None)
        np.testing.assert_array_equal(loaded.task.train, train)
        np.testing.assert_array_equal(loaded.task.test, test)
        train_cli(TINY_FLAGS + QUIET + ["--steps=41", f"--logdir={logdir}", "--resume"])

    with open(RunDirectory(logdir).sampled_sets, "wb") as f:
        f.write(b"not a zip file")
    np.testing.assert_array_equal(load_run(logdir, log=lambda message: None).task.train, train)
