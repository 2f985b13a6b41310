import numpy as np
import tensorflow as tf

from tfgan_text.models.generator import Generator
from tfgan_text.rollout import (complete, monte_carlo_rewards, prefix_rewards, prefix_states, random_prefixes,
                                update_rollout_policy)
from tfgan_text.sampling import SequenceSpec, sample

SPEC = SequenceSpec(vocab_size=12, max_length=7, bos_id=0)
EOS_SPEC = SequenceSpec(vocab_size=12, max_length=7, bos_id=1, eos_id=2, pad_id=0, banned_ids=(0, 1))


def policy(seed=0, vocab_size=12):
    tf.keras.utils.set_random_seed(seed)
    return Generator(vocab_size, 8, 16).build_variables()


def tokens_of(spec, rows, seed=3):
    return sample(policy(seed), spec, rows, tf.constant([seed, 0])).tokens


def test_completions_keep_the_prefix_and_carrying_the_state_draws_what_rereading_it_draws():
    g = policy()
    tokens = tokens_of(SPEC, 5)
    for length in (1, 3, 6):
        completions = complete(g, SPEC, tokens, length, 4, tf.constant([7, length]))
        assert completions.shape == (20, 7)
        np.testing.assert_array_equal(completions[:, :length], np.repeat(tokens[:, :length], 4, axis=0))
        reread = sample(g, SPEC, 20, tf.constant([7, length]), prefix=np.repeat(tokens, 4, axis=0),
                        prefix_length=length).tokens
        np.testing.assert_array_equal(completions, reread)
    drawn = complete(g, SPEC, tokens, 1, 64, tf.constant([1, 1]))
    assert len({tuple(row) for row in drawn.numpy()[:64]}) > 32  # completions of one prefix differ


def test_prefix_states_are_the_sampling_loop_states():
    g = policy()
    tokens = tokens_of(SPEC, 3)
    states = prefix_states(g, tokens, SPEC)
    state, previous = g.initial_state(3), tf.zeros([3], tf.int32)
    for t in range(SPEC.max_length):
        for (h, c), (saved_h, saved_c) in zip(state, states):
            np.testing.assert_allclose(h, saved_h[t], atol=1e-6)
            np.testing.assert_allclose(c, saved_c[t], atol=1e-6)
        _, state = g.step(previous, state)
        previous = tokens[:, t]


def test_rewards_are_means_of_completion_scores_and_the_last_is_the_score_of_the_sequence():
    g = policy()
    tokens = tokens_of(SPEC, 4)
    scorer = lambda x: tf.reduce_mean(tf.cast(x < 6, tf.float32), axis=1)  # noqa: E731
    seed = tf.constant([5, 6])
    rewards = tf.function(lambda x: monte_carlo_rewards(g, SPEC, x, scorer, 8, seed))(tokens)
    assert rewards.shape == (4, 7)
    np.testing.assert_allclose(rewards[:, -1], scorer(tokens), rtol=1e-6)  # Q(T) = D(Y)
    for length in (1, 4, 6):
        completions = complete(g, SPEC, tokens, length, 8, tf.random.experimental.stateless_fold_in(seed, length))
        expected = tf.reduce_mean(tf.reshape(scorer(completions), [4, 8]), axis=1)
        np.testing.assert_allclose(rewards[:, length - 1], expected, rtol=1e-6)


def test_rollouts_respect_eos_including_prefixes_that_already_ended():
    g = policy(vocab_size=12)
    tokens = tf.constant([[4, 2, 0, 0, 0, 0, 0], [5, 6, 7, 8, 9, 10, 2], [2, 0, 0, 0, 0, 0, 0]], tf.int32)
    completions = complete(g, EOS_SPEC, tokens[:1], 3, 5, tf.constant([1, 2])).numpy()
    np.testing.assert_array_equal(completions, np.repeat(tokens[:1], 5, axis=0))  # ended: nothing drawn, padded
    rewards = monte_carlo_rewards(g, EOS_SPEC, tokens, lambda x: tf.reduce_sum(tf.cast(x > 0, tf.float32), 1), 3,
                                  tf.constant([0, 1]))
    assert rewards.shape == (3, 7)
    for row in complete(g, EOS_SPEC, tokens, 2, 50, tf.constant([3, 4])).numpy():
        ends = np.flatnonzero(row == 2)
        end = ends[0] if len(ends) else len(row)
        assert 0 not in row[:end] and 1 not in row and set(row[end + 1:]) <= {0}  # pad only after eos


def test_rollout_policy_update_mixes_weights_and_copies_embeddings():
    rollout, g = policy(0), policy(1)
    before = [v.numpy() for v in rollout.variables]
    update_rollout_policy(rollout, g, keep_rate=0.8)
    for old, new, source in zip(before, rollout.variables, g.variables):
        if "embedding" in source.path:
            np.testing.assert_array_equal(new.numpy(), source.numpy())
        else:
            np.testing.assert_allclose(new.numpy(), 0.8 * old + 0.2 * source.numpy(), rtol=1e-5, atol=1e-7)
    assert any("embedding" in v.path for v in g.variables)


def test_prefix_rewards_score_each_prefix_alone():
    tokens = tf.constant([[5, 6, 7, 2, 0, 0, 0], [3, 4, 5, 6, 7, 8, 9]])
    seen = []

    def scorer(rows):  # the number of real tokens of each scored row
        seen.append(rows)
        return tf.reduce_sum(tf.cast(rows != 0, tf.float32), axis=1)

    rewards = prefix_rewards(EOS_SPEC, tokens, scorer).numpy()
    np.testing.assert_array_equal(rewards[1], np.arange(1, 8))
    np.testing.assert_array_equal(rewards[0], [1, 2, 3, 4, 4, 4, 4])  # pad after eos adds nothing
    np.testing.assert_array_equal(seen[0].numpy()[2], [5, 6, 7, 0, 0, 0, 0])  # row 0's prefix of length 3


def test_random_prefixes_cut_each_row_after_a_length_in_1_to_T():
    tokens = tf.fill([400, 7], 5)
    cut = random_prefixes(EOS_SPEC, tokens, tf.constant([1, 2])).numpy()
    lengths = (cut != 0).sum(axis=1)
    assert lengths.min() == 1 and lengths.max() == 7 and len(set(lengths)) == 7
    assert all((row[:n] == 5).all() and (row[n:] == 0).all() for row, n in zip(cut, lengths))
