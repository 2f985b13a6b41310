"""The library without its command line: no global flags, typed configs, train/load/resume across the two."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, TINY_FLAGS

TINY_SEQGAN = dict(task="oracle", oracle_vocab_size=40, oracle_length=8, oracle_num_train=128, oracle_num_test=32,
                   oracle_embedding_dim=8, oracle_hidden_dim=8, embedding_dim=8, hidden_dim=16, batch_size=16,
                   pretrain_epochs=1, discriminator_pretrain_rounds=1, discriminator_negatives=32,
                   discriminator_filter_widths=(1, 2), discriminator_num_filters=(4, 4),
                   discriminator_embedding_dim=8, discriminator_batch_size=16, adversarial_steps=2, rollout_num=2,
                   eval_every=4, num_eval_samples=32, samples_to_write=4)

FRESH_PROCESS = """
import importlib, pkgutil, sys
from absl import flags
import tfgan_text
CLI = {"tfgan_text.cli", "tfgan_text.main", "tfgan_text.evaluate", "tfgan_text.sweep", "tfgan_text.export",
       "tfgan_text.generate", "tfgan_text.glove"}
for module in pkgutil.walk_packages(tfgan_text.__path__, "tfgan_text."):
    if module.name not in CLI:
        importlib.import_module(module.name)
