import numpy as np
import tensorflow as tf

from tfgan_text.losses.ranking import (log_rank_scores, rank_distribution, rank_scores, ranker_accuracy,
                                       ranker_loss, relevance)
from tfgan_text.models.discriminator import Discriminator


def test_relevance_is_the_cosine_of_features():
    a, u = tf.constant([[3.0, 4.0], [1.0, 0.0]]), tf.constant([[0.0, 2.0]])
    np.testing.assert_allclose(relevance(a, u).numpy(), [[0.8], [0.0]], atol=1e-6)


def test_rank_scores_sum_to_one_over_a_comparison_set():
    rng = np.random.default_rng(0)
    features = tf.constant(rng.normal(size=(7, 5)), tf.float32)
    references = tf.constant(rng.normal(size=(4, 5)), tf.float32)
    for gamma in (1.0, 3.0):
        scores = rank_distribution(features, references, gamma).numpy()
        assert np.all(scores > 0) and abs(scores.sum() - 1.0) < 1e-5
        # Each sentence ranked alone against the other six gets its share of the same distribution.
        for i in range(7):
            others = tf.concat([features[:i], features[i + 1:]], axis=0)
            np.testing.assert_allclose(rank_scores(features[i:i + 1], others, references, gamma).numpy(),
                                       scores[i:i + 1], rtol=1e-5)
    # By hand, for one reference: P(s|u) = exp(cos) / sum exp(cos), averaged over references.
    cos = relevance(features, references).numpy()
    by_hand = (np.exp(cos) / np.exp(cos).sum(axis=0)).mean(axis=1)
    np.testing.assert_allclose(rank_distribution(features, references).numpy(), by_hand, rtol=1e-5)
    np.testing.assert_allclose(np.exp(log_rank_scores(features[:1], features[1:], references).numpy()),
                               by_hand[:1], rtol=1e-5)


def test_ranker_loss_learns_to_rank_real_above_generated_on_a_separable_toy_set():
    rng = np.random.default_rng(1)
    real = tf.constant(rng.integers(0, 10, size=(32, 6)), tf.int32)  # "real": low ids
    generated = tf.constant(rng.integers(10, 20, size=(32, 6)), tf.int32)  # "generated": high ids
    references = tf.constant(rng.integers(0, 10, size=(8, 6)), tf.int32)
    ranker = Discriminator(20, 6, 8, (1, 2), (8, 8), dropout=0.0).build_variables()
    optimizer = tf.keras.optimizers.Adam(0.01)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = ranker_loss(ranker.features(real), ranker.features(generated), ranker.features(references))
        grads = tape.gradient(loss, ranker.trainable_variables)
        optimizer.apply([g if g is not None else tf.zeros_like(v) for g, v in zip(grads, ranker.trainable_variables)],
                        ranker.trainable_variables)
        return loss

    first = float(step())
    for _ in range(40):
        last = float(step())
    assert last < first - 0.5
    f_real, f_gen, f_ref = ranker.features(real), ranker.features(generated), ranker.features(references)
    assert float(ranker_accuracy(f_real, f_gen, f_ref)) == 1.0
    # A real sentence ranks above any generated one against the same comparison set.
    comparison = f_gen[1:]
    assert float(tf.reduce_min(rank_scores(f_real, comparison, f_ref))) > float(
        tf.reduce_max(rank_scores(f_gen[:1], comparison, f_ref)))
