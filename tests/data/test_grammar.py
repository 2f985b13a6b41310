"""The embedded English grammar and its task (--task=grammar, what --task=auto means without data)."""
import collections
import time

import numpy as np
import pytest
import tensorflow as tf

from tfgan_text.data.grammar import (ADJECTIVES, ANIMATE_NOUNS, GRAMMAR_EPSILON, THING_NOUNS, english_grammar,
                                     grammar_oracle, grammar_task, grammar_vocabulary)
from tfgan_text.data.vocabulary import SPECIAL_TOKENS
from tfgan_text.errors import UsageError
from tfgan_text.sampling import Sampler, SequenceSpec, sequence_log_probs


@pytest.fixture(scope="module")
def small_task():
    return grammar_task(300, 100, 0, log=lambda message: None)


def test_the_grammar_has_a_few_hundred_words_and_sentences_that_fit_t():
    grammar = english_grammar()
    assert 300 <= len(grammar.words) <= 600 and grammar.max_length == 19
    vocabulary = grammar_vocabulary(grammar)
    assert vocabulary.tokens[:4] == list(SPECIAL_TOKENS) and vocabulary.tokens[4:7] == ["the", "a", "in"]
    counts = grammar.expected_counts()[[grammar.words.index(w) for w in vocabulary.tokens[4:]]]
    assert (np.diff(counts) <= 0).all()  # ids by expected frequency
    after_a = [w for pair in ANIMATE_NOUNS + THING_NOUNS for w in pair] + [w for ws in ADJECTIVES.values() for w in ws]
    assert not [w for w in after_a if w[0] in "aeiou"]  # "a" never needs to be "an"


@pytest.mark.parametrize("sentence, derived", [
    ("the dog sleeps", True), ("the dogs sleeps", False), ("the dogs sleep", True), ("dogs sleep", True),
    ("dog sleeps", False), ("the dog near the houses sleeps", True), ("the dog near the houses sleep", False),
    ("the girls who like the cat are happy", True), ("the girls who like the cat is happy", False),
    ("the girl who likes the cats is happy", True), ("the girl who like the cats is happy", False),
    ("there are two dogs in the park", True), ("there is two dogs", False), ("there was a dog", True),
    ("the dog does not sleep", True), ("the dog do not sleep", False), ("the dogs did not sleep", True),
    ("the sheep sleeps", True), ("the sheep sleep", True), ("tom can see the big red ball", True),
    ("tom sees the", False), ("she reads them", True), ("these dog sleeps", False),
    ("the very happy dog sleeps", False), ("the dog is very happy", True), ("a big black dog runs", True)])
def test_agreement_and_structure(sentence, derived):
    assert (english_grammar().sentence_probability(sentence.split()) > 0) == derived


def test_frequent_sentences_occur_as_often_as_their_exact_probabilities_say():
    """Sentences drawn by walking the automaton and by the project's sampler from the pure-grammar oracle:
    the frequent ones occur as often as the exact probabilities (the oracle's conditionals, multiplied)
    say, within binomial noise; those products equal the automaton's own sentence probabilities."""
    grammar = english_grammar()
    vocabulary = grammar_vocabulary(grammar)
    spec = SequenceSpec(len(vocabulary), grammar.max_length + 1, vocabulary.bos_id, vocabulary.eos_id,
                        vocabulary.pad_id, (vocabulary.pad_id, vocabulary.bos_id, vocabulary.unk_id))
    pure = grammar_oracle(grammar, vocabulary, 0.0)
    count = 20000
    walked = [" ".join(words) for words in grammar.sample(count, np.random.default_rng(5))]
    drawn = Sampler(pure, spec)(count, tf.constant([5, 5])).tokens.numpy()
    sampled = [" ".join(vocabulary.decode(row)) for row in drawn]
    for sentences in (walked, sampled):
        observed = collections.Counter(sentences)
        frequent = [sentence for sentence, _ in observed.most_common(100)]
        tokens = np.zeros([len(frequent), spec.max_length], np.int32)
        for row, sentence in enumerate(frequent):
            encoded = vocabulary.encode(sentence.split()) + [vocabulary.eos_id]
            tokens[row, :len(encoded)] = encoded
        exact = np.exp(np.sum(sequence_log_probs(pure, tf.constant(tokens), spec).numpy(), axis=1, dtype=np.float64))
        automaton = np.array([grammar.sentence_probability(sentence.split()) for sentence in frequent])
        np.testing.assert_allclose(exact, automaton, rtol=1e-4)
        expected, counts = count * exact, np.array([observed[sentence] for sentence in frequent])
        kept = expected >= 4  # "he sleeps" (p = 1e-3) ... "the cat is happy"
        assert kept.sum() >= 15
        assert (np.abs(counts[kept] - expected[kept]) <= 5 * np.sqrt(expected[kept]) + 1).all()
        chi_square = ((counts[kept] - expected[kept]) ** 2 / expected[kept]).sum()
        assert chi_square < kept.sum() + 5 * np.sqrt(2 * kept.sum())  # mean: the degrees of freedom
        share, total = exact[kept].sum(), counts[kept].sum()
        assert abs(total - count * share) <= 5 * np.sqrt(count * share)


