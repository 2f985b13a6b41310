"""What a training run prints to the console: one progress bar per phase with a sensible ETA."""
import re
import time

from tfgan_text.training.actions import ProgressBar, StepResult


def remaining_seconds(bar) -> float:
    """The ETA the bar shows, in seconds."""
    shown = bar.format_meter(**bar.format_dict)
    minutes, seconds = re.search(r"<(\d+):(\d+)", shown).groups()
    return 60 * int(minutes) + int(seconds)


def test_a_bar_per_phase_whose_eta_leaves_out_the_first_steps_compilation():
    progress = ProgressBar()
    progress.start_phase("pretrain", 1000, 0)
    time.sleep(1.5)  # the first step: tf.function tracing
    progress.after_step(StepResult(1, "pretrain", {"loss": 2.5, "grad_norm": 9.0}, 1010))
    for step in range(2, 32):
        time.sleep(0.005)
        progress.after_step(StepResult(step, "pretrain", {"loss": 2.5, "grad_norm": 9.0}, 1010))
    bar = progress.bar
    assert (bar.desc, bar.total, bar.n) == ("pretrain", 1000, 31)
    # ~969 steps at the compiled steps' rate (<= 200/s) are seconds; counting the 1.5 s of tracing as a step's
    # time would make them more than a minute (31 steps in ~2 s).
    assert remaining_seconds(bar) < 30, bar.format_meter(**bar.format_dict)
    assert bar.postfix == "loss=2.5"  # the main scalars; gradient norms are left to TensorBoard

    progress.start_phase("adversarial", 10, 4)  # a resumed phase: 4 of its 10 steps were run before
    assert bar.disable  # the previous phase's bar is closed
    progress.after_step(StepResult(1005, "adversarial", {"generator_loss": 0.25, "discriminator_loss": 1.5,
                                                         "discriminator_accuracy": 0.75, "reward": 3.0}, 1010))
    assert (progress.bar.desc, progress.bar.total, progress.bar.n) == ("adversarial", 10, 5)
    assert progress.bar.postfix == "g_loss=0.25, d_loss=1.5, d_accuracy=0.75"
    progress.at_end(1005)
    assert progress.bar is None
