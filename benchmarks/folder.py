"""Folder mode against one article at a time, the Ray executor against the local one, and
peak memory against folder size.

    python -m benchmarks.folder                 # tiny random models, built on the fly
    python -m benchmarks.folder --models real   # real-shape models on ctranslate2 int8
    python -m benchmarks.folder --models real --task summarize
    python -m benchmarks.folder --models real --executor ray --documents 64
    python -m benchmarks.folder --config my.toml --source-lang fr

(from the repository root, as every `python -m benchmarks.*`). --task says what is run:
translate (the default) or summarize (translation, then the summaries), without the checks.

Throughput: the same N articles (a) one at a time with Summarizer.run, and (b) as a folder
run (windows of documents sharing batches), in one process with the models loaded once,
each repeat with an empty cache, repeats interleaved; medians reported.
Commands: `summarizer TASK FILE -o OUT` once per file against one `summarizer TASK DIR -o
OUT` over the same files, launch to exit (what a shell loop over files costs against a
folder run).
Memory: `summarizer TASK DIR -o OUT` in a child process for each folder size; its peak RSS
is read with wait4.

--executor ray times instead `summarizer TASK DIR -o OUT` against the same command with
`--executor ray --workers N --threads-per-worker 1` (a Ray instance started by the command
on this machine), launch to exit, both on an empty cache, repeats interleaved; then the
Ray driver's own peak RSS for each folder size.

--models real uses the random-weight models in the real shapes that benchmarks.article
builds (built here too if missing), converted to ctranslate2 int8 once, beforehand: every
run finds the conversions in its cache, as a user's second run would.
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

from benchmarks.models import (
    DEFAULT_TOKENS,
    MODELS_DIR,
    RESULTS_DIR,
    ROOT,
    convert_once,
    ensure_models,
    write_config,
)
from summarizer.config import load_config
from summarizer.documents import Document, read_document
from summarizer.jobs import Plan, plan_jobs, run_plan
from summarizer.options import RunOptions
from summarizer.pipeline import Summarizer
from summarizer.progress import Progress
from tests.articles import write_corpus
from tests.tiny_models import build_tiny_models, write_tiny_config


class Setup:
    """The models.toml to run, the engine to run it with, and where converted models are."""

    def __init__(self, config: Path, engine: str | None, converted: Path | None) -> None:
        self.config, self.engine, self.converted = config, engine, converted

    def cache(self, folder: Path) -> Path:
        """An empty cache folder that already holds the converted models, if any."""
        folder.mkdir(parents=True)
        if self.converted is not None:
            (folder / "ctranslate2").symlink_to(self.converted, target_is_directory=True)
        return folder

    def summarizer(self, cache: Path, **options) -> Summarizer:
        return Summarizer(self.config, cache_dir=cache, engine=self.engine, **options)

    def command(
        self, inputs: list[Path], out: Path, language: str | None, task: str = "translate"
    ) -> list[str]:
        command = [sys.executable, "-m", "summarizer", task, *map(str, inputs)]
        command += ["-o", str(out), "--config", str(self.config), "-q", "--no-checks"]
        command += ["--engine", self.engine] if self.engine else []
        return command + (["--source-lang", language] if language else [])


def tiny_setup(workdir: Path) -> Setup:
    models = build_tiny_models(workdir / "models")
    return Setup(write_tiny_config(workdir / "tiny.toml", models), None, None)


def real_setup(workdir: Path, models_dir: Path) -> Setup:
    """The article benchmark's real-shape models, converted to ctranslate2 int8 once, and its
    settings."""
    ensure_models(models_dir, "real")
    models = models_dir / "real"
    config = write_config(workdir / "real.toml", models, DEFAULT_TOKENS)
    convert_once(load_config(config), models)
    return Setup(config, "ctranslate2", models / "ct2-cache" / "ctranslate2")


def one_at_a_time(setup: Setup, corpus: Path, cache: Path, language: str | None, task: str):
    summarizer = setup.summarizer(cache)
    paths = sorted(corpus.rglob("*.txt"))
    _warm_up(summarizer, language, task)
    started = time.perf_counter()
    segments = 0
    for path in paths:
        result = run_one(summarizer, read_document(str(path)), language, task)
        segments += result.stats["translation"]["segments"]
    return time.perf_counter() - started, segments


def folder_mode(
    setup: Setup, corpus: Path, cache: Path, out: Path, language: str | None, task: str
):
    counted = Progress(0, enabled=False)
    summarizer = setup.summarizer(cache, on_segments=counted.add_segments)
    _warm_up(summarizer, language, task)
    counted.segments = 0
    plan = plan_jobs([corpus], out, ("*.txt",), "text")
    started = time.perf_counter()
    run_folder(summarizer, plan, language, counted, task)
    return time.perf_counter() - started, counted.segments


def _warm_up(summarizer: Summarizer, language: str | None, task: str) -> None:
    """Load the models before the clock starts: both modes pay the same load once."""
    run_one(summarizer, "Un texte pour charger les modèles. " * 20, language, task)


def run_one(summarizer: Summarizer, text: str | Document, language: str | None, task: str):
    """The benchmark's one call of Summarizer.run(), without the checks (see run_options)."""
    return summarizer.run(text, run_options(language, task))


