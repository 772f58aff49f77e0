"""One article, three ways: the naive path against summarizer's torch and ctranslate2 engines.

    python -m benchmarks.article                  # real shapes (builds them once, slow)
    python -m benchmarks.article --quick          # tiny shapes: a smoke test of the script
    python -m benchmarks.article --build-only     # build, convert, load and try the models
    python -m benchmarks.article --article FILE   # another article (e.g. a real one)
    python -m benchmarks.article --multilingual   # NLLB and Qwen against opus-mt + distilbart

(from the repository root, as every `python -m benchmarks.*`).

The hub is not reachable here, so the models are random-weight stand-ins in the real shapes
of opus-mt-fr-en (Marian) and distilbart-cnn-12-6 (BART), with tokenizers trained in-process
on the project's own invented texts (tests/model_builders.py, tests/articles.py) and padded with
filler tokens to the real vocabulary sizes, so embeddings and output projections cost what
the real ones do. They are built once under --models-dir (git-ignored) and reused. The
tokenizers learned the built-in article's words (~1.3 pieces a word, as opus-mt's); an
--article they never saw splits into ~2.5 pieces a word, longer inputs than the real models
would get (the report prints words and tokens).

Random weights decide nothing, so output lengths are forced equal in every path:
- each model's final_logits_bias (zero in the real models, added at the same cost) gives
  -1e4 to end-of-sentence, padding and unknown, so no output stops early, and +10 to some
  trained tokens over fillers, so outputs are text: for BART every trained token, for
  Marian the whole-word pieces that BART reads as one token each, so every path's English
  text has the same length in BART tokens, hence the same chunks and summary lengths;
- translation runs with min_new_tokens = max_new_tokens = L (--translation-tokens) in every
  path; summaries use the pipeline's own per-chunk scaled_lengths, run to max_length.
The number of tokens each path generated is counted (from the token ids the engines
return) and printed, so equal lengths are shown, not assumed.

Timed, with models loaded and warmed up beforehand, on the same article, repeats interleaved
(naive, torch, ctranslate2, ...), medians reported:
- naive: transformers generate() one sentence at a time, then one chunk at a time, beam 4,
  no cache (the old pipelines);
- torch / ctranslate2: Summarizer.run() with that engine, a fresh empty cache each run.
Then, in child processes: a second `summarizer summarize` on a filled cache (wall time, and
with -X importtime whether torch or transformers was imported), and the time from launching
`summarizer summarize` (ctranslate2, models converted, new article) to the start of its first
translate_batch() call, reported by a wrapper around the translator that ends the process
there.

--multilingual times other rows instead: opus-mt-fr-en against nllb-200-distilled-600M, and
opus-mt + distilbart against opus-mt + Qwen2.5-0.5B-Instruct and NLLB + Qwen, all on the
ctranslate2 int8 engine (see benchmarks/multilingual.py); --quick and --build-only work
with it too.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.children import cached_reruns, first_batch_latency
from benchmarks.models import (
    DEFAULT_TOKENS,
    MODELS_DIR,
    RESULTS_DIR,
    SUMMARIZER,
    TRANSLATOR,
    convert_once,
    ensure_models,
    folder_size,
    write_config,
)
from benchmarks.multilingual_models import SUMMARY_TOKENS
from benchmarks.paths import (
    EnginePath,
    NaivePath,
    fresh_cache,
    run_article,
    sentences_of,
    translatable,
)
from benchmarks.report import machine, report, targets
from summarizer.config import load_config
from summarizer.documents import Document, parse_text, read_document
from summarizer.engines import load_model, thread_count
from summarizer.prompts import scaled_lengths
from tests.articles import FRENCH_ARTICLE, FRENCH_PARAGRAPHS, french_article
from tests.model_builders import ENGLISH_CORPUS, FRENCH_CORPUS, quiet

PATHS = ("naive", "torch", "ctranslate2")
TASKS = ("translate", "translate+summarize")
# Lets one engine's idle OpenMP threads stop spinning before the other engine's run.
PAUSE_SECONDS = 0.5


def builtin_article() -> str:
    """28 sentences of the project's invented French news (tests/articles.py)."""
    return (
        FRENCH_ARTICLE.strip()
        + "\n\n"
        + " ".join(FRENCH_PARAGRAPHS)
        + "\n\n"
        + french_article(7, 14).strip()
        + "\n"
    )


