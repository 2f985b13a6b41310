"""tfgan_text: training, evaluating and serving GANs for text in TensorFlow 2 / Keras 3.

    import tfgan_text as tt

    config = tt.SeqGANConfig.from_preset("seqgan").replace(adversarial_steps=5)
    task = tt.build_task(config)
    history = tt.train("seqgan", config, task=task, logdir="runs/seqgan")   # one dict per evaluation
    run = tt.load_run("runs/seqgan")
    print(tt.sample(run.generator, run.task, num_samples=3))
    print(tt.evaluate_run(run, metrics=["nll"]))
    tt.export_generator(run.generator, run.task, "savedmodels", "seqgan")

A walk-through: docs/python_api.md. The configs are plain frozen dataclasses (tfgan_text.config);
the functions are imported on first use, so `import tfgan_text` stays cheap.
"""
from __future__ import annotations

import importlib

from tfgan_text.config import (AdversarialConfig, CNNDiscriminatorConfig, CoTConfig, ConfigError,  # noqa: F401
                               DiscriminatorConfig, EvaluationConfig, GeneratorConfig, LeakGANConfig,
                               MaliGANConfig, MethodConfig, MLEConfig, RankGANConfig, RolloutConfig, RunOptions,
                               ScratchGANConfig, SeqGANConfig, TaskConfig, TrainingConfig, WGANGPConfig,
                               preset_names)
from tfgan_text.errors import TrainingDiverged, UsageError  # noqa: F401

_LAZY = {
    "build_task": "tfgan_text.data.build",
    "Task": "tfgan_text.data.tasks",
    "METHODS": "tfgan_text.methods",
    "get_method": "tfgan_text.methods",
    "Method": "tfgan_text.methods.base",
    "Phase": "tfgan_text.methods.base",
    "train": "tfgan_text.api",
    "sample": "tfgan_text.api",
    "evaluate_run": "tfgan_text.api",
    "export_generator": "tfgan_text.serving",
    "load_run": "tfgan_text.training.restore",
    "LoadedRun": "tfgan_text.training.restore",
}

__all__ = ["AdversarialConfig", "CNNDiscriminatorConfig", "CoTConfig", "ConfigError", "DiscriminatorConfig",
           "EvaluationConfig", "GeneratorConfig", "LeakGANConfig", "MaliGANConfig", "MethodConfig", "MLEConfig",
           "RankGANConfig", "RolloutConfig", "RunOptions", "ScratchGANConfig", "SeqGANConfig", "TaskConfig",
           "TrainingConfig", "WGANGPConfig", "preset_names", "TrainingDiverged", "UsageError", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tfgan_text' has no attribute {name!r}")
