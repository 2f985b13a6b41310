"""Sizes that cannot work are refused before anything runs or is written, naming the flag to lower."""
import os

import pytest

from tests.conftest import TINY_FLAGS
from tfgan_text import SeqGANConfig
from tfgan_text.errors import UsageError
from tfgan_text.methods import METHODS
from tfgan_text.sampling import SequenceSpec
from tfgan_text.training.memory import check_step_fits

SPEC = SequenceSpec(vocab_size=5000, max_length=20, bos_id=1, eos_id=None)


def test_the_flag_whose_tensors_do_not_fit_is_named():
    config = SeqGANConfig(rollout_num=4096)
    with pytest.raises(UsageError, match=r"--rollout_num=4096: a step's tensors would need about .* lower --rollout_num"):
        check_step_fits(METHODS["seqgan"], config, SPEC, available=8 * 2**30)
    check_step_fits(METHODS["seqgan"], SeqGANConfig(), SPEC, available=8 * 2**30)  # the defaults fit
    with pytest.raises(UsageError, match="--batch_size=100000"):
        check_step_fits(METHODS["mle"], METHODS["mle"].config_class(batch_size=100000), SPEC, available=8 * 2**30)


@pytest.mark.parametrize("flag", ["--rollout_num=1000000000", "--rollout_num=50000"])
def test_a_huge_rollout_num_is_one_line_and_writes_nothing(tmp_path, capsys, flag):
    from tfgan_text import main

    logdir = tmp_path / "run"
    code = main.run(["x", "--method=seqgan"] + TINY_FLAGS[1:] + ["--batch_size=4096", "--oracle_num_train=8192",
                                                                flag, f"--logdir={logdir}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--rollout_num" in err and len(err.splitlines()) == 1, err
    assert not os.path.exists(logdir)
