"""What the model-free translation checks (summarizer.checks, summarizer.numbers) cost per
sentence, on generated French sentences and English outputs:

    python -m benchmarks.checks                 # 10,000 sentence pairs
    python -m benchmarks.checks --pairs 2000
    python -m benchmarks.checks --pipeline      # a whole article, checks off vs on
    python -m benchmarks.checks --pipeline --quick --repeats 1   # tiny shapes: a smoke test

Sentences are drawn from word lists of French and English news vocabulary, 6 to 40 words
long, with 0 to 3 numbers each in both notations (thousands, decimals, percentages, times,
years, ordinals), plus the hand-written pairs of tests/test_checks.py. Figures are in
microseconds per pair (or per sentence), each slice of pairs timed 5 times, its best kept.

--pipeline times what the checks add to a translation: the article benchmark's built-in
article translated (Summarizer.run, summarize=False) by its real-shape random Marian on the
ctranslate2 int8 engine (benchmarks/article.py explains the models and the forced output
lengths), models loaded and warmed up beforehand, a fresh empty cache each run, repeats
interleaved (their order rotated), medians reported, three ways:
- off: checks=False;
- on, no retry: checks=True with the translator's retry turned off (retry = {}): the checks
  and the language detection run on every sentence, as they do when nothing is flagged, and
  nothing is translated twice. This is the cost when nothing is flagged;
- on, default retry: checks=True as shipped. Random weights fail most checks, so most
  sentences are translated twice (beam 6): the worst case.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import tempfile
import time
import timeit
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from summarizer.checks import (
    Thresholds,
    check_translation,
    has_repetition,
    is_copy,
    length_ratio_ok,
    needs_language_check,
)
from summarizer.numbers import mentions, missing_numbers
from tests.test_checks import SOUND_PAIRS


def vocabulary(words: str) -> list[str]:
    return words.split()


FRENCH = vocabulary(
    "le la les un une des du de et à en pour que qui dans sur avec par pas plus il elle "
    "ils nous a ont été sera maire ville conseil gouvernement ministre projet loi réforme "
    "budget année mois semaine mardi jeudi dimanche police justice tribunal procès élection "
    "députés sénat président entreprise salariés syndicat grève hôpital école transports "
    "prix énergie chômage croissance économie région commune habitants manifestation "
    "annoncé déclaré estimé prévu voté adopté rejeté augmenté baissé reculé selon depuis "
    "après avant contre entre nouvelle nouveau premier dernière plusieurs environ"
)
ENGLISH = vocabulary(
    "the a an of and to in for that who on with by not more he she they we has have been "
    "will be mayor city council government minister project law reform budget year month "
    "week Tuesday Thursday Sunday police justice court trial election deputies senate "
    "president company employees union strike hospital school transport prices energy "
    "unemployment growth economy region municipality residents demonstration announced "
    "declared estimated planned voted adopted rejected increased decreased fell according "
    "since after before against between new first last several about"
)


def number_pair(rng: random.Random) -> tuple[str, str]:
    """One number written the French way and the English way."""
    value = rng.randrange(1, 2_000_000)
    kind = rng.randrange(7)
    if kind == 0:
        return f"{value:,}".replace(",", "\u202f"), f"{value:,}"
    if kind == 1:
        tenths = rng.randrange(10)
        return f"{value % 1000},{tenths}", f"{value % 1000}.{tenths}"
    if kind == 2:
        return f"{value % 100} %", f"{value % 100}%"
    if kind == 3:
        hour, minute = rng.randrange(24), rng.randrange(60)
        return f"{hour}h{minute:02d}", f"{hour % 12 or 12}:{minute:02d} pm"
    if kind == 4:
        rank = rng.randrange(4, 30)
        return f"{rank}e", f"{rank}th"
    year = str(rng.randrange(1950, 2030))
    return year, year


def generated_pairs(count: int, seed: int = 12) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = list(SOUND_PAIRS)
    while len(pairs) < count:
        length = rng.randrange(6, 41)
        # Drawn without replacement, as real sentences seldom repeat a word much.
        french = rng.sample(FRENCH, length)
        english = rng.sample(ENGLISH, round(length * 0.9))
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            fr_number, en_number = number_pair(rng)
            french.insert(rng.randrange(len(french) + 1), fr_number)
            english.insert(rng.randrange(len(english) + 1), en_number)
        pairs.append((" ".join(french).capitalize() + ".", " ".join(english).capitalize() + "."))
    return pairs[:count]


def per_item_us(function: Callable[[str, str], object], pairs: list[tuple[str, str]]) -> float:
    """Each slice of 500 pairs timed 5 times and its best time kept: on a machine shared
    with other work, a slice that another process slowed down is timed again."""
    total = 0.0
    for first in range(0, len(pairs), 500):
        piece = pairs[first : first + 500]
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for source, output in piece:
                function(source, output)
            best = min(best, time.perf_counter() - start)
        total += best
    return total / len(pairs) * 1e6


def reference_us() -> float:
    """sum(range(1000)), best of 20: how fast this machine runs Python, to compare figures
    taken on different machines (about 8 us on a recent desktop core)."""
    return min(timeit.repeat("sum(range(1000))", number=1000, repeat=20)) / 1000 * 1e6


# The --pipeline variants: RunOptions.checks, and whether the translator retries.
VARIANTS = {"off": (False, True), "on, no retry": (True, False), "on, default retry": (True, True)}


def pipeline_configs(config_path: Path) -> dict[str, Any]:
    """Each variant's config: the article benchmark's, or with the translator's retry off."""
    from benchmarks.models import TRANSLATOR
    from summarizer.config import load_config

    config = load_config(config_path)
    spec = dataclasses.replace(config.models[TRANSLATOR], retry={})
    no_retry = dataclasses.replace(config, models={**config.models, TRANSLATOR: spec})
    return {name: config if retry else no_retry for name, (_, retry) in VARIANTS.items()}