from tfgan_text.config import all_fields
ours = sorted(set(all_fields()) & set(flags.FLAGS))
assert not ours, ours
flags.DEFINE_float("discount", 0.5, "A user's own flag, named as a ScratchGAN field.")
flags.FLAGS(["user_program", "--discount=0.9"])
assert flags.FLAGS.discount == 0.9
config = tfgan_text.SeqGANConfig(**%s)
history = tfgan_text.train("seqgan", config, log=lambda message: None)
print("HISTORY", [sorted(entry) for entry in history], history[-1]["step"])
"""


def test_the_library_defines_no_flag_and_trains_a_seqgan_without_a_logdir(tmp_path):
    result = subprocess.run([sys.executable, "-c", FRESH_PROCESS % repr(TINY_SEQGAN)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2"))
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("HISTORY"))
    assert "'nll_oracle'" in line and "'step'" in line
    assert line.endswith(" 12")  # 8 pre-training steps (128 / 16), 1 roll-out copy, 1 D round, 2 adversarial
    assert os.listdir(tmp_path) == []  # no logdir: nothing written


def test_configs_are_typed_and_checked():
    from tfgan_text import ConfigError, SeqGANConfig

    config = SeqGANConfig(learning_rate=1, discriminator_filter_widths=[1, 2], discriminator_num_filters=[3, 3])
    assert config.learning_rate == 1.0 and isinstance(config.learning_rate, float)
    assert config.discriminator_filter_widths == (1, 2)
    with pytest.raises(ConfigError, match="rollout_num=0: must be at least 1"):
        SeqGANConfig(rollout_num=0)
    with pytest.raises(ConfigError, match="discriminator_num_filters: 1 counts for 2"):
        SeqGANConfig(discriminator_filter_widths=(1, 2), discriminator_num_filters=(3,))
    with pytest.raises(ConfigError, match="tokenizer='words': expected one of"):
        SeqGANConfig(tokenizer="words")
    with pytest.raises(ConfigError, match="batch_size='8': expected int"):
        SeqGANConfig(batch_size="8")
    with pytest.raises(ConfigError, match="rollout_nums: not a field"):
        SeqGANConfig().replace(rollout_nums=3)


def test_a_preset_is_read_without_absl_and_a_missing_one_is_an_error():
    from tfgan_text import ConfigError, SeqGANConfig, preset_names

    config = SeqGANConfig.from_preset("seqgan")
    assert (config.pretrain_epochs, config.adversarial_steps) == (5, 20)  # flags/seqgan.cfg, not the defaults
    assert {"mle", "seqgan", "scratchgan", "leakgan_oracle40"} <= set(preset_names())
    with pytest.raises(ConfigError, match="preset 'nope': not found"):
        SeqGANConfig.from_preset("nope")


def test_every_flag_belongs_to_exactly_one_config_class():
    from tfgan_text.config import FIELD_OWNERS, TaskConfig, _field_owners

    assert {"rollout_num", "discount", "wgan_readout", "train_data", "logdir"} <= set(FIELD_OWNERS)
    with pytest.raises(TypeError, match="declared by TaskConfig and"):
        _field_owners([TaskConfig, type("Clash", (), {"__annotations__": {"train_data": str}})])


def test_a_python_run_is_resumed_evaluated_and_exported_by_the_command_line(tmp_path):
    from tfgan_text import MLEConfig, train
    from tfgan_text import evaluate as evaluate_cli  # the command-line module
    from tfgan_text import export, main

    logdir = str(tmp_path / "run")
    config = MLEConfig(task="oracle", oracle_vocab_size=40, oracle_length=8, oracle_num_train=256, oracle_num_test=64,
                       oracle_embedding_dim=8, oracle_hidden_dim=8, embedding_dim=8, hidden_dim=16, batch_size=16,
                       steps=16, num_eval_samples=64, samples_to_write=8)
    train("mle", config, logdir=logdir, log=lambda message: None)
    assert main.run(["x", f"--logdir={logdir}", "--resume", "--steps=32"]) == 0  # only the run's own config
    with open(f"{logdir}/checkpoints/config.json") as f:
        assert json.load(f)["config"]["hidden_dim"] == 16
    assert sorted(n for n in os.listdir(f"{logdir}/checkpoints") if n.endswith(".index"))[-1] == "ckpt-32.index"
    assert evaluate_cli.run(["x", f"--checkpoint_dir={logdir}", "--metrics=nll", "--num_samples=64",
                             f"--out={tmp_path}/eval.json"]) == 0
    assert export.run(["x", f"--checkpoint_dir={logdir}", f"--export_dir={tmp_path}/models", "--name=tiny"]) == 0
    assert os.path.exists(f"{tmp_path}/models/tiny/1/saved_model.pb")


def test_a_command_line_run_is_loaded_from_python(tmp_path):
    from tfgan_text import evaluate_run, load_run, main, sample

    logdir = str(tmp_path / "cli")
    assert main.run(["x"] + TINY_FLAGS + ["--steps=16", f"--logdir={logdir}"]) == 0
    run = load_run(logdir, log=lambda message: None)
    assert (run.method, run.step, run.config.hidden_dim) == ("mle", 16, 16)
    texts = sample(run.generator, run.task, num_samples=4, seed=3)
    assert len(texts) == 4 and texts == sample(run.generator, run.task, num_samples=4, seed=3)
    assert set(evaluate_run(run, metrics=["nll"], num_samples=64, log=lambda m: None)) == {
        "nll_oracle", "nll_test", "nll_train"}


def test_resume_of_a_run_made_before_config_json_reads_its_flags_cfg(tmp_path):
    from tfgan_text import load_run, main

    logdir = str(tmp_path / "old")
    assert main.run(["x"] + TINY_FLAGS + ["--steps=16", f"--logdir={logdir}"]) == 0
    os.remove(f"{logdir}/checkpoints/config.json")
    with open(f"{logdir}/checkpoints/flags.cfg", "w") as f:  # as main wrote it: every flag, absl's own too
        f.write("\n".join(TINY_FLAGS + ["--steps=16", "--logtostderr", "--noalsologtostderr"]) + "\n")
    assert load_run(logdir, log=lambda m: None).config.hidden_dim == 16
    assert main.run(["x", f"--logdir={logdir}", "--resume", "--steps=24"]) == 0


def test_a_run_made_when_auto_meant_the_lstm_oracle_is_still_an_oracle_run(tmp_path):
    """Runs made before the grammar task saved --task=auto for the LSTM oracle: their run.json says which
    task they were trained on, and loading or resuming them rebuilds that one."""
    from tfgan_text import load_run, main

    logdir = str(tmp_path / "old")
    assert main.run(["x"] + TINY_FLAGS + ["--steps=16", f"--logdir={logdir}"]) == 0
    with open(f"{logdir}/checkpoints/config.json") as f:
        saved = json.load(f)
    saved["config"]["task"] = "auto"
    with open(f"{logdir}/checkpoints/config.json", "w") as f:
        json.dump(saved, f)
    assert load_run(logdir, log=lambda m: None).task.name == "oracle"
    assert main.run(["x", f"--logdir={logdir}", "--resume", "--steps=24"]) == 0


@pytest.mark.parametrize("command", [["tfgan_text.main", "--helpfull"], ["tfgan_text.evaluate", "--help"],
                                     ["tfgan_text.main", "--help"]])
def test_help_prints_the_flags_and_exits_0(command):
    result = subprocess.run([sys.executable, "-m"] + command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--checkpoint_dir" in result.stdout or "--rollout_num" in result.stdout


def test_the_wheel_carries_the_presets_and_reads_the_checkouts_defaults(tmp_path):
    import zipfile

    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), ROOT], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").iterdir()
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
    assert "tfgan_text/presets/seqgan.cfg" in names and "tfgan_text/presets/leakgan_oracle.cfg" in names
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    command = [sys.executable, "-m", "tfgan_text.main", "--method=seqgan", "--print_config"]
    from_wheel = subprocess.run(command, cwd=elsewhere, capture_output=True, text=True, timeout=300,
                                env=dict(os.environ, PYTHONPATH=str(tmp_path / "site")))
    from_checkout = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert from_wheel.returncode == 0, from_wheel.stderr[-2000:]
    assert json.loads(from_wheel.stdout) == json.loads(from_checkout.stdout)
    assert json.loads(from_wheel.stdout)["config"]["adversarial_steps"] == 20  # flags/seqgan.cfg, not 200
    wheel_leakgan40 = subprocess.run([sys.executable, "-m", "tfgan_text.main", "--print_config",
                                      "--flagfile=" + str(tmp_path / "site/tfgan_text/presets/leakgan_oracle40.cfg")],
                                     cwd=elsewhere, capture_output=True, text=True, timeout=300,
                                     env=dict(os.environ, PYTHONPATH=str(tmp_path / "site")))
    assert wheel_leakgan40.returncode == 0, wheel_leakgan40.stderr[-2000:]


def test_an_unknown_method_has_no_preset_and_says_so(tmp_path):
    from tfgan_text import main

    assert main.run(["x", "--method=nope", f"--logdir={tmp_path}/r"]) == 2
    assert not os.path.exists(f"{tmp_path}/r")


def test_resume_with_only_the_logdir_continues_a_corpus_run_on_its_own_data(tmp_path):
    from tfgan_text import main

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(f"the {a} sat on the {b} .\n" for a in ("cat", "dog", "cow") for b in ("mat", "rug")) * 20)
    logdir = str(tmp_path / "run")
    tiny = ["--embedding_dim=8", "--hidden_dim=16", "--batch_size=16", "--num_eval_samples=32", "--samples_to_write=4"]
    assert main.run(["x", "--method=mle", f"--train_data={corpus}", "--steps=4", f"--logdir={logdir}"] + tiny) == 0
    # Before config.json this rebuilt the oracle task from the defaults and failed on the sequence length.
    assert main.run(["x", "--method=mle", f"--logdir={logdir}", "--resume", "--steps=8"]) == 0
    with open(f"{logdir}/checkpoints/config.json") as f:
        assert json.load(f)["config"]["train_data"] == str(corpus)
    assert main.run(["x", "--method=seqgan", f"--logdir={logdir}", "--resume"]) == 2  # names the method
