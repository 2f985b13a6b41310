"""Quality of trained generators: methods trained from presets (flags/*.cfg) through `tfgan_text.train`,
judged by the metric history it returns and by `tfgan_text.evaluation.evaluate`, beside published numbers.

    .venv/bin/python benchmarks/quality.py --experiment=NAME [options] [--smoke] [--output=FILE] [-- --field=value ...]

Experiments (config fields after `--` apply to every training run of the experiment):
  oracle       --methods (seqgan, maligan, rankgan, leakgan, mle) on the fixed SeqGAN oracle with their CPU presets
               (flags/<method>_oracle_cpu.cfg) at --length; all but LeakGAN start from the MLE generator
               --pretrained (default: flags/mle_oracle.cfg trained once into runs/bench-oracle-mle), evaluated
               every 10 steps; the published NLL-oracle beside.
  coco         --methods (mle, seqgan, maligan, rankgan, leakgan) on Image COCO with CPU-scaled schedules (MLE from
               --mle_preset; the GANs from flags/<method>_coco.cfg, all but LeakGAN from the MLE run or --pretrained),
               then --metrics on --num_samples samples at each of --temperatures (NLL at T = 1 only), BLEU against all
               of coco_test.txt, and the training captions as a row; Texygen's published table beside.
  conditional  Conditional SeqGAN (Monte Carlo roll-outs, and a prefix-scoring D) against its MLE start and that MLE
               run continued for as many updates, on COCO caption continuation (first --prefix_words words -> rest).
  ablation     ScratchGAN's cumulative ablation on COCO (flags/scratchgan_coco.cfg, --steps from scratch per row),
               judged by FED, BLEU-5, Self-BLEU-5 and NLL-test; the paper's FED ordering beside.
  timed        --runs (method:preset:eval_every, ...) each trained for --minutes of training time (evaluation
               excluded); every evaluation with its training minutes, TensorBoard --scalars, and on real text the
               share of real words and BLEU of the samples.
  defaults     Every method's default (`python -m tfgan_text.main --method=X`, flags/X.cfg, on the embedded grammar
               task) run one after another as a user would (a fresh process each, into a temporary --logdir):
               wall and CPU time, the first and last evaluation's grammatical share, NLL-oracle and NLL-test (from
               the run's TensorBoard eval events), and three final samples (from its last samples file).
  sweep        The temperature sweep (`tfgan_text.sweep`) of MLE on the random oracle (flags/mle.cfg with
               --task=oracle) and on the fixed oracle (--fixed_oracle_run, or flags/mle_oracle.cfg trained for
               --fixed_oracle_epochs).
Training logs go beside the run directories (runs/bench-*); nothing is read back from them.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Report, arguments, data_file, parse, preset, train, train_for  # noqa: E402

import tfgan_text as tt  # noqa: E402

PUBLISHED_ORACLE = {("mle", 20): 9.038, ("seqgan", 20): 8.736, ("rankgan", 20): 8.247, ("leakgan", 20): 7.038,
                    ("leakgan", 40): 7.191}  # NLL-oracle (Texygen / LeakGAN tables; LeakGAN with logits x 1.5)
TEXYGEN_COCO = {  # BLEU-2..5, Self-BLEU-2..5 (Texygen README, test-set references)
    "SeqGAN": [0.745, 0.498, 0.294, 0.180, 0.950, 0.840, 0.670, 0.489],
    "MaliGAN": [0.673, 0.432, 0.257, 0.159, 0.918, 0.781, 0.606, 0.437],
    "RankGAN": [0.743, 0.467, 0.264, 0.156, 0.959, 0.882, 0.762, 0.618],
    "LeakGAN": [0.746, 0.528, 0.355, 0.230, 0.966, 0.913, 0.848, 0.780],
    "MLE": [0.731, 0.497, 0.305, 0.189, 0.916, 0.769, 0.583, 0.408],
    "training data": [0.740, 0.520, 0.337, 0.218, 0.892, 0.747, 0.573, 0.415]}
BLEU_KEYS = [f"bleu_{n}" for n in range(2, 6)] + [f"self_bleu_{n}" for n in range(2, 6)]
PAPER_FED = {"baseline": 0.084, "+ large batch": 0.027, "+ D regularisation": 0.019,
             "+ pre-trained embeddings": 0.017, "+ REINFORCE baseline": 0.016}  # ScratchGAN paper, EMNLP News
STAMP = time.strftime("%Y%m%d-%H%M%S")


def has_checkpoint(run_dir: str) -> bool:
    folder = os.path.join(run_dir, "checkpoints")
    return os.path.isdir(folder) and any(name.startswith("ckpt-") for name in os.listdir(folder))


def read_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def evaluate(run_dir: str, metrics: list[str], num_samples: int, temperature: float = 1.0, references=None,
             samples=None, fed_encoder: str = "minilm", lm_steps: int = 1000) -> dict:
    """`tfgan_text.evaluation.evaluate` of the run's latest checkpoint (seed 0)."""
    from tfgan_text.evaluation import evaluate as evaluate_run
    from tfgan_text.metrics.fed import get_encoder
    from tfgan_text.metrics.language_model_scores import LanguageModelConfig

    run = tt.load_run(run_dir, log=lambda message: None)
    encoder = get_encoder(fed_encoder) if "fed" in metrics else None
    return evaluate_run(run, metrics, num_samples, temperature, 0, samples_texts=samples, reference_texts=references,
                        fed_encoder=encoder, lm_config=LanguageModelConfig(steps=lm_steps, seed=0),
                        log=lambda message: None)[0]


