"""The probabilistic finite-state grammar and its exact next-token model (tfgan_text/models/grammar.py)."""
import itertools

import numpy as np
import pytest
import tensorflow as tf

from tfgan_text.data.vocabulary import SPECIAL_TOKENS, Vocabulary
from tfgan_text.models.grammar import END, GrammarOracle, ProbabilisticGrammar
from tfgan_text.sampling import SequenceSpec, sample, sequence_log_probs


def tiny_grammar() -> ProbabilisticGrammar:
    """Number agreement with ambiguous words ("the", "fish", "swam" each in two states): a sentence's
    probability is a sum over derivations. At most 3 words."""
    return ProbabilisticGrammar.from_rules(
        start={"det_sg": 2, "det_pl": 1, "name": 1},
        rules={"det_sg": ({"the": 2, "a": 1}, {"noun_sg": 1}),
               "det_pl": ({"the": 1, "some": 1}, {"noun_pl": 1}),
               "noun_sg": ({"fish": 1, "cat": 2}, {"verb_sg": 3, END: 1}),
               "noun_pl": ({"fish": 1, "cats": 1}, {"verb_pl": 1}),
               "name": ({"tom": 1}, {"verb_sg": 1}),
               "verb_sg": ({"swims": 1, "swam": 1}, {END: 1}),
               "verb_pl": ({"swim": 1, "swam": 1}, {END: 1})})


def tiny_setup(epsilon: float):
    grammar = tiny_grammar()
    vocabulary = Vocabulary(list(SPECIAL_TOKENS) + list(grammar.words))
    oracle = GrammarOracle(grammar, vocabulary.encode(grammar.words), len(vocabulary), vocabulary.bos_id,
                           vocabulary.eos_id, epsilon)
    spec = SequenceSpec(len(vocabulary), grammar.max_length + 1, vocabulary.bos_id, vocabulary.eos_id,
                        vocabulary.pad_id, (vocabulary.pad_id, vocabulary.bos_id, vocabulary.unk_id))
    return grammar, vocabulary, oracle, spec


def every_sequence(vocabulary: Vocabulary, length: int) -> np.ndarray:
    """Every sequence of at most `length` tokens over the words and eos: k words then eos (k < length), or
    `length` words without eos; padded."""
    words = list(range(4, len(vocabulary)))
    rows = []
    for k in range(length + 1):
        for prefix in itertools.product(words, repeat=k):
            rows.append(list(prefix) + ([vocabulary.eos_id] if k < length else []) + [0] * (length - k - 1))
    return np.array(rows, np.int32)


def reference_log_q(grammar, vocabulary, epsilon, tokens) -> list[float]:
    """log q(x_t | x_<t) of one sequence, as the module docstring states it, in float64 (independent of the
    TensorFlow code): q = (1 - eps) p_G + eps / N after a prefix the grammar derives, else 1 / N."""
    num_tokens = len(grammar.words) + 1
    word_of = {vocabulary.encode([word])[0]: i for i, word in enumerate(grammar.words)}
    rho, out = np.append(grammar.start, 0.0), []
    for token in tokens:
        if token == vocabulary.eos_id:
            p = rho[-1]
        else:
            p = rho[:-1] @ grammar.emissions[:, word_of[token]] if token in word_of else 0.0
        derived = rho.sum() > 0.5
        out.append(np.log((1 - epsilon) * p + epsilon / num_tokens if derived else 1 / num_tokens))
        if token == vocabulary.eos_id:
            break
        emitted = rho[:-1] * grammar.emissions[:, word_of[token]] if token in word_of else 0 * rho[:-1]
        rho = (emitted / emitted.sum()) @ grammar.transitions if emitted.sum() > 0 else 0 * rho
    return out


def test_the_grammar_is_normalised_and_bounded():
    grammar = tiny_grammar()
    assert grammar.max_length == 3 and len(grammar.words) == 10
    np.testing.assert_allclose(grammar.transitions.sum(axis=1), 1)
    np.testing.assert_allclose(grammar.emissions.sum(axis=1), 1)
    assert grammar.sentence_probability(["the", "fish", "swam"]) == pytest.approx(  # two derivations
        2 / 4 * 2 / 3 * 1 / 3 * 3 / 4 * 1 / 2 + 1 / 4 * 1 / 2 * 1 / 2 * 1 * 1 / 2)
    assert grammar.sentence_probability(["the", "cats", "swims"]) == 0  # agreement
    with pytest.raises(ValueError, match="cycle"):
        ProbabilisticGrammar.from_rules({"a": 1}, {"a": ({"x": 1}, {"a": 1, END: 1})})
    with pytest.raises(ValueError, match="no sentence reaches: b"):
        ProbabilisticGrammar.from_rules({"a": 1}, {"a": ({"x": 1}, {END: 1}), "b": ({"y": 1}, {END: 1})})
    with pytest.raises(ValueError, match="unknown state 'c'"):
        ProbabilisticGrammar.from_rules({"a": 1}, {"a": ({"x": 1}, {"c": 1})})


