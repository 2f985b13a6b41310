"""Monte Carlo roll-outs: rewards for every prefix of sampled sequences (SeqGAN's search).

For a batch of sampled sequences Y [B, T], the reward of the prefix Y_1:t is
the mean score of N completions of it drawn from a roll-out policy, and the
reward of the whole sequence is its own score: Q(T) = score(Y). The scorer is
any callable tokens [M, T] -> scores [M] (a discriminator's D(real), a
ranker's rank score, a mediator...), so SeqGAN, RankGAN, LeakGAN and
conditional GANs share this engine. `prefix_rewards` is the roll-out-free
alternative: a scorer trained on prefixes (`random_prefixes`) scores each
prefix directly.

Cost: the roll-out policy reads each sequence once to get its state after
every prefix; then, per prefix length t (a tf loop), all B x N completions of
that length are drawn in one batched `sample` call that starts from the
carried state (no re-reading of the prefix) and are scored in one call.
"""
from __future__ import annotations

from typing import Callable

import tensorflow as tf

from tfgan_text import replicas
from tfgan_text.sampling import AutoregressiveGenerator, SequenceSpec, sample, teacher_forcing_inputs

Scorer = Callable[[tf.Tensor], tf.Tensor]  # tokens [M, T] -> scores [M]


def prefix_states(policy, tokens: tf.Tensor, spec: SequenceSpec):
    """The policy's state at every step t = 0..T-1 of `tokens` [B, T], each leaf stacked to [T, B, ...].

    Step t's state is the one after reading bos and tokens[:, :t-1]: the state
    `sample` holds when it is about to draw (or copy) token t.
    """
    inputs = teacher_forcing_inputs(tf.cast(tokens, tf.int32), spec.bos_id)
    state = policy.initial_state(tf.shape(tokens)[0])
    states = [state]
    for t in range(spec.max_length - 1):
        _, state = policy.step(inputs[:, t], state)
        states.append(state)
    return tf.nest.map_structure(lambda *steps: tf.stack(steps), *states)


def complete(policy, spec: SequenceSpec, tokens: tf.Tensor, prefix_length: int | tf.Tensor, num_completions: int,
             seed: tf.Tensor, temperature: float = 1.0, states=None) -> tf.Tensor:
    """`num_completions` completions [B * N, T] of the first `prefix_length` tokens of each row of `tokens`.

    Rows b * N .. b * N + N - 1 complete tokens[b]; they keep its prefix. `states`
    (from `prefix_states`) lets a caller completing several lengths read the prefixes once.
    """
    tokens = tf.cast(tokens, tf.int32)
    if states is None:
        states = prefix_states(policy, tokens, spec)
    prefix_length = tf.convert_to_tensor(prefix_length, tf.int32)
    state_index = tf.minimum(prefix_length, spec.max_length - 1)  # a whole-sequence prefix draws nothing
    start_state = tf.nest.map_structure(lambda s: tf.repeat(tf.gather(s, state_index), num_completions, axis=0),
                                        states)
    prefix = tf.repeat(tokens, num_completions, axis=0)
    return sample(policy, spec, tf.shape(prefix)[0], seed, temperature, prefix=prefix, prefix_length=prefix_length,
                  prefix_state=start_state, with_log_probs=False).tokens


def monte_carlo_rewards(policy: AutoregressiveGenerator, spec: SequenceSpec, tokens: tf.Tensor, scorer: Scorer,
                        num_rollouts: int, seed: tf.Tensor, temperature: float = 1.0) -> tf.Tensor:
    """Q [B, T]: Q[:, t-1] = mean score of `num_rollouts` completions of tokens[:, :t]; Q[:, T-1] = score(tokens).

    A constant for the policy gradient (no gradient flows through it).
    """
    tokens = tf.cast(tokens, tf.int32)
    batch_size = tf.shape(tokens)[0]
    seed = tf.cast(seed, tf.int32)
    states = prefix_states(policy, tokens, spec)
    rewards = tf.TensorArray(tf.float32, size=spec.max_length, element_shape=tf.TensorShape([None]))
    for length in tf.range(1, spec.max_length):
        completions = complete(policy, spec, tokens, length, num_rollouts,
                               tf.random.experimental.stateless_fold_in(seed, length), temperature, states)
        scores = tf.reshape(tf.cast(scorer(completions), tf.float32), [batch_size, num_rollouts])
        rewards = rewards.write(length - 1, tf.reduce_mean(scores, axis=1))
    rewards = rewards.write(spec.max_length - 1, tf.cast(scorer(tokens), tf.float32))
    return tf.stop_gradient(tf.transpose(rewards.stack()))


def prefix_rewards(spec: SequenceSpec, tokens: tf.Tensor, scorer: Scorer) -> tf.Tensor:
    """Q [B, T]: Q[:, t-1] = score of the prefix tokens[:, :t] alone (padded), no roll-outs.

    The cheaper alternative to `monte_carlo_rewards` for a scorer trained on prefixes
    (Li et al. 2017). Rows b*T .. b*T+T-1 of the scored batch are the prefixes of row b.
    """
    tokens = tf.cast(tokens, tf.int32)
    positions = tf.range(spec.max_length)
    kept = positions[None, :] < positions[:, None] + 1  # [length - 1, position]
    prefixes = tf.where(kept[None], tokens[:, None, :], spec.pad_id)  # [B, T (length), T]
    scores = scorer(tf.reshape(prefixes, [-1, spec.max_length]))
    return tf.stop_gradient(tf.reshape(tf.cast(scores, tf.float32), [-1, spec.max_length]))


def random_prefixes(spec: SequenceSpec, tokens: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Each row of `tokens` cut after a length drawn uniformly from 1..T (per example), padded: the
    inputs of a D that learns to score prefixes."""
    uniforms = replicas.uniform([tf.shape(tokens)[0]], seed)
    lengths = 1 + tf.cast(uniforms * spec.max_length, tf.int32)
    kept = tf.range(spec.max_length)[None, :] < lengths[:, None]
    return tf.where(kept, tf.cast(tokens, tf.int32), spec.pad_id)


def update_rollout_policy(rollout, generator, keep_rate: float = 0.8, copied_variables=None) -> None:
    """SeqGAN's delayed roll-out policy: rollout <- keep_rate * rollout + (1 - keep_rate) * generator.

    `copied_variables` (default: the generator's embedding) are copied as they
    are, as SeqGAN's roll-out shares the generator's embeddings.
    """
    if copied_variables is None:
        copied_variables = generator.embedding.variables
    copied = {id(v) for v in copied_variables}
    for target, source in zip(rollout.variables, generator.variables):
        if id(source) in copied:
            target.assign(source)
        else:
            target.assign(keep_rate * target + (1.0 - keep_rate) * source)


def copy_weights(target, source) -> None:
    """target <- source, variable by variable (the roll-out policy's start, a copy of G)."""
    for t, s in zip(target.variables, source.variables):
        t.assign(s)
