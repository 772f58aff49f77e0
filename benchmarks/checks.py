"""What the model-free translation checks (summarizer.checks, summarizer.numbers) cost per
sentence, on generated French sentences and English outputs:

    python -m benchmarks.checks                 # 10,000 sentence pairs
    python -m benchmarks.checks --pairs 2000

Sentences are drawn from word lists of French and English news vocabulary, 6 to 40 words
long, with 0 to 3 numbers each in both notations (thousands, decimals, percentages, times,
years, ordinals), plus the hand-written pairs of tests/test_checks.py. Figures are in
microseconds per pair (or per sentence), each slice of pairs timed 5 times, its best kept.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import timeit
from collections.abc import Callable

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    pairs = generated_pairs(parser.parse_args().pairs)
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
