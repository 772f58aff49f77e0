"""The multilingual models against opus-mt + distilbart, one article, all on ctranslate2 int8
(`python -m benchmarks.article --multilingual`, see benchmarks/article.py).

Random-weight stand-ins in the real shapes of nllb-200-distilled-600M and
Qwen2.5-0.5B-Instruct (benchmarks/multilingual_models.py) beside the article benchmark's
opus-mt-fr-en and distilbart-cnn-12-6, with lengths forced equal:
- NLLB translates as opus-mt does (beam 4, min_new_tokens = max_new_tokens = L) and favours
  the words that the Marian model favours, each one BART token: both translators write the
  same number of words per sentence, so the summarizers read English texts of the same
  length (their words, BART tokens and Qwen tokens are counted and printed per route);
- Qwen summarizes greedily (the chat default) with min_new_tokens = max_new_tokens = N
  (--summary-tokens), in the chunks the pipeline cuts (max_input_tokens 4096, prompt
  included); distilbart keeps its published settings, run to max_length as in the article
  benchmark. The tokens every model generated are counted, as there.

Timed: Summarizer.run() on each route, checks off, models loaded and warmed up beforehand,
a fresh empty cache per run, repeats interleaved (every route once, then again), medians:
- translate: opus-mt-fr-en, nllb-200-distilled-600M;
- translate + summarize: opus-mt + distilbart-cnn, opus-mt + qwen2.5-0.5b-instruct,
  nllb + qwen2.5-0.5b-instruct;
with ratios against opus-mt (translate) and opus-mt + distilbart (translate + summarize).
Also per model: the ctranslate2 int8 conversion's size on disk, the seconds to load it (model
and tokenizer, in this process, before any other run) and the resident memory that added.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.article import PAUSE_SECONDS, builtin_article, timed, warm_up_text
from benchmarks.counting import TokenLog, count_ctranslate2_model
from benchmarks.models import (
    RESULTS_DIR,
    SUMMARIZER,
    TRANSLATOR,
    convert_once,
    ensure_models,
    folder_size,
)
from benchmarks.multilingual_models import (
    NLLB,
    QWEN,
    RECORD,
    ensure_multilingual_models,
    write_multilingual_config,
)
from benchmarks.paths import fresh_cache, run_article, sentences_of, translatable
from benchmarks.report import machine
from summarizer.config import Config, ModelSpec, load_config
from summarizer.documents import Document, read_document
from summarizer.engines import converted_folder, load_model, thread_count
from summarizer.pipeline import Summarizer
from tests.model_builders import quiet

TRANSLATE, FULL = "translate", "translate+summarize"
# Each task's routes: (translator, summarizer); the first of each is the baseline.
ROUTES: dict[str, dict[str, tuple[str, str]]] = {
    TRANSLATE: {
        "opus-mt-fr-en": (TRANSLATOR, SUMMARIZER),
        "nllb-200-distilled-600M": (NLLB, SUMMARIZER),
    },
    FULL: {
        "opus-mt + distilbart-cnn": (TRANSLATOR, SUMMARIZER),
        "opus-mt + qwen2.5-0.5b": (TRANSLATOR, QWEN),
        "nllb + qwen2.5-0.5b": (NLLB, QWEN),
    },
}
FOLDERS = {TRANSLATOR: "marian", SUMMARIZER: "bart", NLLB: "nllb", QWEN: "qwen2"}


def cpu_seconds() -> float:
    """User and system time of every thread of this process so far: with other work on the
    machine, a run's CPU time grows less than its wall time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Routes:
    """The four models, loaded once and shared by a new Summarizer per run, each run with
    a fresh, empty cache; one TokenLog counts what each model read and generated."""

    def __init__(self, config: Config, ct2_cache: Path, pause: float = PAUSE_SECONDS) -> None:
        self.config, self.ct2_cache = config, ct2_cache
        self.models: dict[str, Any] = {}
        self.log = TokenLog()
        # Before each timed run (timed); none in quick runs, whose figures mean nothing.
        self.pause = pause

    def load(self, spec: ModelSpec) -> dict[str, float]:
        """Loads one model (ctranslate2 model and tokenizer), counting from then on: the
        seconds it took and the resident memory it added."""
        model = load_model(spec, cache_dir=self.ct2_cache, threads=self.config.threads)
        before, started = rss_mb(), time.perf_counter()
        model._load()
        seconds = time.perf_counter() - started
        self.models[spec.name] = model
        count_ctranslate2_model(model, spec.name, self.log)
        return {"load_seconds": round(seconds, 2), "rss_added_mb": round(rss_mb() - before)}

    def loader(self, spec: ModelSpec, progress: Any) -> Any:
        return self.models[spec.name]

    def run(
        self, workdir: Path, name: str, route: tuple[str, str], text: Any, *, full: bool
    ) -> tuple[float, float, Any]:
        """One Summarizer.run() of `route` on `text` (`full`: with its summary): its wall
        seconds, the CPU seconds of this process's threads meanwhile, and its Result."""
        translator, summarizer = route
        summarizer_run = Summarizer(
            self.config,
            cache_dir=fresh_cache(workdir, name, self.ct2_cache),
            translator=translator,
            summarizer=summarizer,
            model_loader=self.loader,
        )
        self.log.reset()

        def run() -> tuple[Any, float]:
            started = cpu_seconds()
            result = run_article(summarizer_run, text, summarize=full)
            return result, cpu_seconds() - started

        try:
            seconds, (result, cpu) = timed(run, self.pause)
        finally:
            summarizer_run.close()
        return seconds, cpu, result