def history_table(report: Report, history: list[dict], names: list[str] | None = None) -> None:
    names = names or [k for k in history[0] if k != "step"]
    report.table(["global step", *names], [[h["step"], *[f"{h.get(n, float('nan')):.4f}" for n in names]]
                                           for h in history])


def show(overrides: dict, extra: list[str]) -> str:
    return " ".join([f"--{k}={v}" for k, v in overrides.items()] + list(extra))


# --- oracle -------------------------------------------------------------------------------------------
def experiment_oracle(args, report: Report) -> None:
    smoke = dict(oracle_num_train=256, oracle_num_test=64, num_eval_samples=64, discriminator_pretrain_rounds=1,
                 discriminator_negatives=128, adversarial_steps=2, rollout_num=2, pretrain_epochs=1,
                 leakgan_pretrain_cycles=1, eval_every=2) if args.smoke else {}
    oracle = dict(oracle_params=data_file(args, "seqgan_oracle_lstm.npz"), oracle_length=args.length)
    methods, summary = args.methods.split(","), []
    pretrained = args.pretrained
    if any(m not in ("leakgan", "mle") for m in methods) and not pretrained:
        pretrained = os.path.join(args.runs, "bench-oracle-mle" + ("-smoke" if args.smoke else ""))
        if not has_checkpoint(pretrained):
            _, seconds = train("mle", preset("mle_oracle", args.overrides, **oracle, **smoke,
                                             **({"epochs": 1} if args.smoke else {}))[1], pretrained)
            report(f"MLE pre-training (flags/mle_oracle.cfg) into {pretrained}: {seconds:.0f} s")
    if pretrained:
        start = evaluate(pretrained, ["nll"], 64 if args.smoke else 10_000)
        report(f"MLE generator {pretrained}: NLL-oracle {start['nll_oracle']:.4f}, NLL-test {start['nll_test']:.4f} "
               f"({64 if args.smoke else 10_000:,} samples, evaluated here)\n")
        summary.append(["MLE (the start)", f"{start['nll_oracle']:.3f} / - / {start['nll_test']:.3f}", "", "",
                        PUBLISHED_ORACLE.get(("mle", args.length), "-"), ""])
    for method in methods:
        changes = {**oracle, **({} if method in ("leakgan", "mle") else {"pretrained_generator": pretrained,
                                                                     "eval_every": 10}),
                   **smoke}
        name = "mle_oracle" if method == "mle" else f"{method}_oracle_cpu"
        _, config = preset(name, args.overrides, **changes)
        logdir = os.path.join(args.runs, f"bench-{method}-oracle{args.length}-{STAMP}")
        history, seconds = train(method, config, logdir)
        shown = show({k: v for k, v in changes.items() if k != "oracle_params"}, args.overrides)
        report(f"## {method}\n\nflags/{name}.cfg {shown}"
               f"; run {logdir}; wall time {seconds:.0f} s\n")
        history_table(report, history, [n for n in ("nll_oracle", "nll_oracle_eval_temperature", "nll_test")
                                        if n in history[0]])
        cell = lambda h: (f"{h['nll_oracle']:.3f} / {h.get('nll_oracle_eval_temperature', float('nan')):.3f} / "  # noqa
                          f"{h['nll_test']:.3f} (step {h['step']})")
        best = min(history, key=lambda h: h["nll_oracle"])
        summary.append([method, cell(history[0]), cell(history[-1]), f"{best['nll_oracle']:.3f} ({best['step']})",
                        PUBLISHED_ORACLE.get((method, args.length), "-"), f"{seconds:.0f}"])
    report("## Summary\n")
    report.table(["generator", "first evaluation: NLL-oracle T=1 / logits x1.5 / NLL-test", "end: the same",
                  "lowest NLL-oracle T=1 (step)", "published NLL-oracle", "wall (s)"], summary)


