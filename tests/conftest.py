"""Shared test settings: quiet TensorFlow, tiny configurations, the shared data location."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(ROOT, "..", "shared", "data")

# A random oracle small enough for a test to train on in a second or two.
TINY_FLAGS = ["--method=mle", "--task=oracle", "--oracle_vocab_size=40", "--oracle_length=8",
              "--oracle_num_train=256", "--oracle_num_test=64", "--oracle_embedding_dim=8", "--oracle_hidden_dim=8",
              "--embedding_dim=8", "--hidden_dim=16", "--batch_size=16", "--num_eval_samples=64",
              "--samples_to_write=8", "--summary_every=1"]
# No evaluation and no checkpoint before the last step (the final ones are still made), for runs whose tests
# look only at the end of training: the same final weights and metrics, less work.
QUIET = ["--eval_every=100000", "--checkpoint_every=100000"]
# Reversal of 2-5 symbols out of 8: learnt by a small encoder-decoder in a few hundred steps.
REVERSE_FLAGS = ["--task=reverse", "--mapping_num_symbols=8", "--mapping_min_length=2", "--mapping_max_length=5",
                 "--mapping_num_train=2000", "--mapping_num_test=100", "--embedding_dim=16", "--hidden_dim=32",
                 "--batch_size=32", "--num_eval_samples=100", "--samples_to_write=4", "--summary_every=1"]

# The test modules that take longest (measured), started first. Under pytest-xdist (`make test`: -n 2 --dist
# loadscope --no-loadscope-reorder) a module is one unit of work, handed out in collection order: a long module
# that started last would keep one worker busy after the other has run out of work.
SLOW_FIRST = ("training/test_distributed.py", "test_benchmark.py", "methods/test_conditional.py",
              "training/test_trainer.py", "methods/test_leakgan.py", "training/test_multi_worker.py",
              "test_export.py", "methods/test_seqgan.py", "methods/test_rankgan.py", "methods/test_scratchgan.py",
              "methods/test_maligan.py", "test_export_conditional.py", "methods/test_mle_output_layers.py",
              "test_readme.py", "test_main.py", "methods/test_cot.py", "test_evaluate.py", "methods/test_wgan_gp.py",
              "training/test_tensorboard.py", "training/test_console.py")


def pytest_collection_modifyitems(items):
    """SLOW_FIRST's modules first, in that order; the others after them in their usual order."""
    tests_dir = os.path.dirname(os.path.abspath(__file__))

    def rank(item):
        module = os.path.relpath(str(item.path), tests_dir).replace(os.sep, "/")
        return SLOW_FIRST.index(module) if module in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)


@pytest.fixture
def shared_data():
    if not os.path.isdir(SHARED_DATA):
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_oracle_run(tmp_path_factory):
    """(run directory, final metrics) of TINY_FLAGS trained for 40 steps, for test_export and test_evaluate
    (under pytest-xdist: once on each worker that runs one of them)."""
    logdir = str(tmp_path_factory.mktemp("tiny_oracle") / "run")
    return logdir, train_cli(TINY_FLAGS + QUIET + ["--steps=40", f"--logdir={logdir}"])


@pytest.fixture(scope="session")
def reverse_mle_run(tmp_path_factory):
    """(run directory, final metrics, folder of its --export_name export) of an MLE encoder-decoder trained
    300 steps on the reversal task, for test_conditional and test_export_conditional (under pytest-xdist: once
    on each worker that runs one of them)."""
    folder = tmp_path_factory.mktemp("reverse_mle")
    logdir = str(folder / "run")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # --export_name writes to ./savedmodels
        metrics = train_cli(["--method=mle", "--steps=300"] + REVERSE_FLAGS + QUIET
                            + [f"--logdir={logdir}", "--export_name=reverse"])
    return logdir, metrics, str(folder / "savedmodels" / "reverse" / "1")


@pytest.fixture
def tiny_argv():
    return ["tfgan-text"] + list(TINY_FLAGS)


def assert_resume_matches_uninterrupted(tmp_path, run_flags: list, rollback_step: int, final_step: int,
                                        expected_names: tuple = ()) -> None:
    """Trains `run_flags` to `final_step`; a copy rolled back to its `rollback_step` checkpoint and resumed
    must end with exactly the same variables (every checkpointed name; `expected_names` must occur)."""
    import glob
    import shutil

    import numpy as np
    import tensorflow as tf

    from tfgan_text import main

    assert main.run(["x"] + run_flags + [f"--logdir={tmp_path}/straight"]) == 0
    shutil.copytree(f"{tmp_path}/straight", f"{tmp_path}/resumed")
    checkpoints = f"{tmp_path}/resumed/checkpoints"
    for path in glob.glob(f"{checkpoints}/ckpt-{final_step}.*"):
        os.remove(path)
    tf.compat.v1.train.update_checkpoint_state(checkpoints, f"{checkpoints}/ckpt-{rollback_step}")
    assert main.run(["x"] + run_flags + [f"--logdir={tmp_path}/resumed", "--resume"]) == 0
    straight, resumed = (tf.train.load_checkpoint(f"{tmp_path}/{name}/checkpoints/ckpt-{final_step}")
                         for name in ("straight", "resumed"))
    names = [n for n in straight.get_variable_to_shape_map() if "OBJECT_GRAPH" not in n]
    for expected in expected_names:
        assert any(expected in n for n in names), expected
    for name in names:
        np.testing.assert_array_equal(straight.get_tensor(name), resumed.get_tensor(name), err_msg=name)


def parse_cli(argv: list) -> tuple:
    """(run options, method name, typed config) that `python -m tfgan_text.main <argv>` would build."""
    from tfgan_text import main

    return main.parse_flags(["tfgan-text"] + list(argv))


def cli_task(config):
    """The task the CLI builds for `config`, quietly."""
    from tfgan_text.data.build import build_task

    return build_task(config, log=lambda *_: None, seed=config.seed)


def train_cli(argv: list, log=lambda *_: None) -> dict:
    """Trains as the CLI would (run directory, export) but in this process; returns the final metrics ({} on
    a non-chief worker, which does not evaluate)."""
    from tfgan_text import api

    options, method, config = parse_cli(argv)
    history = api.train(method, config, logdir=options.logdir or None, resume=options.resume,
                        export_name=options.export_name, log=log)
    return history[-1] if history else {}
