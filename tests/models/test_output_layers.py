"""Each output layer's training loss is a proper estimate of what it claims (models/output_layers.py).

Tiny vocabularies, so expectations over the negatives are computed by averaging
over many seeds and compared with exact values: the full-softmax gradient for
the consistent estimator (sampled softmax), the closed-form expected gradients
for NCE and negative sampling, exact reductions for BlackOut, and
normalisation for the hierarchical softmax.
"""
import numpy as np
import pytest
import tensorflow as tf

from tfgan_text.models import output_layers as ol
from tfgan_text.models.generator import Generator
from tfgan_text.sampling import SequenceSpec, sequence_log_probs, teacher_forcing_inputs

V, H, N = 8, 5, 6
SKEWED_Q = np.array([8, 4, 2, 1, 1, 1, 0.5, 0.5]) / 18.0  # a proposal far from uniform


def problem(seed=0):
    rng = np.random.default_rng(seed)
    return (tf.constant(rng.normal(size=(H, V)), tf.float32), tf.constant(rng.normal(size=V), tf.float32),
            tf.constant(rng.normal(size=(N, H)), tf.float32), tf.constant(rng.integers(0, V, N), tf.int32))


def proposal(q):
    return tf.constant(np.log(q), tf.float32), tf.constant(np.cumsum(q), tf.float64)


def flat_gradient(loss_fn, kernel, bias, hidden, labels, *extra):
    with tf.GradientTape() as tape:
        tape.watch([kernel, bias, hidden])
        loss = tf.reduce_mean(loss_fn(kernel, bias, hidden, labels, *extra))
    return tf.concat([tf.reshape(g, [-1]) for g in tape.gradient(loss, [kernel, bias, hidden])], axis=0)


def mean_over_seeds(fn, num_seeds):
    compiled = tf.function(fn)
    return np.mean([compiled(tf.constant([i, 7])).numpy() for i in range(num_seeds)], axis=0)


def test_candidates_follow_the_proposal_and_the_seed():
    log_q, cdf = proposal(SKEWED_Q)
    ids = ol.draw_candidates(log_q, cdf, 40_000, tf.constant([3, 4])).numpy()
    assert ids.min() >= 0 and ids.max() < V
    frequencies = np.bincount(ids, minlength=V) / len(ids)
    assert np.max(np.abs(frequencies - SKEWED_Q)) < 0.01  # binomial sd <= 0.0025
    again = ol.draw_candidates(log_q, cdf, 40_000, tf.constant([3, 4])).numpy()
    other = ol.draw_candidates(log_q, cdf, 40_000, tf.constant([3, 5])).numpy()
    assert np.array_equal(ids, again) and not np.array_equal(ids, other)
    q = ol.log_uniform_probabilities(50_000)
    assert abs(q.sum() - 1) < 1e-9 and np.all(np.diff(q) < 0)


def test_losses_equal_tensorflow_given_the_same_candidates():
    kernel, bias, hidden, labels = problem()
    log_q, _ = proposal(SKEWED_Q)
    sampled = tf.constant([5, 0, 3, 1], tf.int32)  # unique: TF's accidental-hit removal presupposes it
    k = 4
    sampled_counts = k * tf.exp(tf.gather(log_q, sampled))
    true_counts = k * tf.exp(tf.gather(log_q, labels))[:, None]
    tf_args = dict(weights=tf.transpose(kernel), biases=bias, labels=tf.cast(labels[:, None], tf.int64),
                   inputs=hidden, num_sampled=k, num_classes=V)
    tf_sampled = tf.cast(sampled, tf.int64)
    reference = tf.nn.nce_loss(**tf_args, sampled_values=(tf_sampled, true_counts, sampled_counts))
    np.testing.assert_allclose(ol.nce_loss(kernel, bias, hidden, labels, sampled, log_q), reference, rtol=1e-5)
    ones = tf.ones_like(true_counts)
    reference = tf.nn.nce_loss(**tf_args, sampled_values=(tf_sampled, ones, tf.ones_like(sampled_counts)))
    np.testing.assert_allclose(ol.negative_sampling_loss(kernel, bias, hidden, labels, sampled, log_q), reference,
                               rtol=1e-5)
    reference = tf.nn.sampled_softmax_loss(**tf_args, sampled_values=(tf_sampled, ones, sampled_counts),
                                           remove_accidental_hits=True)
    np.testing.assert_allclose(ol.sampled_softmax_loss(kernel, bias, hidden, labels, sampled, log_q), reference,
                               rtol=1e-5)


