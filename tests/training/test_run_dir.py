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
    with pytest.raises(UsageError, match="--resume: output_layer is 'nce' but the run .* was trained with None"):
        run_dir.check_resumable({**IDENTITY, "output_layer": "nce"})


def test_a_changed_model_flag_is_refused(tmp_path):
    run_dir = run_with_identity(tmp_path, {**IDENTITY, "output_layer": "nce"})
    with pytest.raises(UsageError, match="output_layer is 'full' but the run .* was trained with 'nce'"):
        run_dir.check_resumable({**IDENTITY, "output_layer": "full"})
    with pytest.raises(UsageError, match="hidden_dim is 32"):
        run_dir.check_resumable({**IDENTITY, "hidden_dim": 32, "output_layer": "nce"})
