"""Several `summarizer summarize` processes on one cache at once (the many-process stress
test of Cache itself is in test_cache.py)."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess

import pytest

from summarizer.cache import CACHE_FILE
from summarizer.options import RunOptions
from summarizer.pipeline import Summarizer
from summarizer.segment import split_sentences
from tests.articles import long_french_article
from tests.processes import child_env, integrity, summarizer_command
from tests.tiny_models import TINY_CONFIG

PROCESSES = 4


def overlapping_articles(count: int) -> list[str]:
    """Article i holds paragraphs i .. i+3 of one long text: neighbours share three."""
    paragraphs = long_french_article(paragraphs=count + 3, sentences_per_paragraph=3).split("\n\n")
    return ["\n\n".join(paragraphs[i : i + 4]) for i in range(count)]


@pytest.mark.stress
def test_concurrent_runs_on_one_cache_all_succeed_with_identical_outputs(tiny_models, tmp_path):
    # Two sentences per translation batch and one chunk per summary batch: many small
    # write transactions from every process, all competing for the same file. Short
    # greedy outputs keep the four processes quick on a small machine.
    config = tmp_path / "tiny.toml"
    config.write_text(
        TINY_CONFIG.format(**tiny_models)
        .replace("batch_size = 16", "batch_size = 2")
        .replace("max_input_tokens = 128\nbatch_size = 2", "max_input_tokens = 128\nbatch_size = 1")
        .replace("num_beams = 2", "num_beams = 1")
        .replace("max_new_tokens = 48", "max_new_tokens = 12")
        .replace("max_length = 24", "max_length = 12")
    )
    articles = overlapping_articles(PROCESSES)
    paths = []
    for i, text in enumerate(articles):
        paths.append(tmp_path / f"article-{i}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    cache_dir = tmp_path / "shared-cache"

    runs = [
        subprocess.Popen(
            summarizer_command(
                "summarize", path, "--config", config, "--format", "json", "--source-lang", "fr"
            ),
            env=child_env(SUMMARIZER_CACHE_DIR=str(cache_dir)),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in paths
    ]
    outputs = [run.communicate(timeout=300) for run in runs]

    for run, (_, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr
        # Progress lines and the checks' count only: no warning (a lock given up, a damaged
        # file), no error.
        progress = ("loading ", "translated ", "summarizing ")
        assert all(
            line.startswith(progress) or re.fullmatch(r"\d+ sentences? to review.*", line)
            for line in stderr.splitlines()
        ), stderr
    results = [json.loads(stdout) for stdout, _ in outputs]

    # Each output is what a run of its own, without any cache, gives.
    alone = Summarizer(config, use_cache=False)
    for text, result in zip(articles, results, strict=True):
        expected = alone.run(text, RunOptions(source_language="fr"))
        assert result["translation"] == expected.translation
        assert result["summary"] == expected.summary

    # Every distinct sentence is stored once, whichever process translated it first.
    assert integrity(cache_dir / CACHE_FILE) == "ok"
    sentences = {
        sentence
        for text in articles
        for paragraph in text.split("\n\n")
        for sentence in split_sentences(paragraph, "fr")
    }
    assert sum(r["stats"]["translation"]["segments"] for r in results) > len(sentences)
    with sqlite3.connect(cache_dir / CACHE_FILE) as connection:
        stored = connection.execute(
            "SELECT count(*) FROM entries WHERE task = 'translation'"
        ).fetchone()[0]
    assert stored == len(sentences)
