"""Speed of the library's steps, side by side in one process (benchmarks/harness.py times them).

    .venv/bin/python benchmarks/speed.py --workload=NAME [options] [--smoke] [--output=FILE] [-- --field=value ...]

Workloads (every step is the method's own function, compiled as the trainer compiles it: a phase step
through `tfgan_text.training.trainer.compile_step`, seeded by `step_seed`, fed by `training_batches`;
a method's other pieces with tf.function):
  mle            MLE training tokens/s (the trainer's loop) and sampling sequences/s (`Sampler`, several
                 chunk sizes) on the fixed SeqGAN oracle and Image COCO, beside the PyTorch reference's
                 published figures; on the oracle also where the time of a step goes (--settings).
  adversarial    SeqGAN / RankGAN / LeakGAN: one adversarial G step, one D round of --negatives fresh
                 negatives (+ as many real, 1 epoch), LeakGAN's supervised step; for SeqGAN also the
                 pieces of both (--methods, --settings oracle|coco, --length, --pieces).
  gan_steps      The updates of MLE, CoT, WGAN-GP (--wgan_dims, --xla off|on|both) and ScratchGAN
                 (--scratchgan_sizes) on --setting oracle (random oracle, V 5,000, T 20), coco (words)
                 or coco_char (characters, flags/wgan_gp_coco_char_cpu.cfg).
  output_layers  MLE with each --output_layer at V = --vocab_size, trained in lockstep: ms per step and
                 the exact NLL-test after the same steps.
  export         Sampling through an exported SavedModel (TF2 loader; v1 Session as TF Serving runs it)
                 beside the in-process Sampler, with a check that all three draw the same tokens.
  bleu           tfgan_text.metrics.bleu against nltk on COCO: speed, and equality to 1e-9.
  distributed    A method's main phase step under OneDeviceStrategy and MirroredStrategy (--logical_cpus
                 for a CPU check; the comparison means something only on several GPUs).
Timing: warm-up calls, then --windows rounds of alternating windows; reported per call: the fastest
clean window (other processes used < 0.25 cores; else the fastest), the median window, this
process's CPU seconds in the best window, and the other processes' cores during it.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (TIMING_COLUMNS, Report, arguments, build, data_file, parse, preset, time_windows,  # noqa: E402
                     trainer_step)

import tfgan_text as tt  # noqa: E402

REFERENCE_TOKENS_PER_S, REFERENCE_SEQUENCES_PER_S = 51_500, 435  # PyTorch reference, published (oracle, 2 threads)
REFERENCE_SEQGAN = {"oracle": (32.7, 22.0), "coco": (121.0, 38.8)}  # TextGAN-PyTorch: s per G step, per D epoch


def closure(fn, *args):
    """fn(*args) as a function of nothing (bound now, not when a loop variable changes)."""
    return lambda: fn(*args)


def task_of(config):
    return tt.build_task(config, log=lambda message: None, seed=config.seed)


def config_of(method: str, values: dict):
    """The method's config from `values`, fields it lacks ignored."""
    config_class = tt.get_method(method).config_class
    return config_class(**{k: v for k, v in values.items() if k in {f.name for f in config_class.fields()}})


def numpy_of(values):
    import tensorflow as tf

    return tf.nest.map_structure(lambda v: v.numpy() if hasattr(v, "numpy") else v, values)


def timing_table(report: Report, timings: dict, rates: dict | None = None, reference: str = "") -> None:
    rates = rates or {}
    base = timings[reference].best if reference else None
    header = ["what", *TIMING_COLUMNS] + (["rate (best window)"] if rates else [])
    header += [f"x {reference}"] if base else []
    rows = []
    for label, t in timings.items():
        count, unit = rates.get(label, (0, ""))
        rows.append([label, *t.cells()] + ([f"{count / t.best:,.0f} {unit}" if count else ""] if rates else [])
                    + ([f"{t.best / base:.2f}"] if base else []))
    report.table(header, rows)


