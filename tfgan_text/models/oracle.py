"""The oracle LSTM of the synthetic benchmark (SeqGAN's "Turing test" task).

The oracle's equations are those of a one-layer Keras LSTM (gates i, f, c, o,
no peepholes), so the oracle is a `Generator` whose weights are set from the
published arrays: one sampler and one log-probability path serve both.
"""
from __future__ import annotations

import zipfile

import numpy as np

from tfgan_text.errors import UsageError
from tfgan_text.models.generator import Generator

_GATES = ("i", "f", "c", "o")  # Keras LSTM kernel order


def random_oracle_parameters(seed: int, vocab_size: int = 5000, embedding_dim: int = 32,
                             hidden_dim: int = 32) -> dict[str, np.ndarray]:
    """SeqGAN's recipe: every weight drawn from N(0, 1)."""
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    params = {"embedding": normal(vocab_size, embedding_dim),
              "W_out": normal(hidden_dim, vocab_size), "b_out": normal(vocab_size)}
    for gate in _GATES:
        params[f"W_{gate}"] = normal(embedding_dim, hidden_dim)
        params[f"U_{gate}"] = normal(hidden_dim, hidden_dim)
        params[f"b_{gate}"] = normal(hidden_dim)
    return params


def load_oracle_parameters(path: str) -> dict[str, np.ndarray]:
    """Reads the published oracle (`seqgan_oracle_lstm.npz`), checking every array."""
    where = f"--oracle_params={path}"
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a lone .npy array
            raise ValueError("one array, not an archive of named arrays")
        with archive:
            params = {key: archive[key].astype(np.float32) for key in archive.files}
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise UsageError(f"{where}: not a readable .npz archive ({' '.join(str(e).split())[:160]})") from None
    required = ["embedding", "W_out", "b_out"] + [f"{k}_{g}" for g in _GATES for k in "WUb"]
    missing = [key for key in required if key not in params]
    if missing:
        raise UsageError(f"{where}: missing arrays {', '.join(missing)}")
    vocab_size, embedding_dim = params["embedding"].shape
    hidden_dim = params["U_i"].shape[0]
    expected = {"W_out": (hidden_dim, vocab_size), "b_out": (vocab_size,)}
    for gate in _GATES:
        expected.update({f"W_{gate}": (embedding_dim, hidden_dim), f"U_{gate}": (hidden_dim, hidden_dim),
                         f"b_{gate}": (hidden_dim,)})
    for key, shape in expected.items():
        if params[key].shape != shape:
            raise UsageError(f"{where}: array {key} has shape {params[key].shape}, expected {shape}")
    return params


def build_oracle(params: dict[str, np.ndarray]) -> Generator:
    """A frozen `Generator` computing exactly the oracle's equations."""
    vocab_size, embedding_dim = params["embedding"].shape
    hidden_dim = params["U_i"].shape[0]
    oracle = Generator(vocab_size, embedding_dim, hidden_dim, num_layers=1, name="oracle").build_variables()
    oracle.embedding.embeddings.assign(params["embedding"])
    cell = oracle.lstms[0].cell
    cell.kernel.assign(np.concatenate([params[f"W_{g}"] for g in _GATES], axis=1))
    cell.recurrent_kernel.assign(np.concatenate([params[f"U_{g}"] for g in _GATES], axis=1))
    cell.bias.assign(np.concatenate([params[f"b_{g}"] for g in _GATES]))
    oracle.output_layer.kernel.assign(params["W_out"])
    oracle.output_layer.bias.assign(params["b_out"])
    oracle.trainable = False
    return oracle