def english_lengths(english: str, tokenizers: dict[str, Any]) -> dict[str, int]:
    """The English text a summarizer reads, its paragraphs joined as its chunks join them
    (with spaces): its words, and its tokens for each summarizer."""
    english = " ".join(english.split())
    counts = {"words": len(english.split())}
    for name, tokenizer in tokenizers.items():
        counts[f"{name}_tokens"] = len(tokenizer(english, add_special_tokens=False)["input_ids"])
    return counts


def time_routes(
    routes: Routes, document: Document, repeats: int, workdir: Path, tokenizers: dict[str, Any]
) -> dict[str, dict[str, dict[str, list]]]:
    """Per repeat, every route in turn: seconds, tokens counted, and the lengths of the
    English text each translator made."""
    runs: dict[str, dict[str, dict[str, list]]] = {
        task: {name: {"seconds": [], "cpu": [], "tokens": [], "english": []} for name in by_name}
        for task, by_name in ROUTES.items()
    }
    for repeat in range(repeats):
        for task, by_name in ROUTES.items():
            for name, route in by_name.items():
                run_name = f"{task}-{name}-{repeat}".replace(" ", "_").replace("+", "_")
                seconds, cpu, result = routes.run(
                    workdir, run_name, route, document, full=task == FULL
                )
                record = runs[task][name]
                record["seconds"].append(seconds)
                record["cpu"].append(cpu)
                record["tokens"].append(routes.log.summary())
                record["english"].append(english_lengths(result.translation or "", tokenizers))
        print(f"repeat {repeat + 1}/{repeats} done", flush=True)
    return runs


def distinct(values: list[Any]) -> list[Any]:
    """Values of every repeat, identical ones once (they should all be)."""
    seen = {json.dumps(value, sort_keys=True) for value in values}
    return [json.loads(value) for value in sorted(seen)]


def prepare(args: argparse.Namespace, shape: str, root: Path, workdir: Path) -> dict[str, Any]:
    """The four models built (unless they are) and converted (once), and their models.toml."""
    record = ensure_models(root, shape)
    models = root / shape
    built = ensure_multilingual_models(models, shape, record["key"])
    for name, build in (("opus-mt/distilbart", record), ("nllb/qwen2", built)):
        state = "reused" if build["reused"] else "built"
        print(f"{name} models {state}: {models} (build seconds {build['seconds']})", flush=True)
    config_path = write_multilingual_config(
        workdir / "models.toml", models, args.translation_tokens, args.summary_tokens
    )
    config = load_config(config_path)
    ct2_cache = models / "ct2-cache"
    # Each build's conversions, recorded with it (and any made now, not timed below).
    converted = [n for n, s in config.models.items() if not converted_folder(s, ct2_cache).is_dir()]
    conversions = {
        **convert_once(config, models, names=(TRANSLATOR, SUMMARIZER)),
        **convert_once(config, models, RECORD, names=(NLLB, QWEN)),
    }
    print(f"ctranslate2 int8 conversion seconds: {conversions}", flush=True)
    return {
        "record": record,
        "built": built,
        "models": models,
        "config": config,
        "ct2_cache": ct2_cache,
        "conversions": conversions,
        "converted": converted,
    }


