"""Small corpus / TSV files and the data tasks built from them with test defaults (no length cap, 25% held out)."""
from tfgan_text.data.parallel import parallel_task
from tfgan_text.data.tasks import corpus_task
from tfgan_text.data.tokenizers import get_tokenizer

COMMON = dict(test_path=None, min_count=1, max_vocab_size=0, max_length=0, long_sentences="drop",
              heldout_fraction=0.25, split_seed=0, log=lambda *_: None)


def write(tmp_path, name: str, lines: list) -> str:
    """`lines` as a UTF-8 file `name` in tmp_path; returns its path."""
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def build_corpus(path, **overrides):
    return corpus_task(path, **{**COMMON, "tokenizer": get_tokenizer("word"), **overrides})


def build_parallel(path, **overrides):
    return parallel_task(path, **{**COMMON, "tokenizer": get_tokenizer("word"), "max_source_length": 0, **overrides})
