"""The test session's tiny models, and a models.toml that serves French with them.

Miniature stand-ins for a Marian fr->en translator and a BART summarizer, built by
tests/model_builders.py's TINY recipe: the whole build takes a few seconds on a small CPU, and
two builds into different folders give byte-identical files.
"""

from __future__ import annotations

import pathlib

from tests.model_builders import (
    ENGLISH_CORPUS,
    FRENCH_CORPUS,
    TINY,
    TINY_DIMS,
    build_bart,
    build_marian,
    quiet,
)


def build_tiny_models(root: pathlib.Path) -> dict[str, pathlib.Path]:
    """Build tiny random-weight models for the test session.

    Returns ``{"marian": folder, "bart": folder}``, both under ``root`` and loadable with
    ``AutoTokenizer`` / ``AutoModelForSeq2SeqLM.from_pretrained(folder)``.
    """
    folders = {"marian": root / "marian", "bart": root / "bart"}
    with quiet():
        build_marian(folders["marian"], TINY_DIMS, FRENCH_CORPUS + ENGLISH_CORPUS, TINY)
        build_bart(folders["bart"], TINY_DIMS, ENGLISH_CORPUS + FRENCH_CORPUS, TINY)
    return folders


TINY_CONFIG = """\
[pipeline]
target_language = "en"
summarizer = "tiny-bart"

[pipeline.translators]
fr = "tiny-marian"

[models.tiny-marian]
task = "translation"
source = "fr"
target = "en"
model = "{marian}"
max_input_tokens = 64
batch_size = 16

[models.tiny-marian.generation]
num_beams = 2
max_new_tokens = 48

# Random weights loop ("af af af") in nearly every sentence, so the checks flag them all:
# retrying each one would make every test slower, so only `retries=True` configs retry
# (with the default retry's penalties, and greedy search to stay cheap).
[models.tiny-marian.retry]

[models.tiny-bart]
task = "summarization"
target = "en"
model = "{bart}"
max_input_tokens = 128
batch_size = 2

[models.tiny-bart.generation]
num_beams = 2
min_length = 4
max_length = 24
no_repeat_ngram_size = 3

[models.tiny-bart.retry]
num_beams = 1
repetition_penalty = 1.2
length_penalty = 1.0
"""


RETRY = """num_beams = 1
repetition_penalty = 1.2
no_repeat_ngram_size = 4
"""


def write_tiny_config(
    path: pathlib.Path,
    folders: dict[str, pathlib.Path],
    engine: str = "torch",
    *,
    retries: bool = False,
) -> pathlib.Path:
    """A models.toml that serves French with the tiny models, every model run by `engine`
    (ctranslate2 at int8, as the shipped models.toml runs its models); with `retries`, a
    translation that fails a check is retried."""
    text = TINY_CONFIG.format(**folders)
    if retries:
        text = text.replace("[models.tiny-marian.retry]\n", "[models.tiny-marian.retry]\n" + RETRY)
    if engine == "ctranslate2":
        text = text.replace('task = "', 'engine = "ctranslate2"\ncompute_type = "int8"\ntask = "')
    path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    # python -m tests.tiny_models DIR: tiny models and DIR/tiny.toml, to try the CLI by hand.
    import sys

    target = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "tiny-models").resolve()
    config = write_tiny_config(target / "tiny.toml", build_tiny_models(target))
    print(f"summarizer summarize ARTICLE --config {config}")