# --- coco ---------------------------------------------------------------------------------------------
def experiment_coco(args, report: Report) -> None:
    data = dict(train_data=data_file(args, "coco_train.txt"), test_data=data_file(args, args.test_file),
                **({"max_length": 8} if args.smoke else {}))  # smoke: the ~1,800 short captions
    quiet = dict(eval_every=10**6, num_eval_samples=100 if args.smoke else 1000, samples_to_write=100,
                 checkpoint_every=5)
    steps = dict(item.split("=") for item in args.steps.split(","))
    d_round = dict(discriminator_negatives=128 if args.smoke else args.negatives, discriminator_epochs=1,
                   discriminator_rounds=1)
    small = dict(rollout_num=2, adversarial_steps=1) if args.smoke else {}
    references = read_lines(data_file(args, "coco_test.txt"))
    train_lines = read_lines(data_file(args, "coco_train.txt"))
    num_samples, full = (100, 0) if args.smoke else (args.num_samples, args.full_samples)
    runs, plans = {}, {
        "mle": (args.mle_preset, dict(epochs=1 if args.smoke else args.mle_epochs, steps=20 if args.smoke else 0)),
        "leakgan": ("leakgan_coco", dict(pretrain_epochs=args.leakgan_pretrain_epochs, leakgan_pretrain_cycles=1,
                                         leakgan_pretrain_discriminator_rounds=2, discriminator_pretrain_rounds=1,
                                         adversarial_steps=int(steps.get("leakgan", 10)), **d_round))}
    for name in ("seqgan", "maligan", "rankgan"):
        plans[name] = ("rankgan_coco" if name == "rankgan" else "seqgan_coco", dict(
            adversarial_steps=int(steps.get(name, 10)), rollout_num=args.rollout_num,
            discriminator_pretrain_rounds=args.discriminator_pretrain_rounds, **d_round))
    methods = args.methods.split(",")
    if args.pretrained:
        runs["mle"] = args.pretrained
    report("## Runs (CPU-scaled schedules)\n")
    for name in methods:
        name_preset, changes = plans[name]
        if name not in ("mle", "leakgan"):
            if "mle" not in runs:
                sys.exit(f"--methods={name}: needs --pretrained=<an MLE COCO run> or mle listed before it")
            changes["pretrained_generator"] = runs["mle"]
        if args.smoke:
            changes.update(small, **({"pretrain_epochs": 1, "steps": 0} if name == "leakgan" else {}))
        _, config = preset(name_preset, args.overrides, method=name, **data, **quiet, **changes)
        runs[name] = os.path.join(args.runs, f"bench-coco-{name}-{STAMP}")
        history, seconds = train(name, config, runs[name])
        report(f"- **{name}** ({seconds:.0f} s, {history[-1]['step']} steps): flags/{name_preset}.cfg "
               f"{show({'method': name, **changes}, args.overrides)} (data from {args.data_dir})")
    report("\nPublished schedules (flags/<method>_coco.cfg) are 80 MLE epochs, 50 D pre-training rounds of 10,000 "
           "negatives x 3 epochs and 200 adversarial steps with 16 roll-outs and 5 D rounds (LeakGAN: 80 supervised "
           "epochs, 800 steps with 4 roll-outs): the rows here are a short adversarial nudge from short "
           "pre-training.\n")
    metrics = args.metrics.split(",")
    rows = []
    temperatures = [float(t) for t in args.temperatures.split(",")]
    for name in [m for m in methods if m in runs]:
        for temperature in temperatures:
            wanted = [m for m in metrics if temperature == 1.0 or m != "nll"]
            values = evaluate(runs[name], wanted, num_samples, temperature, references, fed_encoder=args.fed_encoder,
                              lm_steps=20 if args.smoke else args.lm_steps)
            rows.append((f"{name} (ours, T={temperature:g})", values))
            if full and temperature == 1.0:
                rows.append((f"{name} (ours, {full:,} samples)", evaluate(runs[name], ["bleu", "self_bleu"], full,
                                                                          references=references)))
    if args.training_row:
        rows.append((f"training data (first {num_samples:,} captions)", evaluate(
            runs[methods[0]], ["bleu", "self_bleu"], num_samples, references=references,
            samples=train_lines[:num_samples])))
        if full:
            rows.append(("training data (all captions)", evaluate(runs[methods[0]], ["bleu", "self_bleu"], full,
                                                                  references=references, samples=train_lines)))
    names = [k for k in dict.fromkeys(k for _, values in rows for k in values) if k in BLEU_KEYS] + [
        k for k in dict.fromkeys(k for _, values in rows for k in values) if k not in BLEU_KEYS]
    report(f"## Results ({num_samples:,} samples per row unless said)\n")
    report("BLEU-n: each sample against all lines of coco_test.txt; Self-BLEU-n: each sample against the other "
           f"samples (it grows with their number: Texygen's files hold about 10,000); NLL-test on {args.test_file}.\n")
    table = [[label, *[f"{v[n]:.3f}" if n in v else "-" for n in names]] for label, v in rows]
    published = [label for label in TEXYGEN_COCO if label.lower() in methods + ["training data"] * args.training_row]
    table += [[f"{label} (Texygen)", *[f"{dict(zip(BLEU_KEYS, TEXYGEN_COCO[label]))[n]:.3f}" if n in BLEU_KEYS else "-"
                                       for n in names]] for label in published]
    report.table(["", *names], table)