def test_sampled_softmax_gradient_tends_to_the_full_softmax_gradient():
    """Self-normalised importance sampling: unbiased in the limit, bias O(1/k) (measured 3/k here).

    With 300 seeds the Monte Carlo error of the mean is ~0.7% of the gradient's norm at
    k = 256 (1.5% at 64), so: <3% at k = 256, <8% at k = 64, and shrinking with k. Without
    the log(k q) correction the limit is a different gradient (45% off), which must fail.
    """
    kernel, bias, hidden, labels = problem()
    log_q, cdf = proposal(SKEWED_Q)
    full = flat_gradient(ol.full_softmax_loss, kernel, bias, hidden, labels).numpy()

    def relative_error(k, assumed_log_q):
        def gradient(seed):
            sampled = ol.draw_candidates(log_q, cdf, k, seed)
            return flat_gradient(ol.sampled_softmax_loss, kernel, bias, hidden, labels, sampled, assumed_log_q)
        return np.linalg.norm(mean_over_seeds(gradient, 300) - full) / np.linalg.norm(full)

    error_64, error_256 = relative_error(64, log_q), relative_error(256, log_q)
    assert error_256 < 0.03 and error_64 < 0.08 and error_256 < error_64 / 2
    assert relative_error(256, tf.fill([V], float(np.log(1 / V)))) > 0.3  # the correction forgotten


def expected_pair_gradient(z, pi, q, k, corrected):
    """Closed form of E[d loss / d z] for NCE (corrected) and negative sampling, targets ~ pi."""
    shift = np.log(k * q) if corrected else 0.0
    sigma = 1 / (1 + np.exp(-(z - shift)))
    return -pi * (1 - sigma) + k * q * sigma


@pytest.mark.parametrize("kind", ["nce", "negative_sampling"])
def test_nce_and_negative_sampling_expected_gradients_and_optima(kind):
    """Logits alone (hidden = 0, bias = z); the expectation over targets ~ pi is exact (weights pi_y),
    the one over the k shared negatives is a mean over 400 seeds."""
    pi = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03])
    q, k = SKEWED_Q, 16
    log_q, cdf = proposal(q)
    loss_fn = ol.SAMPLED_LOSSES[kind]
    corrected = kind == "nce"
    kernel, hidden, labels = tf.zeros([H, V]), tf.zeros([V, H]), tf.range(V)

    def mc_gradient(z):
        z = tf.constant(z, tf.float32)

        def gradient(seed):
            sampled = ol.draw_candidates(log_q, cdf, k, seed)
            with tf.GradientTape() as tape:
                tape.watch(z)
                loss = tf.reduce_sum(pi * loss_fn(kernel, z, hidden, labels, sampled, log_q))
            return tf.convert_to_tensor(tape.gradient(loss, z))
        return mean_over_seeds(gradient, 400)

    random_z = np.random.default_rng(1).normal(size=V)
    # per-word sd of one draw <= sqrt(k q) ~ 1.9, so the mean of 400 is within ~0.1 (0.3 = 3 sd)
    np.testing.assert_allclose(mc_gradient(random_z), expected_pair_gradient(random_z, pi, q, k, corrected),
                               atol=0.3)
    optimum = np.log(pi) - (0.0 if corrected else np.log(k * q))
    assert np.max(np.abs(mc_gradient(optimum))) < 0.3
    assert np.max(np.abs(expected_pair_gradient(optimum, pi, q, k, corrected))) < 1e-6
    if corrected:  # NCE's optimum is self-normalised: the softmax optimum shifted by +1 is not one
        assert np.max(np.abs(expected_pair_gradient(optimum + 1.0, pi, q, k, True))) > 0.4
        assert abs(np.exp(optimum).sum() - 1.0) < 1e-9
    else:  # negative sampling learns log p - log(k q): the true softmax only for a uniform proposal
        uniform = np.full(V, 1 / V)
        uniform_optimum = np.log(pi) - np.log(k * uniform)
        assert np.max(np.abs(expected_pair_gradient(uniform_optimum, pi, uniform, k, False))) < 1e-6
        np.testing.assert_allclose(np.exp(uniform_optimum) / np.exp(uniform_optimum).sum(), pi, rtol=1e-9)
        assert np.max(np.abs(np.exp(optimum) / np.exp(optimum).sum() - pi)) > 0.05