def pipeline_run(path: Any, config: Any, cache: Path, text: str, checks: bool) -> dict[str, Any]:
    """One timed Summarizer.run() of `text`, translation only, with the models `path` holds."""
    from benchmarks.article import timed
    from summarizer.options import RunOptions
    from summarizer.pipeline import Summarizer

    summarizer = Summarizer(config, cache_dir=cache, engine=path.engine, model_loader=path.loader)
    path.log.reset()
    options = RunOptions(summarize=False, checks=checks)
    seconds, result = timed(lambda: summarizer.run(text, options))
    summarizer.close()
    flags = result.checks["translation"] if result.checks else []
    generated = path.log.summary().get("translation", {})
    segments = result.stats["translation"]["segments"]
    return {
        "seconds": seconds,
        "segments": segments,
        # Every translated input beyond the first pass is a retry.
        "retried": generated.get("inputs", 0) - segments,
        "generated_tokens": generated.get("output_tokens", 0),
        "flagged": len(flags),
        "problems": dict(Counter(p for flag in flags for p in flag["problems"])),
    }


def pipeline_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.article import builtin_article, warm_up_text
    from benchmarks.models import DEFAULT_TOKENS, convert_once, ensure_models, write_config
    from benchmarks.paths import EnginePath, fresh_cache
    from benchmarks.report import machine
    from summarizer.engines import thread_count
    from tests.model_builders import quiet

    shape = "quick" if args.quick else "real"
    record = ensure_models(args.models_dir.resolve(), shape)
    models = args.models_dir.resolve() / shape
    print(f"models {'reused' if record['reused'] else 'built'}: {models}", flush=True)
    ct2_cache = models / "ct2-cache"
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="summarizer-checks-") as tmp:
        workdir = Path(tmp)
        config_path = write_config(workdir / "models.toml", models, DEFAULT_TOKENS)
        configs = pipeline_configs(config_path)
        convert_once(configs["off"], models)
        path = EnginePath(configs["off"], "ctranslate2", ct2_cache)
        text = builtin_article()
        with quiet():
            for name, config in configs.items():
                cache = fresh_cache(workdir, f"warm-{name}", ct2_cache)
                pipeline_run(path, config, cache, warm_up_text(), VARIANTS[name][0])
            path.start_counting()
            load_before = os.getloadavg()
            order = list(VARIANTS)
            for repeat in range(args.repeats):
                for name in order[repeat % 3 :] + order[: repeat % 3]:
                    cache = fresh_cache(workdir, f"{name}-{repeat}", ct2_cache)
                    run = pipeline_run(path, configs[name], cache, text, VARIANTS[name][0])
                    runs[name].append(run)
                print(f"repeat {repeat + 1}/{args.repeats} done", flush=True)
            load_after = os.getloadavg()
    medians = {name: statistics.median(r["seconds"] for r in done) for name, done in runs.items()}
    return {
        "shape": shape,
        "engine": "ctranslate2 int8",
        "machine": machine(),
        "threads": thread_count(configs["off"].threads),
        "repeats": args.repeats,
        "load_before": [round(value, 2) for value in load_before],
        "load_after": [round(value, 2) for value in load_after],
        "runs": runs,
        "median_seconds": medians,
        "ratio_vs_off": {name: medians[name] / medians["off"] for name in VARIANTS},
    }


