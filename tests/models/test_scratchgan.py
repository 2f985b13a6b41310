"""ScratchGAN's models: tied embeddings, skip connections, the position signal, the layer-normalised D."""
import numpy as np
import pytest
import tensorflow as tf

from tfgan_text.models.scratchgan import (LayerNormLSTMCell, RecurrentDiscriminator, ScratchGANGenerator,
                                          WordEmbedding, position_signal)
from tfgan_text.sampling import SequenceSpec, sample


def test_position_signal_has_eight_channels_with_log_spaced_periods_from_2_to_4_lengths():
    length = 12
    signal = position_signal(length)
    assert signal.shape == (length, 8)
    periods = np.exp(np.linspace(np.log(2.0), np.log(4.0 * length), 4))
    t = np.arange(length)
    for k, period in enumerate(periods):
        np.testing.assert_allclose(signal[:, k], np.sin(2 * np.pi * t / period), atol=1e-6)
        np.testing.assert_allclose(signal[:, 4 + k], np.cos(2 * np.pi * t / period), atol=1e-6)
    # The fastest channel has period 2 (alternating sign of cos), the slowest never repeats within the sequence.
    np.testing.assert_allclose(signal[:, 4], np.cos(np.pi * t), atol=1e-6)
    assert len({tuple(np.round(row, 5)) for row in signal}) == length


def test_word_embedding_concatenates_fixed_pretrained_and_trainable_vectors():
    pretrained = np.arange(12, dtype=np.float32).reshape(4, 3)
    embedding = WordEmbedding(4, 2, pretrained)
    vectors = embedding(tf.constant([[3, 1]])).numpy()
    np.testing.assert_array_equal(vectors[0, :, :3], pretrained[[3, 1]])
    assert embedding.dim == 5
    assert [v.shape for v in embedding.trainable_variables] == [(4, 2)]  # the pre-trained part is fixed


def test_generator_step_matches_teacher_forcing_and_logits_use_the_tied_table():
    tf.keras.utils.set_random_seed(0)
    generator = ScratchGANGenerator(9, 4, 8, num_layers=2).build_variables()
    tokens = tf.constant([[1, 5, 7, 3], [1, 2, 2, 8]])
    full = generator(tokens).numpy()
    state = generator.initial_state(2)
    for t in range(4):
        logits, state = generator.step(tokens[:, t], state)
        np.testing.assert_allclose(logits.numpy(), full[:, t], atol=1e-5)
    # Tied output: a word's logit depends on that word's row of the input embedding table.
    with tf.GradientTape() as tape:
        logits = generator(tokens)[..., 6]
    grads = tape.gradient(logits, generator.embedding.trainable_table)
    assert float(tf.reduce_sum(tf.abs(tf.convert_to_tensor(grads)[6]))) > 0
    # Skip connections: the second layer reads [projected input ; first layer's output].
    assert generator.lstm_1.cell.kernel.shape[0] == 2 * 8


def test_layer_norm_cell_is_invariant_to_the_scale_of_its_weights_and_a_plain_lstm_is_not():
    tf.keras.utils.set_random_seed(1)
    x = tf.random.normal([3, 5, 4])
    for layer_norm in (True, False):
        rnn = (tf.keras.layers.RNN(LayerNormLSTMCell(6), return_sequences=True) if layer_norm
               else tf.keras.layers.LSTM(6, return_sequences=True))
        before = rnn(x).numpy()
        cell = rnn.cell
        cell.kernel.assign(cell.kernel * 3.0)
        cell.recurrent_kernel.assign(cell.recurrent_kernel * 3.0)
        after = rnn(x).numpy()
        change = np.abs(after - before).max()
        if layer_norm:
            assert change < 1e-3  # not exactly 0: the layer norms' epsilon
        else:
            assert change > 5e-2


@pytest.mark.parametrize("layer_norm", [True, False])
@pytest.mark.parametrize("use_position_signal", [True, False])
def test_discriminator_scores_every_prefix_causally(layer_norm, use_position_signal):
    tf.keras.utils.set_random_seed(2)
    d = RecurrentDiscriminator(9, 4, 8, max_length=5, dropout=0.0, layer_norm=layer_norm,
                               use_position_signal=use_position_signal).build_variables()
    assert isinstance(d.lstm.cell, LayerNormLSTMCell) == layer_norm
    assert d.input_projection.kernel.shape[0] == 4 + (8 if use_position_signal else 0)
    a, b = tf.constant([[4, 5, 6, 7, 8]]), tf.constant([[4, 5, 6, 3, 3]])
    logits_a, logits_b = d(a).numpy(), d(b).numpy()
    assert logits_a.shape == (1, 5)
    np.testing.assert_allclose(logits_a[:, :3], logits_b[:, :3], atol=1e-6)  # D(x_t | x_<t) never looks ahead
    assert np.abs(logits_a[:, 3:] - logits_b[:, 3:]).max() > 0


def test_position_signal_makes_d_tell_positions_apart_for_the_same_token_history():
    tf.keras.utils.set_random_seed(3)
    with_signal = RecurrentDiscriminator(9, 4, 8, max_length=6, dropout=0.0).build_variables()
    signal_part = with_signal.input_projection.kernel[4:]
    tokens = tf.constant([[5, 5, 5, 5, 5, 5]])
    with tf.GradientTape() as tape:
        logits = with_signal(tokens)
    assert float(tf.reduce_sum(tf.abs(tape.gradient(logits, with_signal.input_projection.kernel)[4:]))) > 0
    assert signal_part.shape == (8, 8)


def test_discriminator_dropout_is_seeded_and_only_in_training():
    d = RecurrentDiscriminator(9, 4, 8, max_length=5, dropout=0.5).build_variables()
    tokens = tf.constant([[4, 5, 6, 7, 8]])
    seed = tf.constant([1, 2])
    np.testing.assert_array_equal(d(tokens, training=True, seed=seed), d(tokens, training=True, seed=seed))
    assert np.abs(d(tokens, training=True, seed=seed) - d(tokens)).max() > 0
    no_dropout = RecurrentDiscriminator(9, 4, 8, max_length=5, dropout=0.0)
    no_dropout.build_variables()
    for a, b in zip(no_dropout.variables, d.variables):
        a.assign(b)
    np.testing.assert_allclose(no_dropout(tokens, training=True, seed=seed), d(tokens), atol=1e-6)


def test_the_sampler_draws_from_the_scratchgan_generator():
    spec = SequenceSpec(vocab_size=9, max_length=6, bos_id=1, eos_id=2, pad_id=0, banned_ids=(0, 1))
    generator = ScratchGANGenerator(9, 4, 8).build_variables()
    samples = sample(generator, spec, 16, tf.constant([0, 1]))
    assert samples.tokens.shape == (16, 6)
    assert not np.isin(samples.tokens.numpy()[:, 0], [0, 1]).any()
