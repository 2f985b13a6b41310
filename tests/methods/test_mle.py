
import numpy as np
import tensorflow as tf

from tfgan_text.config import MLEConfig
from tfgan_text.data.tasks import Task
from tfgan_text.methods import METHODS
from tfgan_text.metrics.likelihood import NegativeLogLikelihood
from tfgan_text.sampling import SequenceSpec


def tiny_mle(steps=60):
    spec = SequenceSpec(vocab_size=10, max_length=6, bos_id=1, eos_id=2, pad_id=0, banned_ids=(0, 1))
    data = np.array([[4, 5, 6, 2, 0, 0], [7, 8, 2, 0, 0, 0]] * 16, np.int32)
    config = MLEConfig(embedding_dim=8, hidden_dim=16, num_layers=1, dropout=0.0, init_stddev=0.0,
                                   learning_rate=0.05, grad_clip=5.0, steps=steps, epochs=0)
    tf.keras.utils.set_random_seed(0)
    return METHODS["mle"](Task("corpus", spec, data, data, "train"), config, steps_per_epoch=2), data


def test_mle_step_loss_is_the_mean_token_nll_and_training_lowers_it():
    method, data = tiny_mle()
    nll = NegativeLogLikelihood(method.generator, method.task.spec)
    before = nll(data[:16])
    step = tf.function(method.phases()[0].step)
    first = step(tf.constant(data[:16]), tf.constant([0, 0]))
    assert abs(float(first["loss"]) - before) < 1e-4
    for i in range(59):
        step(tf.constant(data[:16]), tf.constant([0, i]))
    after = nll(data[:16])
    assert after < 0.3 < before  # two sentences of three and two words: nearly memorised