# --- conditional --------------------------------------------------------------------------------------
def write_pairs(lines: list[str], prefix_words: int, path: str) -> int:
    pairs = [" ".join(w[:prefix_words]) + "\t" + " ".join(w[prefix_words:]) for w in (line.split() for line in lines)
             if len(w) > prefix_words]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(pairs) + "\n")
    return len(pairs)


def experiment_conditional(args, report: Report) -> None:
    workdir = os.path.join(args.runs, f"conditional-coco-{STAMP}")
    os.makedirs(workdir)
    sizes = {split: write_pairs(read_lines(data_file(args, f"coco_{split}.txt"))[:300 if args.smoke else None],
                                args.prefix_words, f"{workdir}/{split}.tsv") for split in ("train", "test")}
    common = dict(task="parallel", train_data=f"{workdir}/train.tsv", test_data=f"{workdir}/test.tsv", tokenizer="word",
                  embedding_dim=32, hidden_dim=64, batch_size=64, learning_rate=0.005, grad_clip=5.0,
                  num_eval_samples=50 if args.smoke else 1000, samples_to_write=50)
    steps = 1 if args.smoke else args.adversarial_steps
    adversarial = dict(pretrained_generator=f"{workdir}/mle", pretrain_epochs=0, discriminator_pretrain_rounds=3,
                       adversarial_learning_rate=args.adversarial_learning_rate,
                       discriminator_negatives=128 if args.smoke else 2000, discriminator_epochs=1,
                       discriminator_filter_widths=(1, 2, 3, 4, 5), discriminator_num_filters=(100, 200, 200, 200, 200),
                       adversarial_steps=steps, discriminator_rounds=1,
                       rollout_num=2 if args.smoke else args.rollout_num,
                       teacher_forcing_steps=1, eval_every=steps + 3, checkpoint_every=10)
    rows = {}
    _, mle = preset("mle", args.overrides, **common, epochs=1 if args.smoke else args.mle_epochs)
    rows["MLE (the start)"] = train("mle", mle, f"{workdir}/mle")
    mle_steps = rows["MLE (the start)"][0][-1]["step"]
    shutil.copytree(f"{workdir}/mle", f"{workdir}/mle_continued")
    rows[f"MLE continued (+{steps} updates)"] = train("mle", mle.replace(steps=mle_steps + steps),
                                                      f"{workdir}/mle_continued", resume=True)
    for label, prefix in (("SeqGAN, Monte Carlo roll-outs", "monte_carlo"),
                          ("SeqGAN, prefix-scoring D", "discriminator")):
        _, config = preset("seqgan", args.overrides, **common, **adversarial, prefix_rewards=prefix)
        rows[label] = train("seqgan", config, f"{workdir}/seqgan_{prefix}")
    metrics = ["nll_test", "bleu_2", "bleu_4", "greedy_bleu_4", "greedy_exact_match"]
    report(f"Task: the first {args.prefix_words} words of a COCO caption -> the rest ({sizes['train']:,} training "
           f"pairs, {sizes['test']:,} test pairs; a test source's references are the continuations of every test "
           "caption starting with it); corpus BLEU of sampled (T=1) and greedy answers, NLL-test of the test "
           "continuations.\n")
    report(f"Generator: encoder-decoder, embedding 32, LSTM 64, Luong attention; MLE Adam 0.005, batch 64, "
           f"{mle_steps:,} updates. SeqGAN from it: 3 D rounds of 2,000 negatives, then {steps} adversarial steps "
           f"(Adam {args.adversarial_learning_rate:g}, {args.rollout_num} roll-outs, 1 D round and 1 teacher-forcing "
           f"update each). Runs: {workdir}.\n")
    report.table(["run", *metrics, "wall s"], [[label, *[f"{history[-1].get(m, float('nan')):.4f}" for m in metrics],
                                                f"{seconds:.0f}"] for label, (history, seconds) in rows.items()])


