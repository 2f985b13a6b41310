"""Speed side by side with the PyTorch reference (TextGAN-PyTorch, ../shared/anchors/textgan_pytorch), one run.

    .venv/bin/python benchmarks/side_by_side.py [--workloads=a,b,c,d,e,f] [--pairs=3] [--output=FILE]

First writes the reference's data contract (--contract_dir) from the project's own tasks, so that both
sides train on the same ids: the fixed SeqGAN oracle's training set and COCO in the project's word
vocabulary (from --data_dir), the tokenised COCO test captions and 2,000 sentences of a COCO generator.
Then, for every workload, alternates a child process of each side (project, reference, project, ...;
--pairs pairs), each printing `RESULT <name> <number>` lines, and records the load before and after,
the peak resident memory and wall time of every child (os.wait4: both sides measured alike).

Workloads (the reference's README): a MLE training on the oracle (V 5,000, T 20, e32 h32, batch 64;
300 steps after 30) tokens/s; b the same on COCO; c sampling 10,000 sequences of 20 sequences/s; d one
SeqGAN adversarial G step (batch 64, 16 roll-outs) s; e one D epoch (10,000 fresh negatives + 10,000
real, batch 64) s; f BLEU-4 of 200 sentences against 10,000 references and Self-BLEU-4 of 2,000 s,
with the per-sentence scores compared to nltk's.

The project's side runs its own code paths: the trainer's compiled step (`harness.trainer_step`),
`Sampler`, the SeqGAN G step and a D round compiled as the trainer compiles phases,
`tfgan_text.metrics.bleu`. Without the reference's virtualenv (--anchor_python) the reference is
skipped, and the report says so.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, Report, arguments, build, data_file, load_average, parse, preset,  # noqa: E402
                     run_child, trainer_step)

ANCHOR_DIR = os.path.join("..", "shared", "anchors", "textgan_pytorch")
WARMUP_STEPS, TIMED_STEPS = 30, 300  # the reference's a and b
NUM_SAMPLES = 10_000
BLEU_MATCH = 1e-9  # max |project - nltk| per sentence for "equal"
BUSY_LOAD = 2.0  # a 1-minute load average above the 2 cores: other jobs competed with both sides
LOADS: list[float] = []  # 1-minute load averages seen before and after every workload

# workload -> (what, the RESULT names compared, unit, higher is better)
WORKLOADS = {
    "a": ("MLE training, oracle V 5,000 T 20, e32 h32, batch 64 (300 steps after 30)", ["a"], "tokens/s", True),
    "b": ("MLE training, COCO words, e32 h32, batch 64 (300 steps after 30)", ["b"], "tokens/s", True),
    "c": ("sampling 10,000 sequences of length 20 (generator of a)", ["c"], "sequences/s", True),
    "d": ("SeqGAN adversarial G step, batch 64, 16 roll-outs", ["d"], "s", False),
    "e": ("D epoch, 10,000 fresh negatives + 10,000 real, batch 64", ["e"], "s", False),
    "f": ("BLEU-4 of 200 vs 10,000 refs; Self-BLEU-4 of 2,000", ["f_bleu", "f_selfbleu_extrapolated"], "s", False),
}
LABELS = {"a": "MLE training, oracle", "b": "MLE training, COCO", "c": "sampling 10,000 x 20",
          "d": "SeqGAN G step", "e": "D epoch (10k + 10k)", "f_bleu": "BLEU-4, 200 vs 10,000 refs",
          "f_selfbleu_extrapolated": "Self-BLEU-4 of 2,000 (reference: 200 timed, extrapolated; project: all 2,000)"}


# --- the data contract --------------------------------------------------------------------------------
def oracle_config(args, method: str = "mle", **changes):
    return preset("mle_oracle" if method == "mle" else f"{method}_oracle", args.overrides, method=method,
                  oracle_params=data_file(args, "seqgan_oracle_lstm.npz"), **changes)[1]


def coco_config(args, **changes):
    return preset("seqgan_coco", args.overrides, method="mle", train_data=data_file(args, "coco_train.txt"),
                  test_data=data_file(args, "coco_nll_test.txt"), **changes)[1]


def write_contract(args, log) -> None:
    """The reference's input files in --contract_dir, from the project's tasks (see the anchor's README)."""
    import numpy as np

    from tfgan_text.data.tokenizers import get_tokenizer
    from tfgan_text.data.vocabulary import SPECIAL_TOKENS
    from tfgan_text.sampling import Sampler

    folder = args.contract_dir
    os.makedirs(folder, exist_ok=True)
    oracle = build("mle", oracle_config(args)).task
    coco_method = build("mle", coco_config(args))
    coco = coco_method.task
    np.save(os.path.join(folder, "oracle_train.npy"), oracle.train)
    np.save(os.path.join(folder, "coco_train.npy"), coco.train)
    vocabulary = coco.vocabulary
    with open(os.path.join(folder, "coco_vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocabulary.tokens) + "\n")
    with open(data_file(args, "coco_test.txt"), encoding="utf-8") as f:
        test = get_tokenizer("word").tokenize([line for line in f if line.strip()])
    with open(os.path.join(folder, "coco_test_tok.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(" ".join(sentence) for sentence in test) + "\n")
    meta = {"oracle": {"V": oracle.spec.vocab_size, "T": oracle.spec.max_length, "bos": oracle.spec.bos_id,
                       "num_train": len(oracle.train), "source": "seqgan_oracle_lstm.npz"},
            "coco": {"V": coco.spec.vocab_size, "T": coco.spec.max_length, "pad": vocabulary.pad_id,
                     "bos": vocabulary.bos_id, "eos": vocabulary.eos_id, "unk": vocabulary.unk_id,
                     "num_train": len(coco.train), "source": "coco_train.txt (word tokenizer)"}}
    with open(os.path.join(folder, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    # 2,000 generated sentences: the project's MLE generator after 2 epochs on COCO (as the reference's gen_coco).
    step = trainer_step(coco_method, coco_method.config)
    for i in range(2 * len(coco.train) // coco_method.config.batch_size):
        step(i)
    drawn = Sampler(coco_method.generator, coco.spec)(3000, [1, 0]).tokens.numpy()
    sentences = []
    for row in drawn:  # the words before the first pad or eos, special tokens left out
        ends = np.flatnonzero(np.isin(row, [vocabulary.pad_id, vocabulary.eos_id]))
        words = [vocabulary.tokens[t] for t in row[:ends[0] if len(ends) else len(row)] if t >= len(SPECIAL_TOKENS)]
        if words:
            sentences.append(" ".join(words))
    with open(os.path.join(folder, "gen_coco_2000.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(sentences[:2000]) + "\n")
    log(f"Data contract in {folder}: oracle train {oracle.train.shape}, COCO train {coco.train.shape} "
        f"(V {coco.spec.vocab_size:,}), {len(test):,} test captions, {min(len(sentences), 2000):,} generated "
        "sentences (the project's MLE generator after 2 epochs on COCO).\n")


# --- the project's side (a child process per measurement) -------------------------------------------
def result(name: str, value: float) -> None:
    print(f"RESULT {name} {value:.6g}", flush=True)


def info(text: str) -> None:
    print(f"INFO {text}", flush=True)


def same_ids(task, path: str) -> None:
    """The project's task must hold the contract's ids (the reference trains on them)."""
    import numpy as np

    if not np.array_equal(task.train, np.load(path)):
        sys.exit(f"{path}: not the ids of the project's task (write the contract again)")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def project_mle(args, setting: str):
    """(method, step call) after the warm-up steps; prints tokens/s of the timed steps (a, b)."""
    import numpy as np

    config = oracle_config(args) if setting == "oracle" else coco_config(args)
    method = build("mle", config)
    same_ids(method.task, os.path.join(args.contract_dir, f"{setting}_train.npy"))
    info(f"peak_mib_after_setup {peak_mib():.0f}")
    step = trainer_step(method, config)
    warm, timed = (3, 10) if args.smoke else (WARMUP_STEPS, TIMED_STEPS)
    for i in range(warm):
        step(i)
    info(f"peak_mib_after_warmup {peak_mib():.0f}")
    if setting == "oracle" and args.child == "c":
        return method
    started = time.perf_counter()
    for i in range(timed):
        loss = step(i)["loss"]
    seconds = time.perf_counter() - started
    tokens = timed * config.batch_size * method.task.spec.max_length
    result("a" if setting == "oracle" else "b", tokens / seconds)
    info(f"steps_per_s {timed / seconds:.2f} loss_last {loss:.3f}")
    if setting == "coco":
        real = float(np.mean(method.task.train != method.task.spec.pad_id)) * tokens
        info(f"real_tokens_per_s {real / seconds:.1f} (mean non-pad share of the training set)")
    return method


def project_sampling(args) -> None:
    from tfgan_text.sampling import Sampler

    method = project_mle(args, "oracle")
    sampler = Sampler(method.generator, method.task.spec)
    sampler(256, [0, 0]).tokens.numpy()
    count = 500 if args.smoke else NUM_SAMPLES
    started = time.perf_counter()
    tokens = sampler(count, [0, 1]).tokens.numpy()
    seconds = time.perf_counter() - started
    assert tokens.shape == (count, method.task.spec.max_length)
    result("c", count / seconds)


def seqgan(args, **changes):
    small = {"rollout_num": 2, "discriminator_negatives": 256} if args.smoke else {}
    config = oracle_config(args, "seqgan", pretrain_epochs=0, discriminator_epochs=1,
                           **{"discriminator_negatives": NUM_SAMPLES, **changes, **small})
    method = build("seqgan", config)
    same_ids(method.task, os.path.join(args.contract_dir, "oracle_train.npy"))
    return method


def project_generator_step(args) -> None:
    import tensorflow as tf

    from tfgan_text.methods.base import Phase
    from tfgan_text.training.actions import step_seed
    from tfgan_text.training.trainer import compile_step

    method = seqgan(args)
    compiled = compile_step(Phase("adversarial_generator", 1, method.generator_step), tf.distribute.get_strategy())
    real = tf.constant(method.task.train[:method.config.batch_size])
    values = compiled(real, step_seed(1, 0))
    float(values["generator_loss"])
    started = time.perf_counter()
    float(compiled(real, step_seed(1, 1))["generator_loss"])
    result("d", time.perf_counter() - started)


def project_discriminator_epoch(args) -> None:
    import tensorflow as tf

    from tfgan_text.methods.base import Phase
    from tfgan_text.training.actions import step_seed
    from tfgan_text.training.trainer import compile_step

    method = seqgan(args)
    compiled = compile_step(Phase("pretrain_discriminator", 1, method.discriminator_pretrain_step, cross_replica=True),
                            tf.distribute.get_strategy())
    real = tf.constant(method.task.train[:method.config.batch_size])
    float(compiled(real, step_seed(1, 0))["discriminator_loss"])  # the trace and one round
    started = time.perf_counter()
    values = compiled(real, step_seed(1, 1))
    loss = float(values["discriminator_loss"])
    result("e", time.perf_counter() - started)
    info(f"discriminator_loss {loss:.4f} accuracy {float(values['discriminator_accuracy']):.3f}")


def read_tokenised(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8") as f:
        return [line.split() for line in f if line.strip()]


def project_bleu(args) -> None:
    import numpy as np

    from tfgan_text.metrics.bleu import BleuScorer

    references = read_tokenised(os.path.join(args.contract_dir, "coco_test_tok.txt"))
    generated = read_tokenised(os.path.join(args.contract_dir, "gen_coco_2000.txt"))
    started = time.perf_counter()
    scores = BleuScorer(references, max_n=4).sentence_scores(generated[:200], 4)
    result("f_bleu", time.perf_counter() - started)
    started = time.perf_counter()
    self_scores = BleuScorer(generated, max_n=4).leave_one_out_sentence_scores([4])[4]
    result("f_selfbleu_extrapolated", time.perf_counter() - started)  # measured on all 2,000
    np.save(os.path.join(args.child_out, "project_bleu4_200.npy"), np.asarray(scores))
    np.save(os.path.join(args.child_out, "project_selfbleu4.npy"), np.asarray(self_scores))


def run_project_side(args) -> None:
    if args.child in ("a", "b"):
        project_mle(args, "oracle" if args.child == "a" else "coco")
    else:
        {"c": project_sampling, "d": project_generator_step, "e": project_discriminator_epoch,
         "f": project_bleu}[args.child](args)
    info(f"peak_mib {peak_mib():.0f}")


# --- the parent: alternate the sides, write the report ------------------------------------------------
def bleu_equality(folder: str) -> str:
    """Max |project - nltk| of the per-sentence scores both sides saved in `folder`."""
    import numpy as np

    pairs = [("project_bleu4_200.npy", "nltk_bleu4_200.npy"), ("project_selfbleu4.npy", "nltk_selfbleu4_first200.npy")]
    if not all(os.path.exists(os.path.join(folder, name)) for pair in pairs for name in pair):
        return "not checked (a side's scores are missing)"
    worst = 0.0
    for ours, theirs in pairs:
        reference = np.load(os.path.join(folder, theirs))
        worst = max(worst, float(np.max(np.abs(np.load(os.path.join(folder, ours))[:len(reference)] - reference))))
    verdict = "equal" if worst <= BLEU_MATCH else "NOT EQUAL"
    return f"{verdict}: max per-sentence abs(project - nltk) = {worst:.1e} (200 BLEU-4, first 200 Self-BLEU-4)"


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def spread(values: list[float]) -> str:
    return f"{number(statistics.median(values))} ({number(min(values))}..{number(max(values))})"


def ratio_cell(ratios: list[float]) -> str:
    return f"{number(statistics.median(ratios))}x ({number(min(ratios))}..{number(max(ratios))})" if ratios else "-"


def measure(args, workload: str, report: Report, anchor: bool) -> list:
    """Alternates the two sides on `workload`; returns its rows of the summary table."""
    what, names, unit, higher = WORKLOADS[workload]
    out = os.path.join(args.contract_dir, f"out_{workload}")
    os.makedirs(out, exist_ok=True)
    project_command = [sys.executable, os.path.abspath(sys.argv[0]), f"--child={workload}",
                       f"--contract_dir={args.contract_dir}", f"--child_out={out}", f"--data_dir={args.data_dir}"]
    project_command += ["--smoke"] * args.smoke + (["--", *args.overrides] if args.overrides else [])
    anchor_command = [args.anchor_python, os.path.join(os.path.abspath(args.anchor_dir), "anchor.py"), workload]
    anchor_env = {**os.environ, "ANCHOR_DATA": os.path.abspath(args.contract_dir), "ANCHOR_OUT": out}
    load_before = load_average()
    LOADS.append(os.getloadavg()[0])
    runs: dict[str, list] = {"project": [], "reference": []}
    for pair in range(args.pairs):
        sides = [("project", project_command, None)] + ([("reference", anchor_command, anchor_env)] if anchor else [])
        for side, command, env in sides:
            run = run_child(command, env=env, cwd=ROOT)
            missing = [name for name in names if name not in run.results]
            if run.returncode or missing:
                sys.exit(f"{side} side of workload {workload} failed (exit {run.returncode}):\n{run.output[-3000:]}")
            runs[side].append(run)
            print(f"  {workload} pair {pair + 1} {side}: " + ", ".join(f"{n} {run.results[n]:.4g}" for n in names)
                  + f"; {run.seconds:.1f} s, {run.peak_mib:.0f} MiB", flush=True)
    report(f"## {workload}: {what}\n")
    report(f"Load average before / after (1/5/15 min): {load_before} -> {load_average()}.\n")
    rows, table = [], []
    for name in names:
        ours = [r.results[name] for r in runs["project"]]
        theirs = [r.results[name] for r in runs["reference"]]
        ratios = [(o / t if higher else t / o) for o, t in zip(ours, theirs)]
        table.append([LABELS[name], f"{spread(ours)} {unit}", f"{spread(theirs)} {unit}" if theirs else "skipped",
                      ratio_cell(ratios)])
        rows.append([f"{workload}: {LABELS[name]}", f"{number(statistics.median(ours))} {unit}",
                     f"{number(statistics.median(theirs))} {unit}" if theirs else "skipped", ratio_cell(ratios)])
    wall_ours = [r.seconds for r in runs["project"]]
    wall_theirs = [r.seconds for r in runs["reference"]]
    wall_ratios = [t / o for o, t in zip(wall_ours, wall_theirs)]
    table.append(["whole process (wall s)", spread(wall_ours), spread(wall_theirs) if wall_theirs else "skipped",
                  ratio_cell(wall_ratios)])
    table.append(["peak memory (MiB)", spread([r.peak_mib for r in runs["project"]]),
                  spread([r.peak_mib for r in runs["reference"]]) if anchor else "skipped", ""])
    report.table(["measure", "project: median (range)", "reference: median (range)",
                  "project speed / reference speed: median pairwise ratio (range)"], table)
    setup = [line.split()[2] for r in runs["project"] for line in r.output.splitlines()
             if line.startswith("INFO peak_mib_after_setup")]
    if setup:
        report(f"Project peak memory after importing TensorFlow and building the task and models: "
               f"{statistics.median(float(v) for v in setup):,.0f} MiB (median).\n")
    for side in runs:
        extra = sorted({line for r in runs[side][-1:] for line in r.output.splitlines() if line.startswith("INFO")})
        if extra:
            report(f"{side}, last run: " + "; ".join(line[5:] for line in extra) + "\n")
    memory = f"{statistics.median(r.peak_mib for r in runs['project']):,.0f} / " + (
        f"{statistics.median(r.peak_mib for r in runs['reference']):,.0f}" if anchor else "-")
    rows = [row + [memory if i == 0 else ""] for i, row in enumerate(rows)]
    LOADS.append(os.getloadavg()[0])
    if workload == "a" and wall_ratios:
        rows.append(["a: whole process (import, data, tracing, 330 steps)", f"{statistics.median(wall_ours):.1f} s",
                     f"{statistics.median(wall_theirs):.1f} s", ratio_cell(wall_ratios), ""])
    if workload == "f":
        check = bleu_equality(out)
        report(f"BLEU equality (per sentence, project vs nltk): {check}\n")
        rows.append(["f: BLEU equality", "", "", check, ""])
    return rows


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="a subset of a,b,c,d,e,f")
    parser.add_argument("--pairs", type=int, default=3, help="alternated (project, reference) pairs per workload")
    parser.add_argument("--contract_dir", default=os.path.join("/tmp", "tfgan_text_anchor_data"),
                        help="where the reference's data contract is written (outside the repository)")
    parser.add_argument("--keep_contract", action="store_true",
                        help="reuse the contract already in --contract_dir (written by an earlier run)")
    parser.add_argument("--anchor_dir", default=ANCHOR_DIR, help="the reference (anchor.py and reference/)")
    parser.add_argument("--anchor_python", default=os.path.expanduser(os.path.join("~", ".anchor-venv", "bin",
                                                                                  "python")),
                        help="the reference's virtualenv python (torch CPU)")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)  # the project's side of one workload
    parser.add_argument("--child_out", default="", help=argparse.SUPPRESS)
    args = parse(parser, lambda a: "side_by_side.md")
    args.data_dir = os.path.abspath(args.data_dir)
    args.contract_dir = os.path.abspath(args.contract_dir)
    if args.child:
        run_project_side(args)
        return
    workloads = [w for w in args.workloads.split(",") if w]
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown or not workloads or args.pairs < 1:
        print(f"--workloads={args.workloads} / --pairs={args.pairs}: workloads are a subset of "
              f"{','.join(WORKLOADS)}, pairs at least 1", file=sys.stderr)
        sys.exit(2)
    anchor = os.path.exists(args.anchor_python) and os.path.exists(os.path.join(args.anchor_dir, "anchor.py"))
    if args.smoke:
        anchor, args.pairs = False, 1
    report = Report("Speed side by side with the PyTorch reference (TextGAN-PyTorch)", args.output, args.smoke)
    if anchor:
        report(f"Reference: {os.path.abspath(args.anchor_dir)}/anchor.py in {args.anchor_python} (torch 2 threads); "
               f"{args.pairs} pairs per workload, the sides alternated (project first); every measurement is a "
               "fresh process of its side. Ratios are project speed / reference speed (for seconds: reference "
               "seconds / project seconds); >1 means the project is faster.\n")
    else:
        report(f"**Reference skipped**: {'--smoke' if args.smoke else f'no virtualenv at {args.anchor_python}'} "
               f"(set it up as {args.anchor_dir}/README.md says); only the project's side was measured.\n")
    if args.keep_contract and os.path.exists(os.path.join(args.contract_dir, "meta.json")):
        report(f"Data contract: reused from {args.contract_dir} (the project's sides check that their task's ids "
               "are the contract's).\n")
    else:
        write_contract(args, report)
    summary = []
    for workload in workloads:
        summary += measure(args, workload, report, anchor)
    report("## Summary\n")
    report.table(["workload", "project (median)", "reference (median)", "ratio: median (range)",
                  "peak memory MiB project / reference"], summary)
    if max(LOADS) > BUSY_LOAD:
        report(f"**The machine was busy**: 1-minute load average up to {max(LOADS):.1f} on {os.cpu_count()} cores "
               "during this run (other developers' jobs share the cores). Both sides ran under the same load, "
               "alternated, so the ratios hold better than the absolute figures; both sides' absolute speeds "
               "are lower than on an idle machine.\n")
    report.write()


if __name__ == "__main__":
    main()