@pytest.mark.parametrize("epsilon", [0.0, 0.1])
def test_probabilities_of_all_sequences_sum_to_one_by_enumeration(epsilon):
    """Every sequence of up to T tokens (11,111 of them), scored by the oracle's conditionals: the
    products sum to 1; with epsilon 0 they are the grammar's exact sentence probabilities."""
    grammar, vocabulary, oracle, spec = tiny_setup(epsilon)
    tokens = every_sequence(vocabulary, spec.max_length)
    assert len(tokens) == 1 + 10 + 100 + 1000 + 10000
    probs = np.exp(tf.reduce_sum(sequence_log_probs(oracle, tf.constant(tokens), spec), axis=1).numpy()
                   .astype(np.float64))
    assert probs.sum() == pytest.approx(1.0, abs=2e-5)
    exact = np.array([grammar.sentence_probability(vocabulary.decode(row)) if (row == 2).any() else 0.0
                      for row in tokens])
    assert exact.sum() == pytest.approx(1.0, abs=1e-12)  # the automaton alone (float64, no conditionals)
    np.testing.assert_array_equal(oracle.grammatical(tokens), exact > 0)
    if epsilon == 0:
        np.testing.assert_allclose(probs, exact, rtol=1e-5, atol=1e-9)
    else:  # every sequence has a share; the grammar's sentences keep most of the mass
        assert probs.min() > 0 and probs[exact > 0].sum() > 0.6


def test_ungrammatical_tokens_get_exactly_the_stated_floor():
    epsilon = 0.1
    grammar, vocabulary, oracle, spec = tiny_setup(epsilon)
    num_tokens = oracle.num_tokens
    assert num_tokens == 11  # 10 words and eos
    tokens = np.array([vocabulary.encode(["the", "swims", "cat"]) + [vocabulary.eos_id],
                       vocabulary.encode(["tom", "swims", "cat"]) + [vocabulary.eos_id],  # no END after 3 words
                       vocabulary.encode(["tom", "swims"]) + [vocabulary.eos_id, 0]], np.int32)
    log_q = sequence_log_probs(oracle, tf.constant(tokens), spec).numpy()
    p_the = 2 / 4 * 2 / 3 + 1 / 4 * 1 / 2
    expected = [[np.log((1 - epsilon) * p_the + epsilon / num_tokens), np.log(epsilon / num_tokens),
                 np.log(1 / num_tokens), np.log(1 / num_tokens)],
                [np.log((1 - epsilon) / 4 + epsilon / num_tokens), np.log((1 - epsilon) / 2 + epsilon / num_tokens),
                 np.log(epsilon / num_tokens), np.log(1 / num_tokens)],
                [np.log((1 - epsilon) / 4 + epsilon / num_tokens), np.log((1 - epsilon) / 2 + epsilon / num_tokens),
                 np.log(1 - epsilon + epsilon / num_tokens), 0.0]]
    np.testing.assert_allclose(log_q, expected, rtol=2e-6)
    np.testing.assert_array_equal(oracle.grammatical(tokens), [False, False, True])
    # pad, bos and unk are never generated; with epsilon 0 an ungrammatical token has probability 0
    logits = oracle(tf.constant([[vocabulary.bos_id]]))[0, 0].numpy()
    assert (logits[[0, 1, 3]] < -1e8).all()
    pure = tiny_setup(0.0)[2]
    assert (sequence_log_probs(pure, tf.constant(tokens[:1]), spec).numpy()[0, 1] < -1e8)


def test_step_by_step_logits_equal_the_teacher_forced_ones():
    grammar, vocabulary, oracle, spec = tiny_setup(0.05)
    rng = np.random.default_rng(0)
    random_rows = rng.integers(0, len(vocabulary), size=(6, 7)).astype(np.int32)  # bos, eos, pad mid-way too
    sentences = [vocabulary.encode(words) + [vocabulary.eos_id] for words in grammar.sample(6, rng)]
    grammatical = np.array([row + [0] * (7 - len(row)) for row in sentences], np.int32)
    for tokens in (random_rows, grammatical):
        inputs = np.concatenate([np.full([len(tokens), 1], vocabulary.bos_id, np.int32), tokens[:, :-1]], axis=1)
        forced = oracle(tf.constant(inputs)).numpy()
        state = oracle.initial_state(len(tokens))
        for t in range(inputs.shape[1]):
            logits, state = oracle.step(tf.constant(inputs[:, t]), state)
            np.testing.assert_array_equal(logits.numpy(), forced[:, t])


def test_the_samplers_log_probs_equal_the_scorers_and_the_stated_formula():
    """Sampled from the mixed oracle (so that ungrammatical sequences occur), tokens are scored by
    teacher forcing exactly as the sampler scored them, and as the formula of the module docstring says."""
    from tfgan_text.data.grammar import english_grammar, grammar_oracle, grammar_vocabulary

    epsilon = 0.2
    grammar = english_grammar()
    vocabulary = grammar_vocabulary(grammar)
    oracle = grammar_oracle(grammar, vocabulary, epsilon)
    spec = SequenceSpec(len(vocabulary), grammar.max_length + 1, vocabulary.bos_id, vocabulary.eos_id,
                        vocabulary.pad_id, (vocabulary.pad_id, vocabulary.bos_id, vocabulary.unk_id))
    samples = sample(oracle, spec, 400, tf.constant([3, 4]))
    forced = sequence_log_probs(oracle, samples.tokens, spec).numpy()
    np.testing.assert_allclose(samples.log_probs.numpy(), forced, rtol=1e-5, atol=1e-5)
    derived = oracle.grammatical(samples.tokens.numpy())
    assert 0.05 < derived.mean() < 0.95  # both kinds are checked
    for row, scores in zip(samples.tokens.numpy()[:60], forced[:60]):
        reference = reference_log_q(grammar, vocabulary, epsilon, row)
        np.testing.assert_allclose(scores[:len(reference)], reference, rtol=1e-5, atol=1e-5)
