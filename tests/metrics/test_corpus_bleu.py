import math
import random
import time
import warnings

import pytest
from nltk.translate.bleu_score import corpus_bleu as nltk_corpus_bleu
from nltk.translate.bleu_score import sentence_bleu as nltk_sentence_bleu

from tfgan_text.metrics.corpus_bleu import corpus_bleu


def nltk_scores(hypotheses, references, max_n=4):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns about zero n-gram overlaps
        return {n: nltk_corpus_bleu(references, hypotheses, weights=(1 / n,) * n) for n in range(1, max_n + 1)}


def random_corpus(rng, vocab, max_length=10, max_references=3):
    hypotheses, references = [], []
    for _ in range(rng.randint(1, 20)):
        hypotheses.append([rng.choice(vocab) for _ in range(rng.randint(0, max_length))])
        references.append([[rng.choice(vocab) for _ in range(rng.randint(0, max_length))]
                           for _ in range(rng.randint(1, max_references))])
    return hypotheses, references


@pytest.mark.parametrize("tokens", ["words", "ids"])
def test_equals_nltk_on_random_corpora_with_several_references(tokens):
    rng = random.Random(0 if tokens == "words" else 1)
    for trial in range(60):
        size = rng.randint(2, 6)
        vocab = [f"w{i}" for i in range(size)] if tokens == "words" else list(range(size))
        max_n = rng.randint(1, 6)
        hypotheses, references = random_corpus(rng, vocab)
        ours, theirs = corpus_bleu(hypotheses, references, max_n=max_n), nltk_scores(hypotheses, references, max_n)
        assert sorted(ours) == list(range(1, max_n + 1))
        for n in ours:
            assert ours[n] == pytest.approx(theirs[n], rel=1e-12, abs=1e-12), (trial, n)


def test_hand_example_equals_nltk_and_hand_arithmetic():
    hypotheses = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "ran"]]
    references = [[["the", "cat", "is", "on", "the", "mat"], ["there", "is", "a", "cat", "on", "the", "mat"]],
                  [["a", "dog", "ran", "away"]]]
    ours = corpus_bleu(hypotheses, references, max_n=2)
    assert ours == pytest.approx(nltk_scores(hypotheses, references, 2), rel=1e-12, abs=1e-12)
    # Pooled: unigrams 5/6 + 3/3, bigrams 3/5 + 2/2; lengths 9 vs closest references 6 + 4 = 10.
    penalty = math.exp(1 - 10 / 9)
    assert ours[1] == pytest.approx(penalty * 8 / 9, rel=1e-12)
    assert ours[2] == pytest.approx(penalty * math.sqrt(8 / 9 * 5 / 7), rel=1e-12)


def test_pools_counts_over_the_corpus_instead_of_averaging_sentences():
    hypotheses = [["a", "b", "c", "d"], ["x", "y"]]
    references = [[["a", "b", "c", "d"]], [["x", "z"]]]
    ours = corpus_bleu(hypotheses, references, max_n=2)[2]
    assert ours == pytest.approx(math.sqrt(5 / 6 * 3 / 4), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mean_of_sentences = sum(nltk_sentence_bleu(r, h, weights=(0.5, 0.5))
                                for h, r in zip(hypotheses, references)) / 2
    assert abs(ours - mean_of_sentences) > 0.1


def test_clips_each_ngram_at_its_largest_count_in_one_reference():
    # "the" appears twice in the second reference, once in the first: clipped at 2, not 1 or 3.
    scores = corpus_bleu([["the"] * 7], [[["the", "cat"], ["the", "the", "mat"]]], max_n=1)
    assert scores[1] == pytest.approx(2 / 7, rel=1e-12)
    # A reference belongs only to its own hypothesis.
    assert corpus_bleu([["a"], ["b"]], [[["b"]], [["a"]]], max_n=1)[1] == 0.0


def test_perfect_match_is_one_for_words_and_ids():
    assert corpus_bleu([["a", "b", "c", "d", "e"], ["f", "g", "h", "i"]],
                       [[["a", "b", "c", "d", "e"]], [["q"], ["f", "g", "h", "i"]]]) == {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0}
    assert corpus_bleu([[1, 2, 3, 4, 5]], [[[1, 2, 3, 4, 5]]])[4] == 1.0


def test_brevity_penalty_uses_the_closest_reference_length():
    assert corpus_bleu([["a", "b"]], [[["a", "b", "c", "d"]]])[1] == pytest.approx(math.exp(1 - 4 / 2), rel=1e-12)
    # Closest length to 2 among (4, 3) is 3.
    assert corpus_bleu([["a", "b"]], [[["a", "b", "c", "d"], ["a", "b", "x"]]])[1] == pytest.approx(
        math.exp(1 - 3 / 2), rel=1e-12)
    # Tie between 2 and 4 for a length-3 hypothesis goes to the shorter: no penalty (3 > 2).
    assert corpus_bleu([["a", "b", "c"]], [[["a", "b", "c", "d"], ["a", "b"]]])[1] == 1.0
    # Longer hypotheses are not penalised; precision alone lowers the score.
    assert corpus_bleu([["a", "b", "c", "d"]], [[["a", "b"]]])[1] == pytest.approx(0.5, rel=1e-12)


def test_empty_hypothesis_counts_its_zero_length():
    hypotheses, references = [["a", "b"], []], [[["a", "b"]], [["c", "d", "e"]]]
    ours = corpus_bleu(hypotheses, references)
    assert ours == pytest.approx(nltk_scores(hypotheses, references), rel=1e-12, abs=1e-12)
    # Unigrams 2 / (2 + 1) (an empty sentence's denominator is 1); lengths 2 vs 2 + 3.
    assert ours[1] == pytest.approx(math.exp(1 - 5 / 2) * 2 / 3, rel=1e-12)
    assert corpus_bleu([[]], [[["a"]]]) == {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0}


def test_zero_precision_gives_zero_like_nltk():
    ours = corpus_bleu([["a", "b", "a"]], [[["b", "a", "b"]]], max_n=3)  # no trigram matches
    assert ours[1] == pytest.approx(2 / 3) and ours[2] > 0.5
    assert ours[3] == pytest.approx(nltk_scores([["a", "b", "a"]], [[["b", "a", "b"]]], 3)[3], abs=1e-12)
    assert ours[3] < 1e-90


def test_bad_input():
    with pytest.raises(ValueError, match="2 hypotheses but 1 reference lists"):
        corpus_bleu([["a"], ["b"]], [[["a"]]])
    with pytest.raises(ValueError, match="empty corpus"):
        corpus_bleu([], [])
    with pytest.raises(ValueError, match="hypothesis 0 has no reference"):
        corpus_bleu([["a"]], [[]])
    with pytest.raises(ValueError, match="max_n"):
        corpus_bleu([["a"]], [[["a"]]], max_n=0)
    with pytest.raises(TypeError, match="not a string"):
        corpus_bleu(["a b"], [[["a", "b"]]])
    with pytest.raises(TypeError, match="not a string"):
        corpus_bleu([["a", "b"]], [["a b"]])


def test_ten_thousand_pairs_are_fast():
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(1000)]
    hypotheses = [[rng.choice(vocab) for _ in range(rng.randint(5, 30))] for _ in range(10_000)]
    references = [[h[2:] + [rng.choice(vocab) for _ in range(3)]] for h in hypotheses]
    start = time.perf_counter()
    scores = corpus_bleu(hypotheses, references)
    elapsed = time.perf_counter() - start
    assert 0.5 < scores[4] < 1.0
    assert elapsed < 5.0  # about 0.2 s on an idle core; the bound only catches accidental quadratic work
