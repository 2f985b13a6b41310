import numpy as np
import tensorflow as tf

from tests.methods.test_leakgan import build_leakgan
from tfgan_text.sampling import sample, sequence_log_probs, teacher_forcing_inputs


def test_goals_are_unit_vectors_and_step_wise_sampling_matches_teacher_forcing():
    method = build_leakgan()
    generator, spec = method.generator, method.task.spec
    samples = sample(generator, spec, 6, tf.constant([1, 2]))
    np.testing.assert_allclose(sequence_log_probs(generator, samples.tokens, spec).numpy(),
                               samples.log_probs.numpy(), rtol=1e-4, atol=1e-5)
    features = generator.prefix_features(samples.tokens)
    assert features.shape == (6, spec.max_length + 1, method.discriminator.feature_dim)
    _, goals = generator.unroll(teacher_forcing_inputs(samples.tokens, spec.bos_id), features)
    np.testing.assert_allclose(tf.norm(goals, axis=-1).numpy(), 1.0, rtol=1e-5)
    _, state = generator.step(tf.fill([6], spec.bos_id), generator.initial_state(6))
    np.testing.assert_allclose(tf.norm(state[-1][:, -1], axis=-1).numpy(), 1.0, rtol=1e-5)  # the newest goal


def test_leaked_features_come_from_the_current_discriminator():
    method = build_leakgan()
    generator, spec, d = method.generator, method.task.spec, method.discriminator
    assert generator.discriminator is d
    tokens = tf.constant(method.task.train[:4])
    np.testing.assert_allclose(generator.prefix_features(tokens)[:, -1].numpy(), d.features(tokens).numpy(),
                               rtol=1e-5)
    before = sequence_log_probs(generator, tokens, spec).numpy()
    d.highway.transform.kernel.assign(d.highway.transform.kernel * 3.0)  # a D update changes what G reads
    np.testing.assert_allclose(generator.prefix_features(tokens)[:, -1].numpy(), d.features(tokens).numpy(),
                               rtol=1e-5)
    assert not np.allclose(sequence_log_probs(generator, tokens, spec).numpy(), before)
    # G's optimizers hold G's own weights only: D is trained by its own rounds.
    d_ids = {id(v) for v in d.variables}
    assert not any(id(v) in d_ids for v in generator.generator_variables)
