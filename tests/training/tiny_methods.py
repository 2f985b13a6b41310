"""Tiny configurations of every method for the distributed tests (no side effects on import)."""
import tensorflow as tf

from tfgan_text.methods import METHODS
from tfgan_text.methods.adversarial import AdversarialMethod

# Every run: global batch 2B = 32, dropout on (its masks must be drawn per example too).
COMMON = ["--batch_size=32", "--grad_clip=1.0", "--learning_rate=0.01", "--dropout=0.2"]
# SeqGAN-family: the adversarial step (one G step, then one D round); the pre-training phases are MLE steps and
# D rounds, which it already holds.
ADVERSARIAL = ["--pretrain_epochs=0", "--discriminator_pretrain_rounds=0", "--adversarial_steps=1",
               "--discriminator_rounds=1", "--discriminator_negatives=40", "--discriminator_batch_size=16",
               "--discriminator_epochs=1", "--discriminator_embedding_dim=8", "--discriminator_filter_widths=2,3",
               "--discriminator_num_filters=4,4", "--rollout_num=2"]
# Other methods: a few steps of their one phase, at sizes a CPU test affords.
PER_METHOD = {
    "mle": ["--steps=3"],
    "cot": ["--steps=2", "--mediator_embedding_dim=8", "--mediator_hidden_dim=16"],
    "wgan_gp": ["--steps=2", "--critic_steps=2", "--wgan_dim=8", "--wgan_noise_dim=8", "--wgan_residual_blocks=1"],
    # G's rows (8 of 32: both replicas' shares lie in the first replica's half) and C+ come from the global batch.
    "rankgan": ["--rankgan_generator_batch=8", "--rankgan_reference_size=4"],
}


# A check named "<method>@reverse" trains the conditional generator on the embedded reversal task.
CONDITIONAL = ["--task=reverse", "--mapping_num_symbols=6", "--mapping_min_length=2", "--mapping_max_length=4",
               "--mapping_num_train=128", "--mapping_num_test=16", "--teacher_forcing_steps=1"]


def method_flags(check: str) -> list[str]:
    """The flags of a check: a method name, or "<method>@reverse" (its conditional variant)."""
    method, _, task = check.partition("@")
    flags = [f"--method={method}"] + (CONDITIONAL if task else [])
    if issubclass(METHODS[method], AdversarialMethod):
        return flags + ADVERSARIAL + PER_METHOD.get(method, [])
    return flags + PER_METHOD.get(method, ["--steps=2"])


def variable_values(method) -> dict:
    """Every checkpointed variable: {name: [its value on each local replica]}."""
    values = {}
    for owner, obj in method.checkpoint_objects().items():
        for index, variable in enumerate(getattr(obj, "variables", [obj])):
            real = variable if isinstance(variable, tf.Variable) else variable.value  # Keras 3 wraps a tf.Variable
            copies = real.values if hasattr(real, "values") else (real,)
            values[f"{owner}/{index}:{variable.name}"] = [c.numpy() for c in copies]  # paths carry Keras counters
    return values