# --- ablation -----------------------------------------------------------------------------------------
def experiment_ablation(args, report: Report) -> None:
    data = dict(train_data=data_file(args, "coco_train.txt"), test_data=data_file(args, "coco_nll_test.txt"))
    references = read_lines(data_file(args, "coco_test.txt"))
    vectors = os.path.join(args.runs, "coco_glove64.txt") if args.smoke else args.vectors
    if not os.path.exists(vectors):  # the project's GloVe tool (flags/scratchgan_coco.cfg says how)
        subprocess.run([sys.executable, "-m", "tfgan_text.glove", f"--train_data={data['train_data']}",
                        f"--test_data={data['test_data']}", "--tokenizer=word", f"--vectors_output={vectors}",
                        "--vectors_dim=64", f"--vectors_epochs={1 if args.smoke else 25}"], check=True)
    steps, large = (2, 32) if args.smoke else (args.row_steps, args.large_batch)
    plain = dict(discriminator_l2=0.0, discriminator_dropout=0.0, discriminator_layer_norm=False)
    plan = [("starting point (0 steps)", dict(steps=0, epochs=0)),
            ("baseline", dict(batch_size=args.small_batch, **plain, embeddings_file="", reinforce_baseline=False)),
            ("+ large batch", dict(batch_size=large, **plain, embeddings_file="", reinforce_baseline=False)),
            ("+ D regularisation", dict(batch_size=large, embeddings_file="", reinforce_baseline=False)),
            ("+ pre-trained embeddings", dict(batch_size=large, reinforce_baseline=False)),
            ("+ REINFORCE baseline", dict(batch_size=large))]
    num_samples, results = 100 if args.smoke else args.num_samples, []
    for index, (name, changes) in enumerate(plan):
        changes = {"steps": steps, **changes}
        _, config = preset("scratchgan_coco", args.overrides, **{
            **data, "embeddings_file": vectors, "eval_every": 100_000, "eval_bleu": False, "num_eval_samples": 200,
            **changes})
        logdir = os.path.join(args.runs, f"bench-scratchgan-coco-row{index}-{STAMP}")
        _, seconds = train("scratchgan", config, logdir)
        values = evaluate(logdir, ["nll", "bleu", "self_bleu", "fed"], num_samples, references=references,
                          fed_encoder=args.fed_encoder)
        results.append((name, changes, values, seconds))
    report(f"Each row: flags/scratchgan_coco.cfg plus its fields, {steps} steps from scratch (no MLE); {num_samples:,} "
           f"samples: FED ({args.fed_encoder}) and BLEU-5 against all test captions, leave-one-out Self-BLEU-5, "
           "NLL-test on coco_nll_test.txt. The paper's FED is EMNLP2017 News after a long run at batch 512: compare "
           "orderings.\n")
    report.table(["row", "FED", "BLEU-5", "Self-BLEU-5", "NLL-test", "paper FED", "training s", "fields"],
                 [[name, f"{m['fed']:.4f}", f"{m['bleu_5']:.4f}", f"{m['self_bleu_5']:.4f}", f"{m['nll_test']:.3f}",
                   PAPER_FED.get(name, ""), f"{seconds:.0f}", f"`{show(changes, [])}`"] for name, changes, m, seconds
                  in results])
    report(f"FED floor (training vs test captions, same encoder): {results[0][2]['fed_floor']:.4f}.\n")
    for (above, _, a, _), (name, _, b, _) in zip(results[1:], results[2:]):
        report(f"- {name} vs {above}: FED {a['fed']:.4f} -> {b['fed']:.4f}: "
               f"{'held' if b['fed'] < a['fed'] else 'did not hold'} (the paper: FED falls at every row)")
    report()


# --- timed --------------------------------------------------------------------------------------------
def training_scalars(logdir: str) -> dict[str, list[tuple[int, float]]]:
    """Every training scalar the trainer wrote to TensorBoard: tag -> [(step, value)]."""
    import tensorflow as tf

    scalars: dict[str, list[tuple[int, float]]] = {}
    for name in sorted(os.listdir(os.path.join(logdir, "train"))):
        for event in tf.compat.v1.train.summary_iterator(os.path.join(logdir, "train", name)):
            for value in event.summary.value:
                scalars.setdefault(value.tag, []).append((event.step, float(tf.make_ndarray(value.tensor))))
    return scalars


def text_scores(lines: list[str], train_words: set, scorer, tokenizer) -> dict[str, float]:
    """Share of generated words (tokens with a letter or digit) in the training vocabulary; BLEU-2..5."""
    tokenized = tokenizer.tokenize(lines)
    words = [w for sentence in tokenized for w in sentence if any(c.isalnum() for c in w)]
    nonempty = [s for s in tokenized if s]
    bleu = scorer.scores(nonempty, (2, 3, 4, 5)) if nonempty else {n: 0.0 for n in (2, 3, 4, 5)}
    return {"word_share": sum(w in train_words for w in words) / max(1, len(words)),
            **{f"bleu_{n}": float(bleu[n]) for n in (2, 3, 4, 5)}}


