"""Folder mode against one article at a time, and peak memory against folder size.

    python benchmarks/folder.py                 # tiny random models, built on the fly
    python benchmarks/folder.py --config my.toml --source-lang fr

Throughput: the same N articles translated (a) one at a time with Summarizer.run, and
(b) as a folder run (windows of documents sharing batches), in one process with the models
loaded once, each repeat with an empty cache, repeats interleaved; medians reported.
Memory: `summarizer translate DIR -o OUT` in a child process for each folder size; its
peak RSS is read with wait4.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.corpus import plan_jobs, run_jobs  # noqa: E402
from summarizer.documents import read_document  # noqa: E402
from summarizer.output import render_text  # noqa: E402
from summarizer.pipeline import Summarizer  # noqa: E402
from summarizer.progress import Progress  # noqa: E402
from tests.articles import write_corpus  # noqa: E402


def tiny_config(workdir: Path) -> Path:
    from tests.tiny_models import build_tiny_models, write_tiny_config

    return write_tiny_config(workdir / "tiny.toml", build_tiny_models(workdir / "models"))


def one_at_a_time(
    config: Path, corpus: Path, cache: Path, language: str | None
) -> tuple[float, int]:
    summarizer = Summarizer(config, cache_dir=cache)
    paths = sorted(corpus.rglob("*.txt"))
    _warm_up(summarizer, language)
    started = time.perf_counter()
    segments = 0
    for path in paths:
        result = summarizer.run(read_document(str(path)), source_language=language, summarize=False)
        segments += result.stats["translation"]["segments"]
    return time.perf_counter() - started, segments


def folder_mode(
    config: Path, corpus: Path, cache: Path, out: Path, language: str | None
) -> tuple[float, int]:
    counted = Progress(0, enabled=False)
    summarizer = Summarizer(config, cache_dir=cache, on_segments=counted.add_segments)
    _warm_up(summarizer, language)
    counted.segments = 0
    plan = plan_jobs([corpus], out, ("*.txt",), ".txt")
    started = time.perf_counter()
    run_jobs(
        summarizer,
        plan,
        outdir=out,
        render=render_text,
        emit=print,
        summarize=False,
        source_language=language,
        progress=counted,
    )
    return time.perf_counter() - started, counted.segments


def _warm_up(summarizer: Summarizer, language: str | None) -> None:
    """Load the models before the clock starts: both modes pay the same load once."""
    summarizer.run("Un texte pour charger les modèles.", source_language=language, summarize=False)


def peak_rss_mb(config: Path, corpus: Path, workdir: Path, language: str | None) -> float:
    env = {**os.environ, "SUMMARIZER_CACHE_DIR": str(workdir / "rss-cache"), "HF_HUB_OFFLINE": "1"}
    command = [
        sys.executable,
        "-m",
        "summarizer",
        "translate",
        str(corpus),
        "-o",
        str(workdir / "rss-out"),
    ]
    command += ["--config", str(config), "-q"] + (["--source-lang", language] if language else [])
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    _pid, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {status}")
    return usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="models.toml (default: tiny random models)")
    parser.add_argument("--source-lang", default="fr")
    parser.add_argument("--documents", type=int, default=64, help="articles for throughput")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rss-sizes", type=int, nargs="*", default=[50, 500])
    parser.add_argument("--json", type=Path, default=Path("benchmarks/folder-results.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="summarizer-bench-") as tmp:
        workdir = Path(tmp)
        config = args.config or tiny_config(workdir)
        corpus = workdir / "corpus"
        write_corpus(corpus, args.documents)
        single, folder = [], []
        for repeat in range(args.repeats):
            seconds, segments = one_at_a_time(
                config, corpus, workdir / f"c1-{repeat}", args.source_lang
            )
            single.append(segments / seconds)
            seconds, segments = folder_mode(
                config,
                corpus,
                workdir / f"c2-{repeat}",
                workdir / f"out-{repeat}",
                args.source_lang,
            )
            folder.append(segments / seconds)
        rss = {}
        for size in args.rss_sizes:
            sized = workdir / f"corpus-{size}"
            write_corpus(sized, size)
            rss[size] = peak_rss_mb(config, sized, workdir / f"rss-{size}", args.source_lang)

    results = {
        "documents": args.documents,
        "repeats": args.repeats,
        "one_at_a_time_segments_per_s": statistics.median(single),
        "folder_segments_per_s": statistics.median(folder),
        "folder_speedup": statistics.median(folder) / statistics.median(single),
        "runs": {"one_at_a_time": single, "folder": folder},
        "peak_rss_mb": rss,
        "cpus": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "default"),
    }
    print(f"{'mode':<16}{'segments/s (median)':>22}")
    print(f"{'one at a time':<16}{results['one_at_a_time_segments_per_s']:>22.1f}")
    print(f"{'folder':<16}{results['folder_segments_per_s']:>22.1f}")
    print(f"folder / one at a time: {results['folder_speedup']:.2f}x")
    for size, megabytes in rss.items():
        print(f"peak RSS, {size} documents: {megabytes:.0f} MB")
    if len(rss) >= 2:
        sizes = sorted(rss)
        print(f"RSS ratio {sizes[-1]}/{sizes[0]}: {rss[sizes[-1]] / rss[sizes[0]]:.2f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