def test_the_task_samples_grammatical_sentences_and_decodes_words(small_task):
    task = small_task
    assert task.name == "grammar" and task.train.shape == (300, 20) and task.test.shape == (100, 20)
    assert task.spec.banned_ids == (0, 1, 3) and task.spec.vocab_size == len(task.vocabulary)
    assert task.grammatical(task.train).all() and task.grammatical(task.test).all()
    assert "fresh grammar samples" in task.test_description
    text = task.decode(task.train[0])
    assert text and all(word in english_grammar().words for word in text.split())
    assert task.oracle.epsilon == GRAMMAR_EPSILON
    with pytest.raises(UsageError, match="not the embedded grammar's"):
        grammar_task(1, 1, 0, vocabulary=grammar_vocabulary(english_grammar()).__class__(list(SPECIAL_TOKENS)),
                     log=lambda message: None)


def test_nll_oracle_of_10000_samples_takes_seconds(small_task):
    from tfgan_text.metrics.likelihood import NegativeLogLikelihood

    task = small_task
    tokens = Sampler(task.oracle, task.spec)(10000, tf.constant([1, 2])).tokens.numpy()
    score = NegativeLogLikelihood(task.oracle, task.spec)
    score(tokens[:10])  # traced
    started = time.time()
    nll = score(tokens)
    share = task.grammatical(tokens).mean()
    elapsed = time.time() - started
    assert 2.5 < nll < 4.5 and 0.8 < share < 1.0  # epsilon 0.01 makes about 1 in 10 ungrammatical
    assert elapsed < 30, elapsed  # about 2 s on a busy 2-core machine


def test_auto_means_the_grammar_without_data_and_the_oracle_stays_one_flag_away():
    from tfgan_text.config import ConfigError, MLEConfig
    from tfgan_text.data.build import build_task

    quiet = dict(oracle_num_train=8, oracle_num_test=8)
    assert MLEConfig().task_kind == "grammar" and MLEConfig(train_data="x.txt").task_kind == "corpus"
    assert build_task(MLEConfig(**quiet), log=lambda m: None).name == "grammar"
    oracle = build_task(MLEConfig(task="oracle", oracle_vocab_size=30, oracle_length=6, **quiet), log=lambda m: None)
    assert oracle.name == "oracle" and oracle.grammatical is None
    with pytest.raises(UsageError, match="--task=grammar: reads no --train_data"):
        build_task(MLEConfig(task="grammar", train_data="x.txt"), log=lambda m: None)
    with pytest.raises(ConfigError, match="add --task=oracle"):
        MLEConfig(oracle_params="oracle.npz")


def test_a_tiny_mle_run_raises_the_grammatical_share_and_lowers_nll_oracle():
    import tfgan_text as tt

    config = tt.MLEConfig(oracle_num_train=2000, oracle_num_test=200, embedding_dim=32, hidden_dim=64,
                          batch_size=64, learning_rate=0.02, num_eval_samples=500, samples_to_write=0)
    task = tt.build_task(config, log=lambda m: None)
    before = tt.train("mle", config.replace(steps=1), task=task, log=lambda m: None)[-1]
    after = tt.train("mle", config.replace(steps=120), task=task, log=lambda m: None)[-1]
    assert {"nll_oracle", "grammatical", "nll_test", "nll_train"} <= set(after)
    assert after["grammatical"] > before["grammatical"] + 0.15
    assert after["nll_oracle"] < before["nll_oracle"] - 0.7


def test_the_default_mle_command_trains_on_the_grammar_and_prints_sentences(tmp_path, capsys):
    """flags/mle.cfg without data: the grammar task; the console and the samples file hold sentences,
    TensorBoard the grammatical share, and the run is restored (with its saved vocabulary) and evaluated
    like any other."""
    from tfgan_text import evaluate, main

    logdir = tmp_path / "run"
    assert main.run(["x", "--method=mle", "--steps=3", "--oracle_num_train=64", "--oracle_num_test=16",
                     "--num_eval_samples=16", "--samples_to_write=4", f"--logdir={logdir}"]) == 0
    out = capsys.readouterr().out
    assert "mle on grammar:" in out and "GRAMMATICAL: " in out and "samples (the first 5 of 16):" in out
    words = set(english_grammar().words)
    shown = out.split("samples (the first 5 of 16):\n")[1].splitlines()[:5]
    written = (logdir / "samples" / "step_00000003.txt").read_text().splitlines()
    assert len(written) == 4
    for line in [line.strip() for line in shown] + written:
        assert set(line.split()) <= words  # words, never ids
    tags = {value.tag for path in logdir.glob("eval/events.*") for event in tf.compat.v1.train.summary_iterator(
        str(path)) for value in event.summary.value}
    assert {"nll_oracle", "grammatical", "nll_test"} <= tags  # TensorBoard
    assert evaluate.run(["x", f"--checkpoint_dir={logdir}", "--metrics=nll", "--num_samples=16"]) == 0
    assert "GRAMMATICAL: " in capsys.readouterr().out