# --- mle ----------------------------------------------------------------------------------------------
def mle_pieces(method, trainer_call):
    """Where the time of a train step goes: each piece compiled like the step, on one fixed batch."""
    import tensorflow as tf

    from tfgan_text.data.pipeline import training_batches
    from tfgan_text.losses.likelihood import mle_loss
    from tfgan_text.methods.base import Phase
    from tfgan_text.replicas import replica_seed
    from tfgan_text.training.actions import step_seed
    from tfgan_text.training.trainer import compile_step

    g, spec, config = method.generator, method.task.spec, method.config
    batch, seed = tf.constant(method.task.train[:config.batch_size]), step_seed(config.seed, 0)
    lstm_variables = g.embedding.trainable_variables + [v for lstm in g.lstms for v in lstm.trainable_variables]

    def lstm(tokens):
        x = g.embedding(tokens)
        for layer in g.lstms:
            x = layer(x)[0]
        return x

    def backward(loss_fn, variables):
        def fn(tokens, s):
            with tf.GradientTape() as tape:
                loss = loss_fn(tokens, s)
            return {"x": loss, "norm": tf.linalg.global_norm([tf.convert_to_tensor(d) for d in
                                                              tape.gradient(loss, variables)])}
        return fn

    def nll(tokens, s):
        return mle_loss(g, tokens, spec, replica_seed(s))[0]

    pieces = {
        "empty compiled call (dispatch + reduce + float)": lambda t, s: {"x": tf.constant(0.0)},
        "forward: embedding + LSTM only": lambda t, s: {"x": tf.reduce_sum(lstm(t))},
        "forward: embedding + LSTM + dense logits": lambda t, s: {"x": tf.reduce_sum(g.output_layer(lstm(t)))},
        "forward: full loss (+ log-softmax, gather, mask)": lambda t, s: {"x": nll(t, s)},
        "forward + backward (gradients, global norm)": backward(nll, g.trainable_variables),
        "forward + backward of embedding + LSTM only": backward(lambda t, s: tf.reduce_sum(lstm(t)), lstm_variables),
        "forward + backward of embedding + LSTM + logits": backward(
            lambda t, s: tf.reduce_sum(g.output_layer(lstm(t))), g.trainable_variables),
        "full train step (+ clip + Adam), fixed batch": method.phases()[0].step}
    batches = iter(training_batches(method.task.train, config.batch_size, config.seed))
    calls = {"data pipeline alone: next(batches)": lambda i: next(batches),
             "step seed alone: step_seed(seed, step)": lambda i: step_seed(config.seed, i).numpy()}
    for label, fn in pieces.items():
        compiled = compile_step(Phase(label, 1, fn), tf.distribute.get_strategy())
        calls[label] = lambda i, c=compiled: numpy_of(c(batch, seed))
    return {**calls, "trainer loop (batch, seed, step, float)": trainer_call}


def workload_mle(args, report: Report) -> None:
    import numpy as np

    from tfgan_text.sampling import Sampler, sequence_mask

    steps, windows = (10, 1) if args.smoke else (300, args.windows)
    num_samples, chunks = (500, [100, 500]) if args.smoke else (10_000, [500, 1000, 2048, 10_000])
    summary = []
    for setting in args.settings.split(","):
        if setting == "oracle":
            _, config = preset("mle_oracle", args.overrides, oracle_params=data_file(args, "seqgan_oracle_lstm.npz"),
                               oracle_num_train=640 if args.smoke else 10_000, oracle_num_test=64)
        else:
            _, config = preset("seqgan_coco", args.overrides, method="mle", tokenizer="word",
                               train_data=data_file(args, "coco_train.txt"), test_data=data_file(args, "coco_test.txt"))
        method = build("mle", config)
        spec, batch = method.task.spec, config.batch_size
        real_per_step = float(np.mean([float(sequence_mask(method.task.train[i:i + batch], spec.eos_id).numpy().sum())
                                       for i in range(0, len(method.task.train) - batch + 1, batch)]))
        report(f"## {setting}: V {spec.vocab_size:,}, T {spec.max_length}, {len(method.task.train):,} training "
               f"sequences; generator embedding {config.embedding_dim}, hidden {config.hidden_dim}, batch {batch}; "
               f"real tokens per batch (non-pad, eos included) {real_per_step:,.1f} of {batch * spec.max_length:,}\n")
        train = trainer_step(method, config)
        timings = time_windows({"train step (trainer loop)": train}, windows, steps, warmup=30 if not args.smoke else 3)
        t = timings["train step (trainer loop)"].best
        report(f"Training: windows of {steps} steps after the warm-up steps.\n")
        timing_table(report, timings, {"train step (trainer loop)": (real_per_step, "real tokens/s")})
        sampler = Sampler(method.generator, spec)
        sampling = time_windows({f"sample {num_samples:,}, chunk {c:,}": (
            lambda i, c=c: sampler(num_samples, [i, 0], chunk_size=c).tokens.numpy()) for c in chunks}, windows)
        lengths = sequence_mask(sampler(num_samples, [0, 1]).tokens, spec.eos_id).numpy().sum(axis=1)
        report(f"Sampling from the generator trained above (mean length {lengths.mean():.2f} of {spec.max_length}; "
               "the loop stops once every sequence of a chunk has ended):\n")
        timing_table(report, sampling, {label: (num_samples, "sequences/s") for label in sampling})
        default = next((label for label in sampling if "2,048" in label), list(sampling)[-1])
        summary.append((setting, batch * spec.max_length / t, real_per_step / t, num_samples / sampling[default].best))
        if setting == "oracle" and not args.no_pieces:
            pieces = time_windows(mle_pieces(method, train), windows, steps, warmup=5)
            report("Where the time of a step goes (each piece compiled like the trainer's step, on one fixed batch, "
                   "with float() of its outputs; rough: pieces overlap):\n")
            timing_table(report, pieces, reference="trainer loop (batch, seed, step, float)")
    report("## Summary\n")
    report.table(["setting", "training tokens/s (all B*T positions)", "training real tokens/s", "sampling sequences/s",
                  "training ratio to the PyTorch reference", "sampling ratio"],
                 [[s, f"{a:,.0f}", f"{r:,.0f}", f"{q:,.0f}", f"{a / REFERENCE_TOKENS_PER_S:.2f}x",
                   f"{q / REFERENCE_SEQUENCES_PER_S:.2f}x"] for s, a, r, q in summary])
    report(f"Reference: the PyTorch implementation's PUBLISHED figures ({REFERENCE_TOKENS_PER_S:,} tokens/s training, "
           f"{REFERENCE_SEQUENCES_PER_S} sequences/s sampling; oracle, 2 threads), not measured side by side; "
           "COCO ratios are not like-for-like.\n")


