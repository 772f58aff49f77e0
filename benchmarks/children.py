"""What the article benchmark measures in child processes: a cached rerun of `summarizer
summarize` (launch to exit, and which engine modules it imports), and the time from launch
to a ctranslate2 run's first translate_batch() call."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.models import ROOT
from benchmarks.paths import fresh_cache
from tests.processes import child_env, imported_modules

# Runs the summarizer command line as `python -m summarizer` does, with the ctranslate2
# translator wrapped so that its first translate_batch() call prints the wall-clock time and
# ends the process (the rest of the run is not what is measured).
FIRST_BATCH_PROBE = """
import os, sys, time
from summarizer import engines as engine
from summarizer.cli import main

class FirstBatch:
    def __init__(self, translator):
        self.translator = translator
    def translate_batch(self, *args, **kwargs):
        print(f"first-batch {time.time():.6f}", flush=True)
        os._exit(0)

load = engine.CTranslate2Model._load
def probed_load(self):
    load(self)
    if not isinstance(self._translator, FirstBatch):
        self._translator = FirstBatch(self._translator)

engine.CTranslate2Model._load = probed_load
sys.argv = ["summarizer", *sys.argv[1:]]
main()
"""


def summarize_args(article: Path, config: Path, cache: Path) -> list[str]:
    return [
        "-m",
        "summarizer",
        "summarize",
        str(article),
        "--config",
        str(config),
        "--engine",
        "ctranslate2",
        "--cache-dir",
        str(cache),
        "--format",
        "json",
        "-q",
        # As the in-process runs that filled the cache (see paths.run_article).
        "--no-checks",
    ]


def cached_reruns(article: Path, config: Path, cache: Path, repeats: int) -> dict[str, Any]:
    """`summarizer summarize` again on a cache a full run filled: wall time from launch to
    exit, and (in one more run, with -X importtime) the engine modules it imported."""
    env = child_env()
    command = [sys.executable, *summarize_args(article, config, cache)]
    seconds, misses = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"cached rerun failed: {done.stderr.strip()}")
        stats = json.loads(done.stdout)["stats"]
        misses.append(stats["translation"]["cache_misses"] + stats["summarization"]["cache_misses"])
    command.insert(1, "-X")
    command.insert(2, "importtime")
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    modules = imported_modules(done.stderr)
    engines = sorted({m.split(".")[0] for m in modules} & {"torch", "transformers", "ctranslate2"})
    return {
        "seconds": seconds,
        "median": statistics.median(seconds),
        "cache_misses": misses,
        "engine_modules_imported": engines,
    }


def first_batch_latency(
    article: Path, config: Path, workdir: Path, ct2_cache: Path, repeats: int
) -> dict[str, Any]:
    """Launch to the first translate_batch() call of a ctranslate2 run of a new article,
    models already converted (each run gets an empty cache holding only the conversions)."""
    env = child_env()
    seconds = []
    for repeat in range(repeats):
        cache = fresh_cache(workdir, f"latency-{repeat}", ct2_cache)
        args = summarize_args(article, config, cache)[2:]  # what follows "-m summarizer"
        launched = time.time()
        done = subprocess.run(
            [sys.executable, "-c", FIRST_BATCH_PROBE, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("first-batch ")]
        if not lines:
            raise SystemExit(f"no first batch seen: {done.stderr.strip()[-2000:]}")
        seconds.append(float(lines[0].split()[1]) - launched)
    return {"seconds": seconds, "median": statistics.median(seconds)}
