"""The method registry: `--method=NAME` picks a class from here."""
from tfgan_text.methods.cot import CoT
from tfgan_text.methods.leakgan import LeakGAN
from tfgan_text.methods.maligan import MaliGAN
from tfgan_text.methods.mle import MLE
from tfgan_text.methods.scratchgan import ScratchGAN
from tfgan_text.methods.rankgan import RankGAN
from tfgan_text.methods.seqgan import SeqGAN
from tfgan_text.methods.wgan_gp import WGANGP

METHODS = {method.name: method for method in (MLE, CoT, WGANGP, SeqGAN, MaliGAN, ScratchGAN)}
METHODS[RankGAN.name] = RankGAN
METHODS[LeakGAN.name] = LeakGAN
CONDITIONAL_METHODS = ("mle", "seqgan")  # those that also train the conditional generator of --task=parallel|copy|reverse
