import numpy as np
import pytest
import tensorflow as tf

from tfgan_text.models.seq2seq import Attention, MemoryNetwork, Seq2SeqGenerator, hard_attention_losses
from tfgan_text.sampling import sample, sequence_mask, teacher_forcing_inputs

SOURCES = tf.constant([[5, 6, 7, 0, 0], [8, 9, 4, 5, 6]])  # pad id 0: the first source has 3 tokens
TARGETS = tf.constant([[7, 6, 5, 2], [6, 5, 2, 0]])  # eos id 2


@pytest.mark.parametrize("kind", ["multiplicative", "additive"])
def test_attention_weights_sum_to_one_and_ignore_padding(kind):
    attention = Attention(6, kind)
    memory = tf.random.normal([2, 5, 6], seed=1)
    queries = tf.random.normal([2, 3, 6], seed=2)
    mask = tf.not_equal(SOURCES, 0)
    weights = attention(queries, attention.keys(memory), mask).numpy()
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-6)
    assert (weights[0, :, 3:] == 0).all() and (weights[0, :, :3] > 0).all()
    changed = tf.concat([memory[:, :3], 100.0 * tf.ones([2, 2, 6])], axis=1)  # only padded rows of row 0 change
    np.testing.assert_allclose(attention(queries, attention.keys(changed), mask).numpy()[0], weights[0], rtol=1e-6)


@pytest.mark.parametrize("options", [dict(), dict(attention="additive"), dict(hard_attention=True),
                                     dict(memory_hops=2, separator_id=4)])
def test_step_by_step_logits_equal_teacher_forcing(options):
    generator = Seq2SeqGenerator(12, 8, 16, num_layers=2, **options).build_variables(5)
    conditioned = generator.conditioned(SOURCES)
    inputs = teacher_forcing_inputs(TARGETS, 1)
    expected = conditioned(inputs).numpy()
    state = conditioned.initial_state(2)
    for t in range(4):
        logits, state = conditioned.step(inputs[:, t], state)
        np.testing.assert_allclose(logits.numpy(), expected[:, t], atol=1e-5)


def test_a_source_answered_several_times_is_repeated_in_order():
    generator = Seq2SeqGenerator(12, 8, 16).build_variables(5)
    conditioned = generator.conditioned(SOURCES)
    inputs = teacher_forcing_inputs(tf.repeat(TARGETS, 3, axis=0), 1)
    repeated = conditioned(inputs).numpy()  # 6 rows: 3 answers to each source
    single = conditioned(teacher_forcing_inputs(TARGETS, 1)).numpy()
    np.testing.assert_allclose(repeated[::3], single, atol=1e-6)
    np.testing.assert_allclose(repeated[4], single[1], atol=1e-6)
    tokens = sample(conditioned, _spec(), 6, tf.constant([1, 2])).tokens
    assert tokens.shape == (6, 4)


def test_memory_network_reads_a_set_of_sentences():
    network = MemoryNetwork(12, 8, hops=2, separator_id=4, pad_id=0)
    query = tf.random.normal([1, 8], seed=3)
    inputs, outputs, mask = network.slots(tf.constant([[5, 6, 4, 7, 0]]))  # "5 6 | 7"
    assert mask.numpy().tolist() == [[True, True, False, False, False]]
    weights = network.attention_weights(query, inputs, mask).numpy()
    np.testing.assert_allclose(weights.sum(), 1.0, rtol=1e-6)
    assert (weights[0, 2:] == 0).all()
    # A set: the order of the sentences does not change what the hops read.
    first = network(tf.constant([[5, 6, 4, 7, 0]]), query).numpy()
    swapped = network(tf.constant([[7, 4, 5, 6, 0]]), query).numpy()
    np.testing.assert_allclose(first, swapped, rtol=1e-5)
    # Word order within a sentence matters (position encoding).
    assert not np.allclose(first, network(tf.constant([[6, 5, 4, 7, 0]]), query).numpy())


def test_hard_attention_trains_its_position_choice_by_reinforce():
    generator = Seq2SeqGenerator(12, 8, 16, hard_attention=True).build_variables(5)
    conditioned = generator.conditioned(SOURCES)
    inputs, mask = teacher_forcing_inputs(TARGETS, 1), sequence_mask(TARGETS, 2)
    keys = generator.attention.key_projection.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        surrogate, nll = hard_attention_losses(conditioned, TARGETS, inputs, mask, tf.constant([4, 5]))
        surrogate, nll = tf.reduce_sum(surrogate), tf.reduce_sum(nll)
    # The choice of a position is not differentiable: only the REINFORCE term reaches the scores.
    assert all(g is None or not np.any(g.numpy()) for g in tape.gradient(nll, keys))
    assert any(g is not None and np.any(g.numpy()) for g in tape.gradient(surrogate, keys))
    # Training draws positions from the weights; inference takes the most likely one.
    draws = {tuple(generator.decode(generator.encode(SOURCES), inputs, training=True, seed=tf.constant([s, 0]),
                                    return_attention=True)[1].numpy().ravel().round(4)) for s in range(6)}
    assert len(draws) > 1


def _spec():
    from tfgan_text.sampling import SequenceSpec
    return SequenceSpec(vocab_size=12, max_length=4, bos_id=1, eos_id=2, pad_id=0, banned_ids=(0, 1))