def run_folder(
    summarizer: Summarizer, plan: Plan, language: str | None, progress: Progress, task: str
) -> None:
    """The benchmark's one call of run_plan()."""
    run_plan(summarizer, plan, run_options(language, task), progress=progress, emit=print)


def run_options(language: str | None, task: str) -> RunOptions:
    """`task` without the checks: both modes compare batching, and random weights fail
    every check, which would translate every sentence twice (their cost is measured by
    `python -m benchmarks.checks --pipeline`)."""
    return RunOptions(source_language=language, summarize=task == "summarize", checks=False)


def _run(command: list[str], cache: Path) -> os.struct_rusage:
    """Runs a summarizer command to its end; its resource usage (peak RSS)."""
    process = subprocess.Popen(command, env=_command_env(cache), cwd=ROOT)
    _pid, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {status}")
    return usage


def _command_env(cache: Path) -> dict[str, str]:
    """A timed command's environment: its own cache folder, and never the hub."""
    return {**os.environ, "SUMMARIZER_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}


def commands(setup: Setup, corpus: Path, workdir: Path, language: str | None, task: str):
    """Seconds for one command per file, then for one command over the folder."""
    paths = sorted(corpus.rglob("*.txt"))
    cache = setup.cache(workdir / "per-file-cache")
    started = time.perf_counter()
    for number, path in enumerate(paths):
        _run(setup.command([path], workdir / f"per-file-{number}.txt", language, task), cache)
    per_file = time.perf_counter() - started
    cache = setup.cache(workdir / "folder-cache")
    started = time.perf_counter()
    _run(setup.command([corpus], workdir / "folder-out", language, task), cache)
    return per_file, time.perf_counter() - started


def peak_rss_mb(
    setup: Setup, corpus: Path, workdir: Path, language: str | None, task: str
) -> float:
    command = setup.command([corpus], workdir / "out", language, task)
    return _run(command, setup.cache(workdir / "c")).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.folder", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--models", choices=["tiny", "real"], default="tiny")
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--config", type=Path, help="a models.toml of your own instead")
    parser.add_argument("--source-lang", default="fr")
    parser.add_argument("--task", choices=["translate", "summarize"], default="translate")
    parser.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="ray: the local executor's folder command against the Ray executor's",
    )
    parser.add_argument("--workers", type=int, default=2, help="--executor ray: workers")
    parser.add_argument("--documents", type=int, default=64, help="articles for throughput")
    parser.add_argument("--command-documents", type=int, default=8, help="articles, commands")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rss-sizes", type=int, nargs="*", default=[50, 500])
    parser.add_argument("--json", type=Path, help="default: benchmarks/results/folder-*.json")
    args = parser.parse_args()
    name = "-".join(["folder", args.task, args.executor, args.models])
    json_path = args.json or RESULTS_DIR / f"{name}.json"

    with tempfile.TemporaryDirectory(prefix="summarizer-bench-") as tmp:
        workdir = Path(tmp)
        if args.config:
            setup = Setup(args.config, None, None)
        elif args.models == "real":
            setup = real_setup(workdir, args.models_dir.resolve())
        else:
            setup = tiny_setup(workdir)
        if args.executor == "ray":
            results = ray_benchmark(args, setup, workdir)
        else:
            results = local_benchmark(args, setup, workdir)
    results = {
        "models": "config" if args.config else args.models,
        "engine": setup.engine or "as configured",
        "task": args.task,
        "documents": args.documents,
        "repeats": args.repeats,
        **results,
        "cpus": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "default"),
    }
    (report_ray if args.executor == "ray" else report)(results)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {json_path}")


def local_benchmark(args: argparse.Namespace, setup: Setup, workdir: Path) -> dict:
    """Folder mode against one article at a time in one process, a command per file
    against one for the folder, and peak memory for each folder size."""
    language, task = args.source_lang, args.task
    corpus = workdir / "corpus"
    write_corpus(corpus, args.documents)
    small = workdir / "small"
    write_corpus(small, args.command_documents)
    single, folder, per_file, one_command = [], [], [], []
    for repeat in range(args.repeats):
        run = workdir / f"run-{repeat}"
        cache = setup.cache(run / "c1")
        seconds, segments = one_at_a_time(setup, corpus, cache, language, task)
        single.append(segments / seconds)
        cache = setup.cache(run / "c2")
        seconds, segments = folder_mode(setup, corpus, cache, run / "out", language, task)
        folder.append(segments / seconds)
        if args.command_documents:
            seconds = commands(setup, small, run / "commands", language, task)
            per_file.append(seconds[0])
            one_command.append(seconds[1])
    rss = {}
    for size in args.rss_sizes:
        sized = workdir / f"corpus-{size}"
        write_corpus(sized, size)
        rss[size] = peak_rss_mb(setup, sized, workdir / f"rss-{size}", language, task)
    results = {
        "one_at_a_time_segments_per_s": statistics.median(single),
        "folder_segments_per_s": statistics.median(folder),
        "folder_speedup": statistics.median(folder) / statistics.median(single),
        "runs": {"one_at_a_time": single, "folder": folder},
        "peak_rss_mb": rss,
    }
    if per_file:
        results["commands"] = {
            "documents": args.command_documents,
            "one_per_file_seconds": statistics.median(per_file),
            "one_for_the_folder_seconds": statistics.median(one_command),
            "speedup": statistics.median(per_file) / statistics.median(one_command),
            "runs": {"one_per_file": per_file, "one_for_the_folder": one_command},
        }
    return results