def build_only(args: argparse.Namespace, shape: str, root: Path, workdir: Path) -> None:
    """Build, convert, load every model and run each route once on a short text."""
    setup = prepare(args, shape, root, workdir)
    with quiet():
        routes = Routes(setup["config"], setup["ct2_cache"])
        for name, spec in setup["config"].models.items():
            print(f"{name}: loaded {routes.load(spec)}", flush=True)
        for task, by_name in ROUTES.items():
            for name, route in by_name.items():
                slug = f"try-{task}-{name}".replace(" ", "_").replace("+", "_")
                seconds, _cpu, result = routes.run(
                    workdir, slug, route, warm_up_text(), full=task == FULL
                )
                output = result.summary if task == FULL else result.translation
                print(f"{task} {name}: {seconds:.2f} s: {(output or '')[:60]!r}...", flush=True)


def benchmark(args: argparse.Namespace, shape: str, root: Path, workdir: Path) -> dict[str, Any]:
    load_before = os.getloadavg()
    setup = prepare(args, shape, root, workdir)
    record, built, models = setup["record"], setup["built"], setup["models"]
    config, ct2_cache, conversions = setup["config"], setup["ct2_cache"], setup["conversions"]
    if args.article:
        article_path = args.article.resolve()
    else:
        article_path = workdir / "article.txt"
        article_path.write_text(builtin_article(), encoding="utf-8")
    document = read_document(str(article_path))
    segments = translatable(sentences_of(document))

    with quiet():
        from transformers import AutoTokenizer

        tokenizers = {
            name: AutoTokenizer.from_pretrained(models / FOLDERS[spec])
            for name, spec in (("bart", SUMMARIZER), ("qwen", QWEN))
        }
        routes = Routes(config, ct2_cache, 0.0 if shape == "quick" else PAUSE_SECONDS)
        loads = {name: routes.load(spec) for name, spec in config.models.items()}
        warm = warm_up_text()
        for task, by_name in ROUTES.items():
            for name, route in by_name.items():
                slug = f"warm-{task}-{name}".replace(" ", "_").replace("+", "_")
                routes.run(workdir, slug, route, warm, full=True)
        runs = time_routes(routes, document, args.repeats, workdir, tokenizers)

    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for task, by_name in runs.items():
        baseline = statistics.median(next(iter(by_name.values()))["seconds"])
        rows[task] = {}
        for name, run in by_name.items():
            median = statistics.median(run["seconds"])
            rows[task][name] = {
                "models": list(ROUTES[task][name][: 1 if task == TRANSLATE else 2]),
                "seconds": run["seconds"],
                "median_seconds": median,
                "vs_baseline": median / baseline,
                "cpu_seconds": run["cpu"],
                "median_cpu_seconds": statistics.median(run["cpu"]),
                "generated_tokens": distinct(run["tokens"]),
                "english": distinct(run["english"]),
            }
    model_records = {}
    for name, spec in config.models.items():
        model_records[name] = {
            "float32_checkpoint_bytes": folder_size(Path(spec.model)),
            "ctranslate2_int8_bytes": folder_size(converted_folder(spec, ct2_cache)),
            "conversion_seconds": conversions.get(name),
            **loads[name],
        }
    return {
        "shape": shape,
        "machine": machine(),
        "threads": thread_count(config.threads),
        "repeats": args.repeats,
        # The machine's 1, 5 and 15-minute load averages, before this run and after it:
        # other work on its CPUs slows the runs down.
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "article": {
            "source": str(args.article) if args.article else "built in (tests/articles.py)",
            "paragraphs": len(document.paragraphs),
            "segments": len(segments),
            "words": len(document.text.split()),
        },
        "forced_lengths": {
            "translation_new_tokens": args.translation_tokens,
            "summary_new_tokens": args.summary_tokens,
            "generation": {name: spec.generation for name, spec in config.models.items()},
        },
        "rows": rows,
        "models": model_records,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "converted_in_this_run": setup["converted"],
        "builds": {
            "opus_distilbart": {k: record[k] for k in ("key", "seconds", "bytes")},
            "nllb_qwen2": {k: built[k] for k in ("key", "seconds", "bytes", "nllb", "qwen2")},
        },
    }


