"""SIGKILL at random moments while a process writes model outputs into the cache.

A process killed at any moment (opening and migrating the cache, between batches, inside
a write transaction, writing the output file) must leave a cache that SQLite finds sound,
holding only entries identical to an uninterrupted run's, and no partial output file; the
run resumed afterwards must give exactly the uninterrupted run's output.

The killed processes are forked from tests/crash_driver.py, which loads the tiny models
once, so that a kill costs a fraction of a second instead of an import of torch.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from summarizer.cache import CACHE_FILE
from tests.articles import long_french_article
from tests.processes import cache_entries, child_env, integrity, run_summarizer
from tests.tiny_models import TINY_CONFIG

# Reproducible by default; SUMMARIZER_CRASH_SEED=n tries other moments.
SEED = int(os.environ.get("SUMMARIZER_CRASH_SEED", "5"))
VOLATILE = ("seconds", "stats")  # differ between any two runs


def comparable(output: dict) -> dict:
    return {key: value for key, value in output.items() if key not in VOLATILE}


class Driver:
    def __init__(self, config: Path, article: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_driver", str(config), str(article)],
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline() == "ready\n"

    def run(self, cache_dir: Path, output: Path, kill_after: float | None) -> tuple[int, float]:
        """(exit code, seconds) of one child run; -9 when it was killed."""
        delay = -1 if kill_after is None else kill_after
        self.process.stdin.write(f"run {cache_dir} {output} {delay:.4f}\n")
        self.process.stdin.flush()
        _, code, seconds = self.process.stdout.readline().split()
        return int(code), float(seconds)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@dataclass
class Reference:
    output: dict
    entries: dict[str, str]
    seconds: float


@dataclass
class Tally:
    kills: int = 0
    runs: int = 0
    resumed_runs: int = 0
    kill_moments: list[float] = field(default_factory=list)


@pytest.fixture
def setup(tiny_models, tmp_path):
    # Four sentences per translation batch, two chunks per summary batch: dozens of write
    # transactions in a run of a second or two.
    config = tmp_path / "tiny.toml"
    config.write_text(
        TINY_CONFIG.format(**tiny_models).replace("batch_size = 16", "batch_size = 4")
    )
    article = tmp_path / "article.txt"
    article.write_text(long_french_article(paragraphs=8, sentences_per_paragraph=6))
    driver = Driver(config, article)
    try:
        code, seconds = driver.run(tmp_path / "reference-cache", tmp_path / "reference.json", None)
        assert code == 0
        reference = Reference(
            output=comparable(json.loads((tmp_path / "reference.json").read_text())),
            entries=cache_entries(tmp_path / "reference-cache" / CACHE_FILE),
            seconds=seconds,
        )
        yield driver, reference, config, article
    finally:
        driver.close()


def check_after_kill(cache_dir: Path, output: Path, reference: Reference) -> None:
    cache_file = cache_dir / CACHE_FILE
    if cache_file.exists():
        assert integrity(cache_file) == "ok"
        entries = cache_entries(cache_file)
        wrong = {k for k, v in entries.items() if reference.entries.get(k) != v}
        assert not wrong, f"{len(wrong)} entries differ from the uninterrupted run's"
    if output.exists():  # whole or not at all
        assert comparable(json.loads(output.read_text())) == reference.output


def kill_repeatedly(driver, reference, tmp_path, kills_wanted: int, rng) -> Tally:
    """Episodes on fresh caches: kill the run at a random moment until it completes; check
    the cache after every kill and the resumed output at the end of each episode."""
    tally = Tally()
    episode = 0
    while tally.kills < kills_wanted:
        episode += 1
        cache_dir, output = tmp_path / f"cache-{episode}", tmp_path / f"out-{episode}.json"
        while True:
            kill_after = None if tally.kills >= kills_wanted else rng.uniform(0, reference.seconds)
            code, _ = driver.run(cache_dir, output, kill_after)
            tally.runs += 1
            if code == -9:
                tally.kills += 1
                tally.kill_moments.append(kill_after)
                check_after_kill(cache_dir, output, reference)
                continue
            assert code == 0
            break
        tally.resumed_runs += 1
        assert comparable(json.loads(output.read_text())) == reference.output
        assert cache_entries(cache_dir / CACHE_FILE) == reference.entries
    return tally


@pytest.mark.stress
def test_kills_never_damage_the_cache_and_the_resumed_run_matches(setup, tmp_path):
    driver, reference, _, _ = setup
    tally = kill_repeatedly(driver, reference, tmp_path, kills_wanted=3, rng=random.Random(SEED))
    assert tally.kills == 3


@pytest.mark.stress
def test_kill_loop_of_at_least_20_then_resume_with_the_real_command(setup, tmp_path):
    driver, reference, config, article = setup
    tally = kill_repeatedly(driver, reference, tmp_path, kills_wanted=25, rng=random.Random(SEED))
    print(
        f"\n{tally.kills} kills survived in {tally.runs} runs, {tally.resumed_runs} resumed "
        f"runs matched; kill moments {min(tally.kill_moments):.2f}-"
        f"{max(tally.kill_moments):.2f} s of a {reference.seconds:.2f} s run"
    )
    assert tally.kills >= 20

    # Once more, resumed by the installed command rather than the fork server.
    rng = random.Random(SEED + 1)
    cache_dir, output = tmp_path / "cache-cli", tmp_path / "out-cli.json"
    for _ in range(3):
        driver.run(cache_dir, output, rng.uniform(0, reference.seconds / 3))
        check_after_kill(cache_dir, output, reference)
    output.unlink(missing_ok=True)
    result = run_summarizer(
        "summarize", article, "--config", config, "--source-lang", "fr",
        "--format", "json", "-o", output, "-q",
        cwd=tmp_path, SUMMARIZER_CACHE_DIR=str(cache_dir),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert comparable(json.loads(output.read_text())) == reference.output
    assert cache_entries(cache_dir / CACHE_FILE) == reference.entries
