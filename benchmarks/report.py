"""The article benchmark's verdicts against its targets, and its printed report."""

from __future__ import annotations

import json
import os
import platform
from typing import Any

# Targets, as speedups of the ctranslate2 engine (models.toml's default) over naive.
TARGET_TRANSLATE, TARGET_FULL = 15.0, 8.0
TARGET_CACHED_SECONDS, TARGET_FIRST_BATCH_SECONDS = 0.5, 3.0


def machine() -> dict[str, Any]:
    import ctranslate2
    import torch
    import transformers

    return {
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "ctranslate2": ctranslate2.__version__,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "summarizer_threads": os.environ.get("SUMMARIZER_THREADS"),
    }


def target(name: str, value: float | bool, op: str, limit: float | bool) -> dict[str, Any]:
    passed = {">=": value >= limit, "<=": value <= limit, "==": value == limit}[op]
    return {"name": name, "value": value, "op": op, "limit": limit, "pass": bool(passed)}


def targets(
    speedups: dict[str, dict[str, float]], cached: dict[str, Any], latency: dict[str, Any]
) -> list[dict[str, Any]]:
    return [
        target(
            "translate: ctranslate2 vs naive",
            speedups["translate"]["ctranslate2"],
            ">=",
            TARGET_TRANSLATE,
        ),
        target(
            "translate+summarize: ctranslate2 vs naive",
            speedups["translate+summarize"]["ctranslate2"],
            ">=",
            TARGET_FULL,
        ),
        target("cached rerun wall seconds", cached["median"], "<=", TARGET_CACHED_SECONDS),
        target(
            "cached rerun imports neither torch nor transformers",
            not {"torch", "transformers"} & set(cached["engine_modules_imported"]),
            "==",
            True,
        ),
        target(
            "ctranslate2 first batch, seconds after launch",
            latency["median"],
            "<=",
            TARGET_FIRST_BATCH_SECONDS,
        ),
    ]


def report(results: dict[str, Any]) -> None:
    m = results["machine"]
    print()
    print(
        f"machine: {m['cpus']} CPUs, python {m['python']}, torch {m['torch']}, "
        f"transformers {m['transformers']}, ctranslate2 {m['ctranslate2']}; "
        f"threads per model: {results['threads']}; shapes: {results['shape']}"
    )
    a = results["article"]
    print(
        f"article: {a['source']}: {a['paragraphs']} paragraphs, {a['segments']} sentences, "
        f"{a['words']} words, {a['source_tokens']} Marian tokens; repeats: {results['repeats']}"
    )
    uneven = {p: c for p, c in a["segments_per_path"].items() if c != [a["segments"]]}
    if uneven:
        print(f"warning: the paths translated different numbers of sentences: {uneven}")
    print(f"\n{'task':<22}{'path':<13}{'median s':>10}{'vs naive':>10}   runs (s)")
    for task, by_path in results["seconds"].items():
        for path, runs in by_path.items():
            median = results["median_seconds"][task][path]
            ratio = results["speedup_vs_naive"][task][path]
            listed = " ".join(f"{s:.2f}" for s in runs)
            print(f"{task:<22}{path:<13}{median:>10.2f}{ratio:>9.1f}x   {listed}")
    report_tokens(results["generated_tokens"])
    c, f = results["cached_rerun"], results["first_batch"]
    imported = ", ".join(c["engine_modules_imported"]) or "none"
    print(
        f"\ncached rerun (subprocess, launch to exit): median {c['median']:.3f} s "
        f"({' '.join(f'{s:.3f}' for s in c['seconds'])}); cache misses {c['cache_misses']}; "
        f"engine modules imported: {imported}"
    )
    print(
        f"ctranslate2 first batch after launch: median {f['median']:.2f} s "
        f"({' '.join(f'{s:.2f}' for s in f['seconds'])})"
    )
    conv = results["models"]["conversion_seconds"]
    print(f"ctranslate2 int8 conversion seconds (once per build, not timed above): {conv}")
    print()
    for item in results["targets"]:
        value = item["value"]
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        verdict = "PASS" if item["pass"] else "FAIL"
        print(f"{verdict}  {item['name']}: {shown} (target {item['op']} {item['limit']})")
    if results["shape"] == "quick":
        print("(quick shapes: the targets are for real shapes and mean nothing here)")


def report_tokens(generated: dict[str, dict[str, list[Any]]]) -> None:
    print("\ngenerated tokens (content tokens, specials excluded; per run, identical runs merged):")
    for task, by_path in generated.items():
        for path, runs in by_path.items():
            distinct = {json.dumps(run, sort_keys=True) for run in runs}
            for run in map(json.loads, sorted(distinct)):
                parts = [
                    f"{name}: {v['inputs']} inputs ({v['input_tokens']} tokens) in "
                    f"{v['calls']} calls -> {v['output_tokens']} tokens "
                    f"(each {'/'.join(map(str, v['per_output']))})"
                    for name, v in run.items()
                ]
                print(f"  {task:<20}{path:<13}{'; '.join(parts)}")