def main(args: argparse.Namespace) -> None:
    """The article benchmark's --multilingual run: builds what is missing, times, reports,
    writes the JSON."""
    shape = "quick" if args.quick else "real"
    json_path = args.json or RESULTS_DIR / f"article-multilingual{'-quick' * args.quick}.json"
    with tempfile.TemporaryDirectory(prefix="summarizer-multilingual-") as tmp:
        if args.build_only:
            build_only(args, shape, args.models_dir.resolve(), Path(tmp))
            return
        results = benchmark(args, shape, args.models_dir.resolve(), Path(tmp))
    report(results)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {json_path}")


def tokens_cell(row: dict[str, Any]) -> str:
    """What the route's models generated per run: "translator + summarizer" totals."""
    (counted,) = row["generated_tokens"][:1] or [{}]
    parts = [str(counted[model]["output_tokens"]) for model in row["models"] if model in counted]
    uneven = " (runs differ!)" if len(row["generated_tokens"]) > 1 else ""
    return " + ".join(parts) + uneven


def mib(size: int) -> str:
    return f"{size / 2**20:.{0 if size >= 10 * 2**20 else 1}f} MiB"


def report(results: dict[str, Any]) -> None:
    m, a = results["machine"], results["article"]
    print()
    print(
        f"machine: {m['cpus']} CPUs, python {m['python']}, transformers {m['transformers']}, "
        f"ctranslate2 {m['ctranslate2']}; threads per model: {results['threads']}; "
        f"shapes: {results['shape']}; repeats: {results['repeats']}"
    )
    print(
        f"article: {a['source']}: {a['paragraphs']} paragraphs, {a['segments']} sentences, "
        f"{a['words']} words"
    )
    load = results["load_average"]
    shown = " and ".join(", ".join(f"{v:.2f}" for v in load[k]) for k in ("before", "after"))
    print(f"load average (1, 5, 15 min) before and after: {shown}")
    print(
        "\n| task | models (ctranslate2 int8) | s per article | vs baseline | CPU s "
        "| tokens generated |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for task, by_name in results["rows"].items():
        for name, row in by_name.items():
            label = task.replace("+", " + ")
            print(
                f"| {label} | {name} | {row['median_seconds']:.2f} | "
                f"{row['vs_baseline']:.2f}x | {row['median_cpu_seconds']:.2f} | "
                f"{tokens_cell(row)} |"
            )
    print(
        "\nruns: wall s (CPU s); what each model generated (content tokens; identical runs merged):"
    )
    for task, by_name in results["rows"].items():
        for name, row in by_name.items():
            pairs = zip(row["seconds"], row["cpu_seconds"], strict=True)
            listed = " ".join(f"{s:.2f} ({c:.2f})" for s, c in pairs)
            print(f"  {task:<20}{name:<26}{listed}")
            for counted in row["generated_tokens"]:
                for model, c in counted.items():
                    print(
                        f"  {'':<46}{model}: {c['inputs']} inputs ({c['input_tokens']} tokens) "
                        f"in {c['calls']} calls -> {c['output_tokens']} tokens "
                        f"(each {'/'.join(map(str, c['per_output']))})"
                    )
    print("\nthe English text each route's summarizer read (identical runs merged):")
    for task, by_name in results["rows"].items():
        for name, row in by_name.items():
            for english in row["english"]:
                shown = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in english.items())
                print(f"  {task:<20}{name:<26}{shown}")
    translate, full = results["rows"][TRANSLATE], results["rows"][FULL]
    derived = {
        name: row["median_seconds"]
        - next(r for r in translate.values() if r["models"][0] == row["models"][0])[
            "median_seconds"
        ]
        for name, row in full.items()
    }
    shown = ", ".join(f"{name}: {seconds:.2f} s" for name, seconds in derived.items())
    print(f"\nsummary step alone (median translate + summarize - median translate): {shown}")
    print("\n| model | float32 checkpoint | ctranslate2 int8 | conversion | load | RSS added |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, model in results["models"].items():
        conversion = model["conversion_seconds"]
        print(
            f"| {name} | {mib(model['float32_checkpoint_bytes'])} | "
            f"{mib(model['ctranslate2_int8_bytes'])} | "
            f"{'earlier' if conversion is None else f'{conversion:.1f} s'} | "
            f"{model['load_seconds']:.2f} s | {model['rss_added_mb']} MB |"
        )
    converted = results["converted_in_this_run"]
    during = f", and {', '.join(converted)} converted in it" if converted else ""
    print(
        f"\npeak RSS of this process: {results['peak_rss_mb']} MB (all four models loaded{during})"
    )
    if results["shape"] == "quick":
        print("(quick shapes: tiny models; the figures mean nothing)")
