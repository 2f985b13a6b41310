"""The method registry: `--method=NAME` picks a class from here."""
from __future__ import annotations

from tfgan_text.errors import UsageError
from tfgan_text.methods.base import Method
from tfgan_text.methods.cot import CoT
from tfgan_text.methods.leakgan import LeakGAN
from tfgan_text.methods.maligan import MaliGAN
from tfgan_text.methods.mle import MLE
from tfgan_text.methods.rankgan import RankGAN
from tfgan_text.methods.scratchgan import ScratchGAN
from tfgan_text.methods.seqgan import SeqGAN
from tfgan_text.methods.wgan_gp import WGANGP

METHODS: dict[str, type[Method]] = {method.name: method for method in
                                    (MLE, CoT, WGANGP, SeqGAN, MaliGAN, ScratchGAN, RankGAN, LeakGAN)}
# The methods that also train the conditional generator of --task=parallel|copy|reverse.
CONDITIONAL_METHODS = ("mle", "seqgan")


def get_method(method: str | type[Method]) -> type[Method]:
    """The Method class of a registered name (or the class itself)."""
    if isinstance(method, type) and issubclass(method, Method):
        return method
    if method not in METHODS:
        raise UsageError(f"--method={method}: unknown method; available: {', '.join(sorted(METHODS))}")
    return METHODS[method]