def pipeline_report(results: dict[str, Any]) -> None:
    info = results["machine"]
    print(
        f"{results['shape']} shapes, {results['engine']}, {results['threads']} threads, "
        f"{info['cpus']} CPUs ({info['processor']}), {results['repeats']} interleaved repeats"
    )
    print(f"load average before: {results['load_before']}, after: {results['load_after']}")
    for name, done in results["runs"].items():
        first = done[0]
        same = {(r["segments"], r["retried"], r["generated_tokens"], r["flagged"]) for r in done}
        print(
            f"checks {name}: median {results['median_seconds'][name]:.3f} s "
            f"({results['ratio_vs_off'][name]:.3f}x off), runs "
            f"{[round(r['seconds'], 3) for r in done]}; {first['segments']} sentences "
            f"translated, {first['retried']} retried, {first['generated_tokens']} tokens "
            f"generated, {first['flagged']} flagged {first['problems']}"
            + ("" if len(same) == 1 else f"; runs differ: {sorted(same)}")
        )
    print(
        "'on, no retry' is the cost when nothing is flagged: every check and the language "
        "detection run on every sentence, and nothing is translated twice; 'on, default "
        "retry' is the worst case, every flagged sentence translated twice."
    )


def main() -> None:
    from benchmarks.models import MODELS_DIR

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--pipeline", action="store_true", help="an article, checks off vs on")
    parser.add_argument("--quick", action="store_true", help="--pipeline on tiny shapes")
    parser.add_argument("--repeats", type=int, default=5, help="--pipeline runs per variant")
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--json", type=Path, help="--pipeline: write the figures there")
    args = parser.parse_args()
    if args.pipeline:
        if args.repeats < 1:
            parser.error("--repeats must be at least 1")
        results = pipeline_benchmark(args)
        pipeline_report(results)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        return
    pairs = generated_pairs(args.pairs)
    thresholds = Thresholds()

    def check(source: str, output: str) -> list[str]:
        return check_translation(
            source,
            output,
            -0.5,
            source_language="fr",
            target_language="en",
            thresholds=thresholds,
            detected=None,
        )

    flagged = sum(1 for source, output in pairs if check(source, output))
    print(
        f"{len(pairs)} pairs, source {statistics.mean(len(s) for s, _ in pairs):.0f} "
        f"characters on average, {flagged} flagged"
    )
    figures = {
        "mentions (one French sentence)": lambda source, _: mentions(source, "fr"),
        "missing_numbers": lambda source, output: missing_numbers(source, "fr", output),
        "has_repetition": has_repetition,
        "is_copy": is_copy,
        "length_ratio_ok": lambda source, output: length_ratio_ok(source, output, thresholds),
        "needs_language_check (one output)": lambda _, output: needs_language_check(output),
        "check_translation": check,
    }
    print(f"reference, sum(range(1000)): {reference_us():.1f} us")
    for name, function in figures.items():
        print(f"{name}: {per_item_us(function, pairs):.1f} us")


if __name__ == "__main__":
    main()