def experiment_timed(args, report: Report) -> None:
    from tfgan_text.data.tokenizers import get_tokenizer
    from tfgan_text.methods.cot import OracleJSDEvaluator
    from tfgan_text.metrics.bleu import BleuScorer

    seconds = 20 if args.smoke else 60 * args.minutes
    report(f"Each run trains for {seconds / 60:g} minutes of training time (evaluation excluded), stopped by the "
           "trainer's own SIGTERM handling; MLE on the oracle is evaluated like CoT (with the oracle JSD).\n")

    def jsd_for_mle(method, num_samples, temperature):
        if method.name == "mle" and method.task.oracle is not None:
            return OracleJSDEvaluator(method.task, method.generator, num_samples, temperature)

    for item in args.timed_runs.split(","):
        method, name, eval_every = item.split(":")
        small = dict(oracle_num_train=640, oracle_num_test=200, num_eval_samples=100, eval_every=20) if args.smoke \
            else {}
        _, config = preset(name, args.overrides, **{"eval_every": int(eval_every), "num_eval_samples": 1000,
                                                    "samples_to_write": 20, "steps": 10**8, "checkpoint_every": 10**8,
                                                    **small})
        with tempfile.TemporaryDirectory() as logdir:
            history, budget = train_for(method, config, seconds, f"{logdir}/run", evaluator=jsd_for_mle)
            scalars = training_scalars(f"{logdir}/run")
        tags = [t for t in args.scalars.split(",") if t in scalars] if args.scalars else []
        defaults = type(config)().to_dict()
        changed = {k: v for k, v in config.to_dict().items() if v != defaults[k]}
        report(f"## {method} (flags/{name}.cfg)\n\nConfig (fields other than the defaults): `{show(changed, [])}`\n")
        names = [k for k in history[0] if k != "step"]
        texts = {}
        if config.train_data:
            tokenizer, test = get_tokenizer("word"), read_lines(config.test_data or config.train_data)
            scorer = BleuScorer(tokenizer.tokenize(test), max_n=5)
            train_lines = read_lines(config.train_data)
            train_words = {w for s in tokenizer.tokenize(train_lines) for w in s}
            texts = {h["step"]: text_scores(point[1][:1000], train_words, scorer, tokenizer)
                     for h, point in zip(history, budget.points)}
            cut = config.max_length or max(len(line) for line in train_lines)
            texts["real"] = text_scores([line[:cut] for line in train_lines[:1000]], train_words, scorer, tokenizer)
        extra = list(next(iter(texts.values()), {}))
        rows, previous = [], 0
        for h, (train_seconds, _) in zip(history, budget.points):
            means = [sum(v for s, v in scalars[t] if previous < s <= h["step"]) / max(1, sum(
                previous < s <= h["step"] for s, _ in scalars[t])) for t in tags]
            previous = h["step"]
            rows.append([h["step"], f"{train_seconds / 60:.1f}", *[f"{h.get(n, float('nan')):.4f}" for n in names],
                         *[f"{v:.4f}" for v in means], *[f"{texts[h['step']][n]:.4f}" for n in extra]])
        if texts:
            rows.append(["real: 1,000 training sentences (cut like the samples)", "", *[""] * (len(names) + len(tags)),
                         *[f"{texts['real'][n]:.4f}" for n in extra]])
        report.table(["step", "training min", *names, *[f"{t} (mean since the last row)" for t in tags], *extra], rows)
        report("What the metrics were computed on:\n")
        for n, text in budget.describe().items():
            if n in names:
                report(f"- {n}: {text}")
        if texts:
            samples = "\n".join(budget.points[-1][1][:25])
            report(f"\nFirst 25 samples of the last evaluation:\n\n```\n{samples}\n```")
        report()


# --- defaults -----------------------------------------------------------------------------------------
DEFAULTS_METHODS = "mle,seqgan,maligan,rankgan,leakgan,wgan_gp,scratchgan,cot"
DEFAULTS_METRICS = ("grammatical", "nll_oracle", "nll_test")
DEFAULTS_BUDGET_SECONDS = 300  # issue #17: every default finishes within 5 minutes on 2 cores


def evaluation_scalars(logdir: str) -> dict[int, dict[str, float]]:
    """The run's evaluations as the trainer wrote them to TensorBoard: step -> {metric: value}."""
    import tensorflow as tf

    evaluations: dict[int, dict[str, float]] = {}
    folder = os.path.join(logdir, "eval")
    for name in sorted(os.listdir(folder)):
        for event in tf.compat.v1.train.summary_iterator(os.path.join(folder, name)):
            for value in event.summary.value:
                if value.tag in DEFAULTS_METRICS:
                    evaluations.setdefault(event.step, {})[value.tag] = float(tf.make_ndarray(value.tensor))
    return evaluations


def last_samples(logdir: str, count: int) -> list[str]:
    """The first `count` sentences of the run's last samples file (samples/step_*.txt)."""
    folder = os.path.join(logdir, "samples")
    return read_lines(os.path.join(folder, max(os.listdir(folder))))[:count]