# --- adversarial --------------------------------------------------------------------------------------
def seqgan_pieces(method, real, seed) -> dict:
    import tensorflow as tf

    from tfgan_text.rollout import monte_carlo_rewards
    from tfgan_text.sampling import sample, sequence_log_probs

    spec, d, c = method.task.spec, method.discriminator, method.config
    batch, rollouts = int(real.shape[0]), c.rollout_num
    tokens = sample(method.generator, spec, batch, seed).tokens
    completions = tf.random.uniform([rollouts * batch, spec.max_length], 0, spec.vocab_size, tf.int32, seed=1)
    rewards = tf.random.uniform([batch, spec.max_length])
    n = min(c.discriminator_negatives, len(method.task.train))
    negatives = tf.function(lambda: method.sample_generator(c.discriminator_negatives, seed))
    data = tf.concat([tf.constant(method.task.train[:n]), negatives()[:n]], axis=0)
    labels = tf.concat([tf.ones([n], tf.int32), tf.zeros([n], tf.int32)], axis=0)

    @tf.function
    def scoring():
        total = tf.constant(0.0)
        for _ in tf.range(spec.max_length - 1):
            total += tf.reduce_sum(d.real_probability(completions))
        return total + tf.reduce_sum(d.real_probability(tokens))

    @tf.function
    def update():
        with tf.GradientTape() as tape:
            loss = -tf.reduce_sum(sequence_log_probs(method.generator, tokens, spec, training=True) * rewards) / batch
        return tf.add_n([tf.reduce_sum(g) for g in tape.gradient(loss, method.generator.trainable_variables)])

    @tf.function
    def d_updates():
        total = tf.constant(0.0)
        for i in tf.range(tf.shape(data)[0] // 64):
            total += method.discriminator_update(data[i * 64:(i + 1) * 64], labels[i * 64:(i + 1) * 64], seed)[0]
        return total

    generation = tf.function(lambda: monte_carlo_rewards(method.rollout, spec, tokens,
                                                         lambda x: tf.zeros([tf.shape(x)[0]]), rollouts, seed))
    return {f"  roll-out generation only ((T-1) x {rollouts * batch:,} completions)": generation,
            f"  D scoring only ((T-1) x {rollouts * batch:,} + {batch} sequences)": scoring,
            "  G log-probs + gradient (no apply)": update,
            f"  sampling {c.discriminator_negatives:,} negatives only": negatives,
            f"  D updates only ({2 * n // 64} batches of 64)": d_updates}


def workload_adversarial(args, report: Report) -> None:
    import tensorflow as tf

    negatives = 256 if args.smoke else args.negatives
    report(f"D rounds of {negatives:,} fresh negatives + as many real sequences, 1 epoch; G embedding 32 / hidden "
           "32; every method from its preset (flags/<method>_<setting>.cfg).\n")
    seed = tf.constant([1, 2], tf.int32)
    for setting in args.settings.split(","):
        timings, calls = {}, {}
        for name in args.methods.split(","):
            paths = ({"oracle_params": data_file(args, "seqgan_oracle_lstm.npz"), "oracle_length": args.length}
                     if setting == "oracle" else {"train_data": data_file(args, "coco_train.txt"),
                                                  "test_data": data_file(args, "coco_nll_test.txt")})
            small = {"oracle_num_train": 256, "oracle_num_test": 64, "rollout_num": 2} if args.smoke else {}
            _, config = preset(f"{name}_{setting}", args.overrides, discriminator_negatives=negatives,
                               discriminator_epochs=1, pretrain_epochs=0, embedding_dim=32, hidden_dim=32,
                               **paths, **small)
            method = build(name, config)
            real = tf.constant(method.task.train[:config.batch_size])
            calls[f"{name}: G step"] = tf.function(closure(method.generator_step, real, seed))
            if name == "leakgan":
                calls[f"{name}: supervised step (batch {config.batch_size})"] = tf.function(
                    closure(method.supervised_step, real, seed))
            calls[f"{name}: D round"] = tf.function(closure(method.discriminator_rounds, 1, seed))
            if name == "seqgan" and args.pieces:
                calls.update(seqgan_pieces(method, real, seed))
        timings = time_windows({label: (lambda i, f=f: numpy_of(f())) for label, f in calls.items()}, args.repeats)
        report(f"## {setting}\n")
        timing_table(report, timings, reference=next(iter(calls)))
        if "seqgan" in args.methods and not args.smoke:
            g, d = timings["seqgan: G step"].best, timings["seqgan: D round"].best
            ref_g, ref_d = REFERENCE_SEQGAN[setting]
            report(f"Reference (TextGAN-PyTorch, published): {ref_g} s per G step, {ref_d} s per D epoch of 10,000 "
                   f"negatives. Here: {g:.2f} s ({ref_g / g:.1f}x faster), {d:.2f} s ({ref_d / d:.1f}x faster).\n")


# --- gan_steps ----------------------------------------------------------------------------------------
def random_vectors(task, dim: int, folder: str) -> str:
    import numpy as np

    path = os.path.join(folder, f"random{dim}.txt")
    rng = np.random.default_rng(0)
    with open(path, "w", encoding="utf-8") as f:  # random vectors of the right size: speed only
        for word in task.vocabulary.tokens[4:]:
            f.write(word + " " + " ".join(f"{v:.3f}" for v in rng.normal(size=dim)) + "\n")
    return path


SCRATCHGAN_SIZES = {"coco": dict(embedding_dim=32, hidden_dim=128, discriminator_embedding_dim=32,
                                 discriminator_hidden_dim=128, vectors=64),
                    "emnlp": dict(embedding_dim=64, hidden_dim=512, discriminator_embedding_dim=64,
                                  discriminator_hidden_dim=512, vectors=300)}


def workload_gan_steps(args, report: Report, folder: str) -> None:
    import tensorflow as tf

    from tfgan_text.sampling import sample

    seed = tf.constant([1, 2], tf.int32)
    small = dict(task="oracle", oracle_num_train=640, oracle_num_test=64, embedding_dim=32, hidden_dim=32,
                 init_stddev=0.1)
    if args.setting == "coco_char":
        small = dict(preset("wgan_gp_coco_char_cpu", train_data=data_file(args, "coco_train.txt"),
                            test_data=data_file(args, "coco_test.txt"))[1].to_dict())
    elif args.setting == "coco":
        small = dict(train_data=data_file(args, "coco_train.txt"), test_data=data_file(args, "coco_nll_test.txt"),
                     tokenizer="word")
    if args.smoke:
        small.update(oracle_vocab_size=200, oracle_length=10)
    task = task_of(config_of("mle", small))
    calls, rates = {}, {}
    dims = [int(d) for d in args.wgan_dims.split(",")] if args.wgan_dims else []
    xla_modes = {"off": [False], "on": [True], "both": [False, True]}[args.xla]

    def config(method, **changes):
        return config_of(method, {**small, **changes})

    for name in args.methods.split(","):
        if name == "mle":
            mle = build("mle", config("mle", learning_rate=0.01), task)
            calls["MLE step (teacher forcing)"] = tf.function(mle.mle_step), (tf.constant(task.train[:64]), seed)
        elif name == "cot":
            cot = build("cot", config("cot", learning_rate=1e-3), task)
            real = tf.constant(task.train[:64])
            fake = sample(cot.generator, task.spec, 64, seed).tokens
            calls["CoT iteration (sample 64 + M step + G step + JSD estimate)"] = (tf.function(cot.cot_step),
                                                                                  (real, seed))
            calls["  CoT: sampling 64 sequences from G"] = tf.function(
                lambda s: sample(cot.generator, task.spec, 64, s).tokens), (seed,)
            calls["  CoT: mediator step (balanced batch of 128)"] = tf.function(cot.mediator_step), (real, fake, seed)
            calls["  CoT: generator step (exact KL at every prefix)"] = tf.function(cot.generator_step), (fake, seed)
        elif name == "wgan_gp":
            for dim in dims:
                base = {} if args.setting == "coco_char" else dict(learning_rate=1e-4, grad_clip=0.0)
                wgan = build("wgan_gp", config("wgan_gp", wgan_dim=dim, **base), task)
                real = tf.constant(task.train[:wgan.config.batch_size])
                for xla in xla_modes:
                    tag = f"width {dim}" + {False: "", True: ", XLA"}[xla] * (args.xla == "both" or xla)
                    calls[f"WGAN-GP critic step (with gradient penalty), {tag}"] = tf.function(
                        wgan.critic_step, jit_compile=xla), (real, seed)
                    calls[f"WGAN-GP generator step, {tag}"] = tf.function(
                        lambda s, w=wgan: w.generator_step(tf.constant(64), s), jit_compile=xla), (seed,)
        elif name == "scratchgan":
            for size in args.scratchgan_sizes.split(","):
                sizes = dict(SCRATCHGAN_SIZES[size])
                vectors = random_vectors(task, sizes.pop("vectors"), folder)  # needs --setting=coco (words)
                _, c = preset("scratchgan_coco", args.overrides, **{
                    **small, **sizes, "embeddings_file": vectors, "batch_size": 32 if args.smoke else args.batch_size,
                    "learning_rate": 9.59e-5, "discriminator_learning_rate": 9.38e-3})
                step, generated = trainer_step(build("scratchgan", c, task), c), []
                label = f"ScratchGAN train step (G + D), {size} sizes, batch {c.batch_size}"
                calls[label] = (lambda i, st=step, g=generated: g.append(st(i)["generated_length"])), None
                rates[label] = (c.batch_size, "generated tokens/s", generated)
    timed = {label: (fn if fn_args is None else (lambda i, f=fn, a=fn_args: numpy_of(f(*a))))
             for label, (fn, fn_args) in calls.items()}
    timings = time_windows(timed, args.repeats, args.calls, warmup=3)
    spec = task.spec
    report(f"Setting {args.setting}: V {spec.vocab_size:,}, T {spec.max_length}; batch 64 unless said.\n")
    timing_table(report, timings, {label: (b * statistics.mean(g), unit) for label, (b, unit, g) in rates.items()},
                 reference=next(iter(timings)))
    if args.xla == "both":
        for label, t in timings.items():
            if label.endswith(", XLA"):
                report(f"- {label[:-5]}: XLA / no XLA = {t.median / timings[label[:-5]].median:.2f} (median windows)")
        report()


# --- output_layers ------------------------------------------------------------------------------------
VARIANTS = {"full": dict(output_layer="full"),
            "sampled_softmax unigram": dict(output_layer="sampled_softmax", sampling_proposal="unigram"),
            "sampled_softmax log_uniform": dict(output_layer="sampled_softmax", sampling_proposal="log_uniform"),
            "nce unigram": dict(output_layer="nce", sampling_proposal="unigram"),
            "negative_sampling unigram": dict(output_layer="negative_sampling", sampling_proposal="unigram"),
            "blackout unigram": dict(output_layer="blackout", sampling_proposal="unigram"),
            "hierarchical_softmax": dict(output_layer="hierarchical_softmax")}


def workload_output_layers(args, report: Report) -> None:
    import numpy as np

    from tfgan_text.metrics.likelihood import NegativeLogLikelihood

    vocab, length, num_train, num_test, dim, sampled = (2000, 20, 640, 320, 32, 64) if args.smoke else (
        args.vocab_size, 20, 10_000, args.num_test, 256, 1024)
    window, steps = (3, 9) if args.smoke else (args.window, args.steps)
    rounds = max(1, (steps - 3) // window)
    _, base = preset("mle", args.overrides, task="oracle", oracle_vocab_size=vocab, oracle_length=length,
                     oracle_num_train=num_train,
                     oracle_num_test=num_test, embedding_dim=dim, hidden_dim=dim, batch_size=64, learning_rate=0.01,
                     grad_clip=5.0, init_stddev=0.0, seed=1, num_sampled=sampled, hierarchical_classes=0)
    task = task_of(base)
    wanted = args.variants.split(",") if args.variants else list(VARIANTS)
    variants = {label: v for label, v in VARIANTS.items() if label in wanted or label.split()[0] in wanted}
    methods = {label: build("mle", base.replace(**v), task) for label, v in variants.items()}
    losses = {label: [] for label in methods}
    calls = {}
    for label, method in methods.items():
        step = trainer_step(method, method.config, phase=0)
        calls[label] = lambda i, s=step, out=losses[label]: out.append(s(i)["loss"])
    nll = lambda model: NegativeLogLikelihood(model, task.spec, batch_size=100)(task.test)  # noqa: E731
    initial = nll(next(iter(methods.values())).generator)
    timings = time_windows(calls, rounds, window, warmup=3)
    for label, call in calls.items():  # the untimed rest: every variant takes exactly `steps` steps
        for _ in range(steps - len(losses[label])):
            call(0)
    report(f"Task: random oracle (seed {base.oracle_seed}), V {vocab:,}, T {length}, {num_train:,} training / "
           f"{num_test:,} held-out sequences. Generator: embedding {dim}, hidden {dim}, Keras initialisation; batch "
           f"64, Adam 0.01, clip 5; negatives per step {sampled}. Every variant starts from the same weights (the "
           f"hierarchical softmax has its own output weights) and sees the same batches; {rounds} rounds of "
           f"{window} steps of every variant in turn after 3 warm-up steps, then the rest of the {steps} steps.\n")
    report(f"NLL-test of the oracle itself {nll(task.oracle):.3f} (the floor); untrained generator {initial:.3f}; "
           f"log V = {np.log(vocab):.3f}.\n")
    full = timings.get("full")
    rows, full_nll = [], None
    for label, t in timings.items():
        value = nll(methods[label].generator)
        full_nll = value if label == "full" else full_nll
        ratio = statistics.median(f / s for f, s in zip(full.seconds, t.seconds)) if full else float("nan")
        rows.append([label, f"{t.median * 1e3:,.1f}", f"{64 * length / t.median:,.0f}", f"{ratio:.2f}x",
                     f"{np.mean(losses[label][-window:]):.3f}", f"{value:.3f}",
                     f"{100 * (value / full_nll - 1):+.1f}%" if full_nll else ""])
    report.table(["output layer", "ms/step (median)", "tokens/s", "speed vs full (median of per-round ratios)",
                  f"training loss (last {window} steps)", f"NLL-test after {steps:,} steps (exact)",
                  "vs full"], rows)
    report("Training loss is each layer's own objective (estimates for the sampled layers); NLL-test is exact.\n")


# --- export -------------------------------------------------------------------------------------------
def workload_export(args, report: Report, folder: str) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    from tfgan_text.sampling import Sampler

    batch = 50 if args.smoke else args.batch
    _, config = preset("mle", args.overrides, task="oracle", oracle_num_train=1, oracle_num_test=1, init_stddev=0.0)
    task = task_of(config)
    keras.utils.set_random_seed(0)
    generator = build("mle", config, task).generator
    path = tt.export_generator(generator, task, folder, "bench", max_num_samples=batch, log=lambda m: None)
    sampler, signature = Sampler(generator, task.spec), tf.saved_model.load(path).signatures["serving_default"]

    def inputs(seed):
        return dict(num_samples=tf.constant(batch), temperature=tf.constant(1.0), seed=tf.constant(seed),
                    max_length=tf.constant(0), top_k=tf.constant(0), batch_index=tf.constant(0))

    graph = tf.Graph()
    session = tf.compat.v1.Session(graph=graph)
    with graph.as_default():
        signature_def = tf.compat.v1.saved_model.load(session, ["serve"], path).signature_def["serving_default"]

    def run_session(seed):
        feeds = {signature_def.inputs[name].name: value.numpy() for name, value in inputs(seed).items()}
        return session.run(signature_def.outputs["token_ids"].name, feed_dict=feeds)

    calls = {"(a) in-process Sampler": lambda s: sampler(batch, tf.constant([s, 0]), chunk_size=batch).tokens.numpy(),
             "(b) SavedModel, TF2 loader": lambda s: signature(**inputs(s))["token_ids"].numpy(),
             "(c) SavedModel, v1 Session (as TF Serving)": run_session}
    same = all(np.array_equal(calls["(a) in-process Sampler"](11), call(11)) for call in calls.values())
    timings = time_windows(calls, args.repeats)
    session.close()
    report(f"Oracle shape V {task.spec.vocab_size:,}, T {task.spec.max_length}, embedding {config.embedding_dim}, "
           f"hidden {config.hidden_dim} (a fresh generator: no sequence ends early); batches of {batch:,} at "
           "temperature 1, no XLA, a new seed per call.\n")
    timing_table(report, timings, {label: (batch, "sequences/s") for label in timings},
                 reference="(a) in-process Sampler")
    report(f"Same tokens for the same seed on all three paths: {'yes' if same else 'NO'}\n")
    if not same:
        sys.exit(1)


# --- bleu ---------------------------------------------------------------------------------------------
def workload_bleu(args, report: Report) -> None:
    import numpy as np
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    from tfgan_text.data.tokenizers import get_tokenizer
    from tfgan_text.metrics.bleu import BleuScorer

    orders, published = (2, 3, 4, 5), {2: 0.740, 3: 0.520, 4: 0.337, 5: 0.218}  # Texygen, training data
    tokenizer = get_tokenizer("word")
    read = lambda name: tokenizer.tokenize([line for line in open(data_file(args, name), encoding="utf-8")  # noqa
                                            if line.strip()])
    train, test = read("coco_train.txt"), read("coco_test.txt")
    if args.smoke:
        train, test = train[:300], test[:300]
    hypotheses, n_nltk = train[:1000], 3 if args.smoke else args.nltk_sample
    scorer = BleuScorer(test, max_n=5)
    calls = {"reference index": lambda i: BleuScorer(test, max_n=5),
             f"(a) BLEU-2..5 of {len(hypotheses):,} hypotheses": lambda i: scorer.scores(hypotheses, orders),
             f"(c) leave-one-out Self-BLEU-2..5 of {len(test):,} (incl. index)":
                 lambda i: BleuScorer(test, max_n=5).leave_one_out_sentence_scores(orders),
             f"(d) BLEU-2..5 of all {len(train):,} training captions": lambda i: scorer.scores(train, orders)}
    timings = time_windows(calls, 3, warmup=0)
    ours4 = scorer.sentence_scores(hypotheses, 4)
    smoothing, weights = SmoothingFunction().method1, (0.25,) * 4
    started = time.perf_counter()
    nltk4 = np.array([sentence_bleu(test, h, weights=weights, smoothing_function=smoothing)
                      for h in hypotheses[:n_nltk]])
    nltk_per = (time.perf_counter() - started) / n_nltk
    self_bleu = BleuScorer(test, max_n=5).leave_one_out_sentence_scores(orders)
    self4 = self_bleu[4]
    nltk_self = np.array([sentence_bleu(test[:i] + test[i + 1:], test[i], weights=weights,
                                        smoothing_function=smoothing) for i in range(5)])
    diff = max(float(np.max(np.abs(nltk4 - ours4[:n_nltk]))), float(np.max(np.abs(nltk_self - self4[:5]))))
    fmt = lambda s: " / ".join(f"{s[n]:.3f}" for n in orders)  # noqa: E731
    report(f"Hypotheses: the first {len(hypotheses):,} lines of coco_train.txt; references: all {len(test):,} lines "
           "of coco_test.txt (word tokenizer).\n")
    timing_table(report, timings)
    report(f"- (a) BLEU-2..5: {fmt(scorer.scores(hypotheses, orders))}")
    report(f"- (b) nltk sentence_bleu BLEU-4 of {n_nltk} hypotheses: {nltk_per * 1e3:.1f} ms per hypothesis, "
           f"{nltk_per / (timings[list(calls)[1]].best / len(hypotheses)):,.0f}x ours; nltk leave-one-out Self-BLEU-4 "
           f"of 5 sentences too; max |ours - nltk| = {diff:.1e} -> {'OK' if diff <= 1e-9 else 'MISMATCH'}")
    report(f"- (c) Self-BLEU-2..5: {fmt({n: float(np.mean(s)) for n, s in self_bleu.items()})}")
    report(f"- (d) all training captions: {fmt(scorer.scores(train, orders))}; published (Texygen, training data): "
           f"{fmt(published)}\n")
    if diff > 1e-9:
        sys.exit(1)


# --- distributed --------------------------------------------------------------------------------------
def workload_distributed(args, report: Report) -> None:
    import tensorflow as tf

    devices = [d.name for d in tf.config.list_logical_devices("GPU" if not args.logical_cpus else "CPU")]
    if len(devices) < 2:
        sys.exit("fewer than 2 devices: the one-device vs MirroredStrategy comparison means nothing here "
                 "(--logical_cpus=2 checks the workload on CPU)")
    if args.smoke:
        small = dict(batch_size=16, hidden_dim=16, embedding_dim=8, discriminator_hidden_dim=16,
                     discriminator_embedding_dim=8, task="oracle", oracle_vocab_size=40, oracle_length=8,
                     oracle_num_train=256, oracle_num_test=64, num_eval_samples=16, train_data="", test_data="")
    else:
        small = dict(batch_size=512, num_layers=2, hidden_dim=512, embedding_dim=512, discriminator_hidden_dim=512,
                     discriminator_embedding_dim=512, task="corpus", train_data=data_file(args, "coco_train.txt"),
                     test_data="")
    strategies = {"one device": tf.distribute.OneDeviceStrategy(devices[0]),
                  f"mirrored over {len(devices)}": tf.distribute.MirroredStrategy(devices)}
    _, config = preset(args.method, args.overrides, embeddings_file="", steps=100_000, **small)
    task, calls = task_of(config), {}
    for label, strategy in strategies.items():
        with strategy.scope():
            method = build(args.method, config, task)
        calls[label] = trainer_step(method, config, strategy=strategy)
    timings = time_windows(calls, args.repeats, 5 if args.smoke else 20, warmup=5)
    report(f"{args.method}, global batch {config.batch_size}, the main phase's step.\n")
    timing_table(report, timings, {label: (config.batch_size, "sequences/s") for label in timings},
                 reference="one device")


WORKLOADS = {"mle": ("MLE training and sampling throughput", "throughput.md"),
             "adversarial": ("Adversarial step speed: SeqGAN, RankGAN, LeakGAN", "adversarial_speed.md"),
             "gan_steps": ("Step times of MLE, CoT, WGAN-GP and ScratchGAN", "gan_steps.md"),
             "output_layers": ("Output layers for large-vocabulary MLE", "output_layers.md"),
             "export": ("Sampling from the exported SavedModel vs the in-process Sampler", "export_speed.md"),
             "bleu": ("BLEU / Self-BLEU speed and exactness against nltk", "bleu_speed.md"),
             "distributed": ("One device vs MirroredStrategy", "distributed_speed.md")}


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--windows", type=int, default=3, help="mle: timing windows")
    parser.add_argument("--repeats", type=int, default=5, help="windows (rounds) of the other workloads")
    parser.add_argument("--settings", default="oracle,coco", help="mle, adversarial: oracle and/or coco")
    parser.add_argument("--setting", default="oracle", choices=["oracle", "coco", "coco_char"], help="gan_steps")
    parser.add_argument("--no_pieces", action="store_true", help="mle: skip the breakdown of the oracle step")
    parser.add_argument("--methods", default="", help="adversarial: seqgan,rankgan,leakgan; gan_steps: "
                        "mle,cot,wgan_gp,scratchgan")
    parser.add_argument("--pieces", action="store_true", help="adversarial: also SeqGAN's pieces")
    parser.add_argument("--negatives", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=20, help="adversarial: oracle length")
    parser.add_argument("--wgan_dims", default="128,512")
    parser.add_argument("--xla", default="off", choices=["off", "on", "both"])
    parser.add_argument("--scratchgan_sizes", default="coco,emnlp")
    parser.add_argument("--batch_size", type=int, default=512, help="gan_steps: ScratchGAN's batch")
    parser.add_argument("--vocab_size", type=int, default=50_000, help="output_layers")
    parser.add_argument("--num_test", type=int, default=5_000, help="output_layers")
    parser.add_argument("--window", type=int, default=25, help="output_layers: steps per window")
    parser.add_argument("--steps", type=int, default=300, help="output_layers: training steps of every variant")
    parser.add_argument("--calls", type=int, default=1, help="gan_steps: calls per window")
    parser.add_argument("--variants", default="", help="output_layers: labels (default all)")
    parser.add_argument("--batch", type=int, default=1000, help="export: sequences per call")
    parser.add_argument("--nltk_sample", type=int, default=20, help="bleu")
    parser.add_argument("--method", default="scratchgan", help="distributed")
    parser.add_argument("--logical_cpus", type=int, default=0, help="distributed: split the CPU into N devices")
    args = parse(parser, lambda a: WORKLOADS[a.workload][1])
    args.methods = args.methods or {"adversarial": "seqgan,rankgan,leakgan", "gan_steps": "mle,cot,wgan_gp"}.get(
        args.workload, "")
    if args.smoke:
        args.repeats, args.wgan_dims, args.scratchgan_sizes = 1, "16", "coco"
    if args.workload == "distributed" and args.logical_cpus:  # before TensorFlow's runtime starts
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.logical_cpus)
    report = Report(WORKLOADS[args.workload][0], args.output, args.smoke)
    with tempfile.TemporaryDirectory() as folder:
        run = globals()[f"workload_{args.workload}"]
        run(args, report, folder) if args.workload in ("gan_steps", "export") else run(args, report)
    report.write()


if __name__ == "__main__":
    main()