def test_negative_sampling_pushes_the_target_up_and_the_negatives_down():
    kernel, bias, hidden, labels = problem(2)
    sampled = tf.constant([s for s in range(V) if s != int(labels[0])][:3], tf.int32)
    with tf.GradientTape() as tape:
        tape.watch(bias)
        loss = ol.negative_sampling_loss(kernel, bias, hidden[:1], labels[:1], sampled, tf.zeros([V]))
    gradient = tf.convert_to_tensor(tape.gradient(loss, bias)).numpy()
    assert gradient[int(labels[0])] < 0 and np.all(gradient[sampled.numpy()] > 0)
    others = np.setdiff1d(np.arange(V), np.append(sampled.numpy(), int(labels[0])))
    assert np.all(gradient[others] == 0)


def test_blackout_reduces_to_the_full_softmax_and_weights_by_inverse_proposal():
    kernel, bias, hidden, labels = problem(3)
    logits = (hidden @ kernel + bias).numpy()
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    rows = np.arange(N)
    # the whole vocabulary as the sample, uniform proposal: weights 1/(k q) = 1, the target removed from it
    loss = ol.blackout_loss(kernel, bias, hidden, labels, tf.range(V), tf.fill([V], float(np.log(1 / V)))).numpy()
    others = np.where(np.arange(V)[None] != labels.numpy()[:, None], np.log1p(-p), 0.0).sum(1)
    np.testing.assert_allclose(loss, -np.log(p[rows, labels.numpy()]) - others, rtol=1e-5)
    # one negative s, skewed proposal: p~_y = a_y / (a_y + a_s), a_j = exp(z_j) / q_j; loss = -2 log p~_y
    log_q, _ = proposal(SKEWED_Q)
    s = 3
    keep = labels.numpy() != s
    loss = ol.blackout_loss(kernel, bias, hidden, labels, tf.constant([s]), log_q).numpy()
    a_y = np.exp(logits[rows, labels.numpy()]) / SKEWED_Q[labels.numpy()]
    a_s = np.exp(logits[:, s]) / SKEWED_Q[s]
    np.testing.assert_allclose(loss[keep], -2 * np.log(a_y / (a_y + a_s))[keep], rtol=1e-5)
    np.testing.assert_allclose(loss[~keep], 0.0, atol=1e-6)  # the only negative was the target: removed


@pytest.mark.parametrize("vocab_size, classes", [(50, 0), (10, 6), (37, 4)])
def test_hierarchical_softmax_is_normalised_and_trains_the_exact_log_probs(vocab_size, classes):
    counts = np.random.default_rng(vocab_size).integers(0, 1000, vocab_size)
    spec = ol.OutputLayerSpec("hierarchical_softmax", word_counts=counts, num_classes=classes)
    generator = Generator(vocab_size, 4, 6, init_stddev=0.5, output=spec).build_variables()
    layer = generator.output_layer
    assert layer.num_classes * layer.class_size >= vocab_size > (layer.num_classes - 1) * layer.class_size
    inputs = tf.constant(np.random.default_rng(1).integers(0, vocab_size, (3, 5)), tf.int32)
    log_probs = generator(inputs)  # the exact normalised log p over V, used as logits everywhere
    np.testing.assert_allclose(tf.reduce_sum(tf.exp(log_probs), -1), 1.0, atol=1e-5)
    hidden = tf.reshape(generator.hidden_states(inputs), [-1, 6])
    targets = tf.reshape(inputs, [-1])
    expected = tf.gather(tf.reshape(log_probs, [-1, vocab_size]), targets, batch_dims=1)
    np.testing.assert_allclose(layer.target_log_probs(hidden, targets), expected, atol=1e-5)
    step_logits, _ = generator.step(inputs[:, 0], generator.initial_state(3))
    np.testing.assert_allclose(step_logits, log_probs[:, 0], atol=1e-5)
    seq_spec = SequenceSpec(vocab_size, 5, bos_id=0)  # the one scoring path: softmax(log p) = p
    teacher_logits = generator(teacher_forcing_inputs(inputs, 0))
    np.testing.assert_allclose(sequence_log_probs(generator, inputs, seq_spec),
                               tf.gather(teacher_logits, inputs, batch_dims=2), atol=1e-5)
    slots = layer.slot_of_word.numpy()  # the most frequent words share the first class
    most_frequent = np.argsort(-counts, kind="stable")[:layer.class_size]
    assert set(slots[most_frequent] // layer.class_size) == {0}


def test_token_counts_skip_padding_after_eos():
    tokens = np.array([[4, 2, 0, 0], [5, 5, 2, 0], [2, 2, 2, 2]])
    counts = ol.token_counts(tokens, 6, eos_id=2)
    assert counts.tolist() == [0, 0, 3, 0, 1, 2]
    assert ol.token_counts(tokens, 6, eos_id=None).sum() == tokens.size