def run_default(method: str, extra: list[str], logdir: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the run's process, exit code) of one default run, as a user starts it (a
    fresh process); its console output goes to <logdir>.log."""
    import resource

    command = [sys.executable, "-m", "tfgan_text.main", f"--method={method}", f"--logdir={logdir}", *extra]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    with open(f"{logdir}.log", "w", encoding="utf-8") as log:
        code = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
    wall = time.time() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
    return wall, cpu, code


def experiment_defaults(args, report: Report) -> None:
    if args.smoke:  # the point is the defaults' own sizes; a quick check: --methods=mle
        sys.exit("--smoke: the defaults experiment has no tiny version (it times the defaults themselves); "
                 "for a quick check run --methods=mle")
    methods = args.methods.split(",")
    extra = list(args.overrides)
    report(f"Each method's default run, one after another (nothing else of this script runs meanwhile): `python -m "
           f"tfgan_text.main --method=X --logdir=<temporary>`{' ' + ' '.join(extra) if extra else ''}, the preset "
           "flags/X.cfg on the embedded grammar task. Wall time includes TensorFlow's start, the task's set-up, "
           "training, every evaluation and the final one; CPU is the run process's user + system time (on 2 "
           "cores it can exceed the wall time). The first evaluation is the run's first (for the methods that "
           "pre-train by MLE it comes after one epoch of pre-training); the last is the final one. Grammatical: "
           "share of the evaluation's samples that the grammar derives (higher is better); NLL-oracle: the "
           "grammar's NLL of them (lower is better; the grammar's own samples score about 3.14); NLL-test: the "
           "generator's NLL of held-out grammar sentences (lower is better).\n")
    rows, samples, failures = [], {}, []
    root = tempfile.mkdtemp(prefix="bench-defaults-")
    try:
        for method in methods:
            logdir = os.path.join(root, method)
            wall, cpu, code = run_default(method, extra, logdir)
            shown = " ".join(["python -m tfgan_text.main", f"--method={method}", *extra])
            evaluations = evaluation_scalars(logdir) if os.path.isdir(os.path.join(logdir, "eval")) else {}
            if code or not evaluations:
                with open(f"{logdir}.log", encoding="utf-8") as f:
                    failures.append(f"{method}: exit code {code}; the end of its output:\n\n```\n"
                                    f"{f.read()[-2000:]}\n```")
                rows.append([f"`{shown}`", f"{wall:.0f}", f"{cpu:.0f}", "failed", *[""] * 6, "no",
                             "yes" if wall <= DEFAULTS_BUDGET_SECONDS else "no"])
                continue
            first, last = min(evaluations), max(evaluations)
            cells = [f"{evaluations[step].get(name, float('nan')):.3f}" for name in DEFAULTS_METRICS
                     for step in (first, last)]
            verdict = "yes" if (evaluations[last]["grammatical"] > evaluations[first]["grammatical"]
                                and evaluations[last]["nll_oracle"] < evaluations[first]["nll_oracle"]) else "no"
            rows.append([f"`{shown}`", f"{wall:.0f}", f"{cpu:.0f}", f"{first} / {last}", *cells, verdict,
                         "yes" if wall <= DEFAULTS_BUDGET_SECONDS else "no"])
            samples[method] = last_samples(logdir, 3)
            print(f"{method}: {wall:.0f} s, {rows[-1]}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report.table(["command", "wall s", "CPU s", "steps (first / last evaluation)", "grammatical first",
                  "grammatical last", "NLL-oracle first", "NLL-oracle last", "NLL-test first", "NLL-test last",
                  "better at the end", f"within {DEFAULTS_BUDGET_SECONDS} s"], rows)
    report("Three final samples of each (the first three lines of the run's last samples file):\n")
    for method, lines in samples.items():
        report(f"- **{method}**: " + " / ".join(f"\"{line}\"" for line in lines))
    report()
    for failure in failures:
        report(failure)


# --- sweep --------------------------------------------------------------------------------------------
def experiment_sweep(args, report: Report) -> None:
    import csv

    from tfgan_text.sweep import sweep_run, write_csv, plot

    smoke = dict(epochs=1, oracle_num_train=640, oracle_num_test=200, num_eval_samples=100) if args.smoke else {}
    runs = [os.path.join(args.runs, "sweep-mle" + ("-smoke" if args.smoke else ""))]
    if not has_checkpoint(runs[0]):
        train("mle", preset("mle", args.overrides, task="oracle", **smoke)[1], runs[0])
    if args.fixed_oracle_run:
        runs.append(args.fixed_oracle_run)
    elif os.path.exists(data_file(args, "seqgan_oracle_lstm.npz", required=False)):
        runs.append(os.path.join(args.runs, "sweep-mle-seqgan-oracle" + ("-smoke" if args.smoke else "")))
        if not has_checkpoint(runs[1]):
            train("mle", preset("mle_oracle", args.overrides, **{
                "oracle_params": data_file(args, "seqgan_oracle_lstm.npz"), "epochs": args.fixed_oracle_epochs,
                **smoke})[1], runs[1])
    temperatures = [float(t) for t in args.temperatures.split(",")]
    num_samples = 200 if args.smoke else args.num_samples
    rows = [row for run in runs for row in sweep_run(tt.load_run(run, log=lambda m: None), temperatures, num_samples,
                                                     0, log=lambda m: None)]
    out = os.path.splitext(args.output)[0] if args.output else tempfile.mkdtemp()
    write_csv(rows, out + ".csv")
    plot(rows, out + ".png", f"temperature sweep, {num_samples:,} samples per point")
    report(f"Runs: {', '.join(runs)}. {num_samples:,} samples per point, the same seed at every temperature. "
           "NLL-oracle: the oracle's NLL of samples drawn at T (quality); NLL-test: the held-out oracle samples under "
           "softmax(logits / T), the distribution sampled (coverage), as in Caccia et al. 2020. Each curve is one run "
           f"against its own oracle. Plot and CSV: {out}.png, {out}.csv.\n")
    with open(out + ".csv", newline="") as f:
        report.table(["run", "T", "NLL-oracle", "NLL-test (under softmax(logits/T))"],
                     [[r["run"], f"{float(r['temperature']):g}", f"{float(r['nll_oracle']):.3f}",
                       f"{float(r['nll_test']):.3f}"] for r in csv.DictReader(f)])


EXPERIMENTS = {"oracle": "Adversarial methods on the SeqGAN oracle",
               "coco": "Generators on Image COCO captions beside Texygen",
               "conditional": "Conditional SeqGAN vs its MLE start: COCO caption continuation",
               "ablation": "ScratchGAN on Image COCO from scratch: starting point and cumulative ablation",
               "timed": "Methods trained for equal training time",
               "sweep": "Temperature sweep: MLE on the synthetic oracle task",
               "defaults": "Every method's default run (--method=X alone) on the embedded grammar task"}


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--experiment", required=True, choices=sorted(EXPERIMENTS))
    parser.add_argument("--runs", default="runs", help="folder of the run directories")
    parser.add_argument("--methods", default="", help="oracle: seqgan,maligan; coco: mle,seqgan,maligan; defaults: all eight")
    parser.add_argument("--pretrained", default="", help="oracle, coco: the MLE run the GANs start from")
    parser.add_argument("--length", type=int, default=20, help="oracle: sequence length")
    parser.add_argument("--mle_preset", default="seqgan_coco", help="coco: the MLE run's preset (its method: mle)")
    parser.add_argument("--mle_epochs", type=int, default=20)
    parser.add_argument("--steps", default="seqgan=10,maligan=20,rankgan=10,leakgan=10",
                        help="coco: adversarial steps per method")
    parser.add_argument("--row_steps", type=int, default=60, help="ablation: steps per row")
    parser.add_argument("--rollout_num", type=int, default=8)
    parser.add_argument("--discriminator_pretrain_rounds", type=int, default=3)
    parser.add_argument("--negatives", type=int, default=2000)
    parser.add_argument("--leakgan_pretrain_epochs", type=int, default=3)
    parser.add_argument("--test_file", default="coco_nll_test.txt", help="coco: the runs' test split (NLL-test)")
    parser.add_argument("--metrics", default="nll,bleu,self_bleu", help="coco: of tfgan_text.evaluation")
    parser.add_argument("--temperatures", default="", help="coco: 1; sweep: 0.5,0.75,1.0,1.25,1.5")
    parser.add_argument("--num_samples", type=int, default=0, help="coco, ablation: 1000; sweep: 10000")
    parser.add_argument("--full_samples", type=int, default=10_000, help="coco: also BLEU/Self-BLEU at this size")
    parser.add_argument("--no_training_row", dest="training_row", action="store_false")
    parser.add_argument("--fed_encoder", default="minilm", choices=["minilm", "hashed_bow"])
    parser.add_argument("--lm_steps", type=int, default=1000)
    parser.add_argument("--prefix_words", type=int, default=3)
    parser.add_argument("--adversarial_steps", type=int, default=40)
    parser.add_argument("--adversarial_learning_rate", type=float, default=1e-4)
    parser.add_argument("--small_batch", type=int, default=64)
    parser.add_argument("--large_batch", type=int, default=256)
    parser.add_argument("--vectors", default="runs/word_vectors/coco_glove64.txt", help="ablation: 64-d GloVe")
    parser.add_argument("--timed_runs", default="cot:cot_oracle:250,mle:mle_oracle:1500",
                        help="timed: method:preset:eval_every,...")
    parser.add_argument("--minutes", type=float, default=9.0)
    parser.add_argument("--scalars", default="", help="timed: TensorBoard training tags to average")
    parser.add_argument("--fixed_oracle_run", default="")
    parser.add_argument("--fixed_oracle_epochs", type=int, default=80)
    args = parse(parser, lambda a: {"oracle": f"oracle_{a.methods.replace(',', '_') or 'seqgan_maligan'}_{a.length}.md",
                                    "ablation": "scratchgan_coco.md", "timed": "timed.md",
                                    "sweep": "temperature_sweep.md"}.get(a.experiment, f"{a.experiment}.md"))
    args.methods = args.methods or {"oracle": "seqgan,maligan", "coco": "mle,seqgan,maligan",
                                    "defaults": DEFAULTS_METHODS}.get(args.experiment, "")
    args.temperatures = args.temperatures or ("1" if args.experiment == "coco" else "0.5,0.75,1.0,1.25,1.5")
    args.num_samples = args.num_samples or (10_000 if args.experiment == "sweep" else 1000)
    if args.smoke:
        args.runs = tempfile.mkdtemp(prefix="bench-smoke-")
    report = Report(EXPERIMENTS[args.experiment], args.output, args.smoke)
    globals()[f"experiment_{args.experiment}"](args, report)
    report.write()


if __name__ == "__main__":
    main()
