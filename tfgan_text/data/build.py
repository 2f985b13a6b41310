"""The task a `TaskConfig` describes: a corpus, a parallel corpus, the embedded grammar, the LSTM oracle or an
embedded mapping task."""
from __future__ import annotations

from typing import Callable

from tfgan_text.config import TaskConfig
from tfgan_text.data import tasks
from tfgan_text.data.grammar import grammar_task
from tfgan_text.data.parallel import mapping_task, parallel_task
from tfgan_text.data.tokenizers import get_tokenizer
from tfgan_text.data.vocabulary import Vocabulary
from tfgan_text.errors import UsageError
from tfgan_text.models import oracle


def build_task(config: TaskConfig, vocabulary: Vocabulary | None = None, log: Callable[[str], None] = print,
               seed: int = 1, saved_sets: tasks.SampledSets | None = None) -> tasks.Task:
    """The task of `config` (`vocabulary`: a saved one instead of one built from the training split;
    `seed`: the held-out split's when --test_data is empty; `saved_sets`: a run's copy of a sampled task's
    data sets, used instead of sampling them again when they fit `config`)."""
    kind = config.task_kind
    if kind in ("copy", "reverse"):
        if config.train_data or config.test_data:
            raise UsageError(f"--task={kind}: the embedded task reads no --train_data/--test_data")
        return mapping_task(kind, config.mapping_num_symbols, config.mapping_min_length, config.mapping_max_length,
                            config.mapping_num_train, config.mapping_num_test, config.oracle_data_seed)
    if kind in ("corpus", "parallel") and not config.train_data:
        raise UsageError(f"--task={kind}: needs --train_data")
    if kind == "parallel":
        return parallel_task(config.train_data, config.test_data or None, get_tokenizer(config.tokenizer),
                             config.min_count, config.max_vocab_size, config.max_length, config.max_source_length,
                             config.long_sentences, config.heldout_fraction, seed, vocabulary, log)
    if kind == "corpus":
        return tasks.corpus_task(config.train_data, config.test_data or None, get_tokenizer(config.tokenizer),
                                 config.min_count, config.max_vocab_size, config.max_length,
                                 config.long_sentences, config.heldout_fraction, seed, vocabulary, log)
    if config.train_data or config.test_data:
        raise UsageError(f"--task={kind}: reads no --train_data/--test_data (it samples its own data sets; "
                         "for a text corpus pass --task=corpus)")
    if kind == "grammar":
        return grammar_task(config.oracle_num_train, config.oracle_num_test, config.oracle_data_seed, vocabulary,
                            log=log, saved=saved_sets)
    if config.oracle_params:
        params = oracle.load_oracle_parameters(config.oracle_params)
        source = config.oracle_params
    else:
        params = oracle.random_oracle_parameters(config.oracle_seed, config.oracle_vocab_size,
                                                 config.oracle_embedding_dim, config.oracle_hidden_dim)
        source = f"random oracle, --oracle_seed={config.oracle_seed}"
    log(f"oracle task: {source}; {config.oracle_num_train:,} training and {config.oracle_num_test:,} "
        f"held-out sequences of length {config.oracle_length}")
    return tasks.oracle_task(oracle.build_oracle(params), config.oracle_length, config.oracle_num_train,
                             config.oracle_num_test, config.oracle_data_seed, saved_sets)