def ray_benchmark(args: argparse.Namespace, setup: Setup, workdir: Path) -> dict:
    """The same folder command with the local executor and with the Ray executor (its own
    local Ray instance, `--workers` workers of one thread each), launch to exit, repeats
    interleaved, each on an empty cache; then the Ray driver's own peak memory."""
    language, task = args.source_lang, args.task
    corpus = workdir / "corpus"
    write_corpus(corpus, args.documents)
    ray = ["--executor", "ray", "--workers", str(args.workers), "--threads-per-worker", "1"]
    local_seconds, ray_seconds = [], []
    for repeat in range(args.repeats):
        run = workdir / f"run-{repeat}"
        command = setup.command([corpus], run / "local", language, task)
        started = time.perf_counter()
        _run(command, setup.cache(run / "c1"))
        local_seconds.append(time.perf_counter() - started)
        command = setup.command([corpus], run / "ray", language, task) + ray
        started = time.perf_counter()
        _run(command, setup.cache(run / "c2"))
        ray_seconds.append(time.perf_counter() - started)
    rss = {}
    for size in args.rss_sizes:
        sized = workdir / f"corpus-{size}"
        write_corpus(sized, size)
        command = setup.command([sized], workdir / f"rss-{size}", language, task) + ray
        rss[size] = driver_peak_rss_mb(command, setup.cache(workdir / f"rss-cache-{size}"))
    local, distributed = statistics.median(local_seconds), statistics.median(ray_seconds)
    return {
        "workers": args.workers,
        "threads_per_worker": 1,
        "local_seconds": local,
        "ray_seconds": distributed,
        "local_documents_per_s": args.documents / local,
        "ray_documents_per_s": args.documents / distributed,
        "ray_over_local_throughput": local / distributed,
        "runs": {"local": local_seconds, "ray": ray_seconds},
        "driver_peak_rss_mb": rss,
    }


def driver_peak_rss_mb(command: list[str], cache: Path) -> float:
    """The peak RSS of the command's own process (VmHWM, read until it exits): not that of
    Ray's processes, which a wait4 figure would fold in once they are reaped."""
    process = subprocess.Popen(command, env=_command_env(cache), cwd=ROOT)
    status = Path(f"/proc/{process.pid}/status")
    peak = 0
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {process.returncode}")
    return peak / 1024


def report_ray(results: dict) -> None:
    print(f"{results['documents']} documents, {results['task']}, medians of {results['repeats']}")
    print(f"local executor: {results['local_seconds']:.1f} s")
    workers = f"{results['workers']} workers x 1 thread"
    print(f"Ray executor ({workers}): {results['ray_seconds']:.1f} s")
    print(f"Ray / local throughput: {results['ray_over_local_throughput']:.2f}x")
    report_rss(results["driver_peak_rss_mb"], "Ray driver peak RSS")


def report(results: dict) -> None:
    print(f"{results['documents']} documents, {results['task']}")
    print(f"{'mode':<16}{'segments/s (median)':>22}")
    print(f"{'one at a time':<16}{results['one_at_a_time_segments_per_s']:>22.1f}")
    print(f"{'folder':<16}{results['folder_segments_per_s']:>22.1f}")
    print(f"folder / one at a time: {results['folder_speedup']:.2f}x")
    if "commands" in results:
        c = results["commands"]
        print(
            f"{c['documents']} articles: a command per file {c['one_per_file_seconds']:.1f} s, "
            f"one command for the folder {c['one_for_the_folder_seconds']:.1f} s "
            f"({c['speedup']:.1f}x)"
        )
    report_rss(results["peak_rss_mb"], "peak RSS")


def report_rss(rss: dict, label: str) -> None:
    """Peak memory for each folder size, and the largest over the smallest."""
    for size, megabytes in rss.items():
        print(f"{label}, {size} documents: {megabytes:.0f} MB")
    if len(rss) >= 2:
        sizes = sorted(rss)
        print(f"RSS ratio {sizes[-1]}/{sizes[0]}: {rss[sizes[-1]] / rss[sizes[0]]:.2f}")


if __name__ == "__main__":
    main()
