import numpy as np
import pytest
import tensorflow as tf

from tfgan_text.errors import UsageError
from tfgan_text.models.oracle import build_oracle, load_oracle_parameters, random_oracle_parameters
from tfgan_text.sampling import SequenceSpec, sequence_log_probs


def numpy_oracle_log_probs(params, tokens):
    """The oracle's equations exactly as ../shared/data/README.md writes them."""
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    batch, length = tokens.shape
    hidden = params["U_i"].shape[0]
    h, c, previous = np.zeros((batch, hidden)), np.zeros((batch, hidden)), np.zeros(batch, int)
    out = np.zeros((batch, length))
    for t in range(length):
        x = params["embedding"][previous]
        gate = {g: x @ params[f"W_{g}"] + h @ params[f"U_{g}"] + params[f"b_{g}"] for g in "ifoc"}
        c = sigmoid(gate["f"]) * c + sigmoid(gate["i"]) * np.tanh(gate["c"])
        h = sigmoid(gate["o"]) * np.tanh(c)
        logits = h @ params["W_out"] + params["b_out"]
        logits -= logits.max(axis=1, keepdims=True)
        log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        out[:, t] = log_softmax[np.arange(batch), tokens[:, t]]
        previous = tokens[:, t]
    return out


def test_oracle_generator_computes_the_published_equations():
    params = random_oracle_parameters(seed=5, vocab_size=30, embedding_dim=6, hidden_dim=7)
    tokens = np.random.default_rng(0).integers(0, 30, size=(4, 9)).astype(np.int32)
    ours = sequence_log_probs(build_oracle(params), tf.constant(tokens), SequenceSpec(30, 9, bos_id=0))
    np.testing.assert_allclose(ours.numpy(), numpy_oracle_log_probs(params, tokens), atol=2e-5)


def test_published_oracle_loads(shared_data):
    params = load_oracle_parameters(f"{shared_data}/seqgan_oracle_lstm.npz")
    assert params["embedding"].shape == (5000, 32)


def test_bad_oracle_files(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        load_oracle_parameters(str(tmp_path / "none.npz"))
    path = tmp_path / "bad.npz"
    np.savez(path, embedding=np.zeros((3, 2)))
    with pytest.raises(UsageError, match="missing arrays"):
        load_oracle_parameters(str(path))
    np.save(tmp_path / "one.npy", np.zeros((3, 2)))  # an array, not an archive
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:60])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    for bad in (tmp_path / "one.npy", truncated, garbage, tmp_path):
        with pytest.raises(UsageError, match=f"^--oracle_params={bad}: not a readable .npz archive"):
            load_oracle_parameters(str(bad))


def test_a_checkpoint_of_the_generator_alone_holds_every_weight(tmp_path):
    """Restoring `Checkpoint(generator=...)` must bring back the LSTM layers too, not only what an optimizer saw."""
    source = build_oracle(random_oracle_parameters(seed=1, vocab_size=20, embedding_dim=4, hidden_dim=5))
    path = tf.train.Checkpoint(generator=source).write(str(tmp_path / "ckpt"))
    saved = {name for name, _ in tf.train.list_variables(path) if "generator/" in name}
    weights = [v for v in source.variables if "seed_generator" not in v.path]
    assert len(saved) == len(weights) == 6
    target = build_oracle(random_oracle_parameters(seed=2, vocab_size=20, embedding_dim=4, hidden_dim=5))
    tf.train.Checkpoint(generator=target).read(path).assert_existing_objects_matched()
    for a, b in zip(source.weights, target.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
