"""A probabilistic finite-state grammar and its exact next-token model: the oracle of `--task=grammar`.

The grammar is a finite automaton whose states emit words (a word may belong to several states).
A sentence w_1 .. w_n is derived along a path of states s_1 .. s_n with probability

    p_G(w_1 .. w_n eos) = sum over paths  start(s_1) e(s_1, w_1) a(s_1, s_2) e(s_2, w_2) ... e(s_n, w_n) a(s_n, END)

where every row of `a` (next state or END) and of `e` (words) sums to 1. The state graph has no
cycle, so sentences are at most `max_length` words long and the probabilities of all sentences sum to
1. The forward algorithm gives the next-token conditional exactly: with rho_t the distribution over the
state that emits token t + 1 (END: eos) given the prefix,

    p_G(w | w_1 .. w_t) = sum_s rho_t(s) e(s, w),   p_G(eos | w_1 .. w_t) = rho_t(END),
    rho_{t+1} = normalise(rho_t * e(., w_{t+1})) @ a.

`GrammarOracle` computes this in TensorFlow as an `AutoregressiveGenerator` (its state: rho), mixed per
token with a uniform share epsilon so that every sequence has a finite score:

    q(w | prefix) = (1 - epsilon) p_G(w | prefix) + epsilon / N      (a prefix the grammar derives)
    q(w | prefix) = 1 / N                                             (a prefix it cannot derive)

over the N tokens a sequence can hold (the grammar's words and eos); pad, bos and unk get none.
epsilon = 0 is the pure grammar, which samples the task's data.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, Sequence

import numpy as np
import tensorflow as tf

END = "END"  # the pseudo-state after the last word: the sentence ends (eos)
FLOOR_LOGIT = -1e9  # the logit of a token of probability 0 (sampling.BANNED_LOGIT)


@dataclasses.dataclass(frozen=True, eq=False)
class ProbabilisticGrammar:
    """A probabilistic finite-state grammar over `words` (arrays in float64)."""

    words: tuple[str, ...]  # W words; index = word number
    states: tuple[str, ...]  # S state names
    start: np.ndarray  # [S]: the state of the first word
    transitions: np.ndarray  # [S, S + 1]: next state, last column END
    emissions: np.ndarray  # [S, W]

    @classmethod
    def from_rules(cls, start: Mapping[str, float],
                   rules: Mapping[str, tuple[Mapping[str, float], Mapping[str, float]]]) -> "ProbabilisticGrammar":
        """A grammar from weights: `start` {state: weight}; `rules` {state: ({word: weight}, {next state or
        END: weight})}. Each distribution is its weights normalised. Words are numbered in order of first
        appearance. Raises ValueError on an unknown state, a state without words or successors, a state
        that cannot be reached, or a cycle (sentences must have a bounded length)."""
        states = tuple(rules)
        index = {name: i for i, name in enumerate(states)}
        words = tuple(dict.fromkeys(word for emitted, _ in rules.values() for word in emitted))
        word_index = {word: i for i, word in enumerate(words)}
        size = len(states)
        start_vector = np.zeros(size)
        transitions = np.zeros([size, size + 1])
        emissions = np.zeros([size, len(words)])

        def target(name: str, where: str) -> int:
            if name == END:
                return size
            if name not in index:
                raise ValueError(f"{where}: unknown state {name!r}")
            return index[name]

        for name, weight in start.items():
            start_vector[target(name, "start")] += weight
        for name, (emitted, following) in rules.items():
            if not emitted or not following:
                raise ValueError(f"state {name!r}: needs at least one word and one successor")
            for word, weight in emitted.items():
                emissions[index[name], word_index[word]] += weight
            for successor, weight in following.items():
                transitions[index[name], target(successor, f"state {name!r}")] += weight
        if (start_vector < 0).any() or (transitions < 0).any() or (emissions < 0).any():
            raise ValueError("weights must not be negative")
        grammar = cls(words, states, start_vector / start_vector.sum(),
                      transitions / transitions.sum(axis=1, keepdims=True),
                      emissions / emissions.sum(axis=1, keepdims=True))
        grammar.longest_paths()  # checks: reachable, acyclic
        return grammar

    def longest_paths(self) -> np.ndarray:
        """[S]: the most words a sentence can have up to and including state s (ValueError on a cycle
        or an unreachable state)."""
        size = len(self.states)
        edges = self.transitions[:, :size] > 0
        longest = np.zeros(size, int)
        frontier = self.start > 0  # the states that can emit word k (k = 1, 2, ...)
        for k in range(1, size + 2):  # without a cycle no path is longer than S states
            if not frontier.any():
                break
            longest[frontier] = k
            frontier = edges[frontier].any(axis=0)
        else:
            raise ValueError("the grammar's state graph has a cycle: sentences must have a bounded length")
        unreachable = [name for name, n in zip(self.states, longest) if n == 0]
        if unreachable:
            raise ValueError(f"states that no sentence reaches: {', '.join(unreachable)}")
        return longest

    @property
    def max_length(self) -> int:
        """The most words in a sentence the grammar derives."""
        longest = self.longest_paths()
        return int(longest[self.transitions[:, -1] > 0].max())

    def sentence_probability(self, words: Sequence[str]) -> float:
        """p_G(words eos), exactly (float64 forward algorithm on the joint, without normalising); 0 for
        a sentence the grammar does not derive or a word it does not know."""
        word_index = {word: i for i, word in enumerate(self.words)}
        if not words or any(word not in word_index for word in words):
            return 0.0
        forward = self.start * self.emissions[:, word_index[words[0]]]
        for word in words[1:]:
            forward = (forward @ self.transitions[:, :-1]) * self.emissions[:, word_index[word]]
        return float(forward @ self.transitions[:, -1])

    def sample(self, count: int, rng: np.random.Generator) -> list[list[str]]:
        """`count` sentences drawn by walking the automaton (a path of states, a word from each), all
        sentences at once; independent of the forward algorithm."""
        size = len(self.states)
        word_table, next_table = _inverse_cdf_table(self.emissions), _inverse_cdf_table(self.transitions)
        sentences = [[] for _ in range(count)]
        state, alive = np.searchsorted(np.cumsum(self.start), rng.random(count), side="right"), np.arange(count)
        state = np.minimum(state, np.flatnonzero(self.start)[-1])
        while len(alive):
            for row, word in zip(alive, word_table(state, rng.random(len(state)))):
                sentences[row].append(self.words[word])
            state = next_table(state, rng.random(len(state)))
            keep = state != size
            state, alive = state[keep], alive[keep]
        return sentences

    def expected_counts(self) -> np.ndarray:
        """[W]: the expected number of times each word occurs in a sentence."""
        occupancy, visits = self.start.copy(), np.zeros(len(self.states))
        for _ in range(self.max_length):
            visits += occupancy
            occupancy = occupancy @ self.transitions[:, :-1]
        return visits @ self.emissions


def _inverse_cdf_table(probs: np.ndarray):
    """A function (rows [n], uniforms [n] in [0, 1)) -> one column index per row drawn from `probs`
    [R, K] (rows summing to 1): the rows' CDFs laid end to end, row r shifted by r, searched once."""
    cdf = np.cumsum(probs, axis=1)
    cdf /= cdf[:, -1:]
    flat = (cdf + np.arange(len(probs))[:, None]).ravel()
    last = np.array([np.flatnonzero(row)[-1] for row in probs])  # rounding must not land past it

    def draw(rows: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        index = np.searchsorted(flat, rows + uniforms, side="right") - rows * probs.shape[1]
        return np.minimum(index, last[rows])

    return draw


class GrammarOracle(tf.Module):
    """The exact next-token model of a `ProbabilisticGrammar`, mixed with a uniform share `epsilon`
    (module docstring), as an `AutoregressiveGenerator`. Its state is rho [B, S + 1], the distribution
    over the state of the next token (last column: END, i.e. eos), all zeros after a prefix the grammar
    cannot derive."""

    def __init__(self, grammar: ProbabilisticGrammar, word_ids: Sequence[int], vocab_size: int, bos_id: int,
                 eos_id: int, epsilon: float = 0.0, name: str = "grammar_oracle"):
        """`word_ids`: the vocabulary id of each of the grammar's words."""
        super().__init__(name=name)
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon={epsilon}: expected a share in [0, 1]")
        word_ids = np.asarray(word_ids)
        if len(word_ids) != len(grammar.words) or len(set(word_ids.tolist()) | {bos_id, eos_id}) != len(word_ids) + 2:
            raise ValueError("word_ids: one distinct id per word of the grammar, neither bos nor eos")
        self.grammar, self.vocab_size, self.epsilon = grammar, vocab_size, float(epsilon)
        self.bos_id, self.eos_id = bos_id, eos_id
        self.num_states = len(grammar.states)
        emissions = np.zeros([self.num_states, vocab_size], np.float32)
        emissions[:, word_ids] = grammar.emissions
        allowed = np.zeros([vocab_size], np.float32)
        allowed[word_ids] = allowed[eos_id] = 1.0
        self.num_tokens = int(allowed.sum())  # N
        self._emissions = tf.constant(emissions)  # [S, V]
        self._emissions_by_token = tf.constant(emissions.T)  # [V, S]
        self._transitions = tf.constant(grammar.transitions.astype(np.float32))  # [S, S + 1]
        self._start = tf.constant(np.append(grammar.start, 0.0).astype(np.float32))  # [S + 1]
        self._eos = tf.one_hot(eos_id, vocab_size)
        self._allowed = tf.constant(allowed)
        self._grammar_probs = tf.function(self._teacher_forced_grammar_probs,
                                          input_signature=[tf.TensorSpec([None, None], tf.int32)])

    # --- the forward recursion ---------------------------------------------------------------------------
    def _read(self, rho: tf.Tensor, token_ids: tf.Tensor) -> tf.Tensor:
        """rho after the prefix is extended by `token_ids` [B] (bos leaves it as it is)."""
        emitted = rho[:, :-1] * tf.gather(self._emissions_by_token, token_ids)  # [B, S]
        forward = tf.math.divide_no_nan(emitted, tf.reduce_sum(emitted, axis=1, keepdims=True))
        return tf.where(tf.equal(token_ids, self.bos_id)[:, None], rho, tf.matmul(forward, self._transitions))

    def grammar_probs(self, rho: tf.Tensor) -> tf.Tensor:
        """p_G(. | prefix) [B, V] of the pure grammar; all zeros after a prefix it cannot derive."""
        return tf.matmul(rho[:, :-1], self._emissions) + rho[:, -1:] * self._eos

    def _logits(self, rho: tf.Tensor) -> tf.Tensor:
        uniform = self._allowed / self.num_tokens
        derived = tf.reduce_sum(rho, axis=1, keepdims=True) > 0.5  # 1 up to rounding, or exactly 0
        probs = tf.where(derived, (1.0 - self.epsilon) * self.grammar_probs(rho) + self.epsilon * uniform, uniform)
        return tf.where(probs > 0, tf.math.log(tf.maximum(probs, 1e-37)), FLOOR_LOGIT)

    # --- AutoregressiveGenerator -------------------------------------------------------------------------
    def initial_state(self, batch_size: tf.Tensor | int) -> tf.Tensor:
        return tf.tile(self._start[None], [batch_size, 1])

    def step(self, token_ids: tf.Tensor, state: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """log q of the next token [B, V] after `token_ids` [B], and the new state."""
        rho = self._read(state, tf.cast(token_ids, tf.int32))
        return self._logits(rho), rho

    def __call__(self, inputs: tf.Tensor, training: bool = False, seed: tf.Tensor | None = None) -> tf.Tensor:
        """Teacher forcing: log q [B, T, V] after each prefix of `inputs` [B, T] (bos first): `step`
        applied token by token."""
        inputs = tf.cast(inputs, tf.int32)
        batch = tf.shape(inputs)[0]
        initial = (tf.zeros([batch, self.vocab_size]), self.initial_state(batch))
        logits, _ = tf.scan(lambda carried, token_ids: self.step(token_ids, carried[1]),
                            tf.transpose(inputs), initializer=initial)
        return tf.transpose(logits, [1, 0, 2])

    # --- derivations -------------------------------------------------------------------------------------
    def _teacher_forced_grammar_probs(self, tokens: tf.Tensor) -> tf.Tensor:
        inputs = tf.concat([tf.fill([tf.shape(tokens)[0], 1], self.bos_id), tokens[:, :-1]], axis=1)

        def advance(carried, pair):
            rho = self._read(carried[1], pair[0])
            return tf.gather(self.grammar_probs(rho), pair[1], batch_dims=1), rho

        initial = (tf.zeros([tf.shape(tokens)[0]]), self.initial_state(tf.shape(tokens)[0]))
        probs, _ = tf.scan(advance, (tf.transpose(inputs), tf.transpose(tokens)), initializer=initial)
        return tf.transpose(probs)

    def token_grammar_probs(self, tokens) -> np.ndarray:
        """p_G(x_t | x_<t) [N, T] of the pure grammar for token ids [N, T] (0 where it cannot derive x_t)."""
        tokens = np.asarray(tokens, np.int32)
        chunks = [self._grammar_probs(tf.constant(tokens[start:start + 2000])).numpy()
                  for start in range(0, len(tokens), 2000)]
        return np.concatenate(chunks) if chunks else np.zeros(tokens.shape, np.float32)

    def grammatical(self, tokens) -> np.ndarray:
        """[N] bool: each sequence of token ids [N, T] is a sentence the grammar derives, eos included."""
        tokens = np.asarray(tokens, np.int32)
        is_eos = tokens == self.eos_id
        up_to_eos = np.cumsum(is_eos, axis=1) - is_eos == 0  # positions up to and including the first eos
        probs = self.token_grammar_probs(tokens)
        return is_eos.any(axis=1) & np.all((probs > 0) | ~up_to_eos, axis=1)