def warm_up_text() -> str:
    """A different text, for the untimed first run that loads every model."""
    return " ".join(FRENCH_CORPUS[:6]) + "\n\n" + " ".join(FRENCH_CORPUS[6:12]) + "\n"


def timed(run: Callable[[], Any], pause: float = PAUSE_SECONDS) -> tuple[float, Any]:
    gc.collect()
    time.sleep(pause)
    started = time.perf_counter()
    value = run()
    return time.perf_counter() - started, value


def build_only(models: Path, shape: str, workdir: Path, record: dict[str, Any]) -> None:
    """Load both models in both engines and run each once: one sentence translated, one
    paragraph summarized (with the lengths the pipeline would give it)."""
    config_path = write_config(workdir / "models.toml", models, DEFAULT_TOKENS)
    config = load_config(config_path)
    conversions = convert_once(config, models)
    print(f"ctranslate2 int8 conversion seconds: {conversions}")
    inputs = {TRANSLATOR: FRENCH_CORPUS[0], SUMMARIZER: " ".join(ENGLISH_CORPUS[:8])}
    for engine in ("torch", "ctranslate2"):
        for name, text in inputs.items():
            spec = config.with_engine(engine).models[name]
            with quiet():
                model = load_model(spec, cache_dir=models / "ct2-cache", threads=config.threads)
                started = time.perf_counter()
                tokens = model.count_tokens(text)
                loaded = time.perf_counter() - started
                settings = dict(spec.generation)
                if name == SUMMARIZER:
                    settings = scaled_lengths(settings, tokens)
                started = time.perf_counter()
                (output,) = model.generate([text], settings)
            print(
                f"{engine} {name}: loaded in {loaded:.1f} s, ran in "
                f"{time.perf_counter() - started:.2f} s: {output[:50]!r}..."
            )
    sizes = {name: round(size / 2**20) for name, size in record["bytes"].items()}
    ct2 = folder_size(models / "ct2-cache")
    print(f"sizes on disk (MiB): {sizes}, ctranslate2 int8 conversions: {ct2 / 2**20:.0f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.article", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per path")
    parser.add_argument("--quick", action="store_true", help="tiny shapes: a smoke test")
    parser.add_argument("--build-only", action="store_true", help="build and try the models")
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--article", type=Path, help="a French article (default: built in)")
    parser.add_argument("--translation-tokens", type=int, default=DEFAULT_TOKENS, metavar="L")
    parser.add_argument(
        "--multilingual",
        action="store_true",
        help="NLLB and Qwen2.5 against opus-mt + distilbart, on ctranslate2 int8",
    )
    parser.add_argument(
        "--summary-tokens",
        type=int,
        default=SUMMARY_TOKENS,
        metavar="N",
        help="(--multilingual) new tokens of every Qwen summary",
    )
    parser.add_argument(
        "--json",
        type=Path,
        help="default: benchmarks/results/article.json (article-multilingual.json)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.multilingual:
        from benchmarks import multilingual

        multilingual.main(args)
        return
    shape = "quick" if args.quick else "real"
    json_path = args.json or RESULTS_DIR / f"article{'-quick' * args.quick}.json"

    record = ensure_models(args.models_dir.resolve(), shape)
    models = args.models_dir.resolve() / shape
    built = "reused" if record["reused"] else "built"
    print(f"models {built}: {models} (build seconds {record['seconds']})")
    with tempfile.TemporaryDirectory(prefix="summarizer-article-") as tmp:
        workdir = Path(tmp)
        if args.build_only:
            build_only(models, shape, workdir, record)
            return
        results = benchmark(args, shape, models, record, workdir)
    report(results)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {json_path}")


def warm_up(
    naive: NaivePath, engines: dict[str, EnginePath], workdir: Path, ct2_cache: Path
) -> None:
    """Load every model and run it once on another text, before any clock starts."""
    warm = warm_up_text()
    naive.run(parse_text(warm), summarize=True)
    naive.log.reset()
    for name, path in engines.items():
        summarizer = path.summarizer(fresh_cache(workdir, f"warm-{name}", ct2_cache))
        run_article(summarizer, warm, summarize=True)
        summarizer.close()
        path.start_counting()


def time_runs(
    naive: NaivePath,
    engines: dict[str, EnginePath],
    document: Document,
    repeats: int,
    workdir: Path,
    ct2_cache: Path,
) -> tuple[dict, dict, dict[str, set[int]], Path]:
    """Per repeat, per task: naive, torch, ctranslate2 in turn. Seconds and generated tokens
    per task and path, sentences translated per path, and the cache a full ctranslate2 run
    filled (for the cached rerun)."""
    seconds: dict[str, dict[str, list[float]]] = {t: {p: [] for p in PATHS} for t in TASKS}
    tokens: dict[str, dict[str, list[Any]]] = {t: {p: [] for p in PATHS} for t in TASKS}
    segments: dict[str, set[int]] = {p: set() for p in PATHS}
    full_cache = workdir
    for repeat in range(repeats):
        for task in TASKS:
            full = task == "translate+summarize"
            naive.log.reset()
            elapsed, _ = timed(lambda full=full: naive.run(document, summarize=full))
            seconds[task]["naive"].append(elapsed)
            tokens[task]["naive"].append(naive.log.summary())
            segments["naive"].add(naive.log.summary()["translation"]["inputs"])
            for name, path in engines.items():
                cache = fresh_cache(workdir, f"{name}-{task}-{repeat}", ct2_cache)
                summarizer = path.summarizer(cache)
                path.log.reset()
                elapsed, result = timed(
                    lambda s=summarizer, full=full: run_article(s, document, summarize=full)
                )
                summarizer.close()
                seconds[task][name].append(elapsed)
                tokens[task][name].append(path.log.summary())
                segments[name].add(result.stats["translation"]["segments"])
                if full and name == "ctranslate2":
                    full_cache = cache
        print(f"repeat {repeat + 1}/{repeats} done", flush=True)
    return seconds, tokens, segments, full_cache


def benchmark(
    args: argparse.Namespace, shape: str, models: Path, record: dict[str, Any], workdir: Path
) -> dict[str, Any]:
    length = args.translation_tokens
    config_path = write_config(workdir / "models.toml", models, length)
    config = load_config(config_path)
    ct2_cache = models / "ct2-cache"
    conversions = convert_once(config, models)
    if args.article:
        article_path = args.article.resolve()
    else:
        article_path = workdir / "article.txt"
        article_path.write_text(builtin_article(), encoding="utf-8")
    document = read_document(str(article_path))
    threads = thread_count(config.threads)

    with quiet():
        naive = NaivePath(config, threads)
        engines = {name: EnginePath(config, name, ct2_cache) for name in PATHS[1:]}
        warm_up(naive, engines, workdir, ct2_cache)
        segments = translatable(sentences_of(document))
        source_tokens = [naive.count_tokens(naive.translator, s) for s in segments]
        shortest_bound = 2 * min(source_tokens) + 16
        if shortest_bound < length:
            print(f"warning: the pipeline caps some sentences at {shortest_bound} < L={length}")
        runs = time_runs(naive, engines, document, args.repeats, workdir, ct2_cache)
        seconds, tokens, segment_counts, last_full_cache = runs

    cached = cached_reruns(article_path, config_path, last_full_cache, args.repeats)
    latency = first_batch_latency(article_path, config_path, workdir, ct2_cache, args.repeats)
    medians = {
        t: {p: statistics.median(v) for p, v in by_path.items()} for t, by_path in seconds.items()
    }
    speedups = {
        t: {p: by_path["naive"] / by_path[p] for p in PATHS} for t, by_path in medians.items()
    }
    return {
        "shape": shape,
        "machine": machine(),
        "threads": threads,
        "repeats": args.repeats,
        "article": {
            "source": str(args.article) if args.article else "built in (tests/articles.py)",
            "paragraphs": len(document.paragraphs),
            "segments": len(segments),
            "segments_per_path": {p: sorted(c) for p, c in segment_counts.items()},
            "source_tokens": sum(source_tokens),
            "words": len(document.text.split()),
        },
        "forced_lengths": {
            "translation_new_tokens": length,
            "pipeline_bound_for_shortest_sentence": shortest_bound,
            "summarization": config.models[SUMMARIZER].generation,
        },
        "models": {
            "dims": record["key"]["dims"],
            "vocab": record["key"]["vocab"],
            "tokenizers": {"marian": record["marian"], "bart": record["bart"]},
            "build_seconds": record["seconds"],
            "bytes": record["bytes"],
            "conversion_seconds": conversions,
        },
        "seconds": seconds,
        "median_seconds": medians,
        "speedup_vs_naive": speedups,
        "generated_tokens": tokens,
        "cached_rerun": cached,
        "first_batch": latency,
        "targets": targets(speedups, cached, latency),
    }


if __name__ == "__main__":
    main()
