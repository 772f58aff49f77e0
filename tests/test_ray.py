"""The Ray executor: the same outputs and manifest as the local executor, resume after a
killed driver, a killed worker's documents retried and each written once, bad files
reported once, and one line when Ray is not installed.

The tests that run Ray share one local instance (conftest's `ray_address`), which this
process is connected to; the two-node test builds its own cluster in a child process.
Starting Ray and its workers costs seconds each time, so those tests are in the long run
(`-m "slow or stress"`, which CI runs); the default run checks the options and the
missing extra."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from summarizer import files, jobs
from summarizer.errors import SummarizerError
from summarizer.jobs import ray_executor
from summarizer.jobs.ray_executor import RaySettings
from summarizer.options import RunOptions
from summarizer.pipeline import Summarizer
from summarizer.progress import Progress
from tests.articles import write_corpus
from tests.processes import REPO_ROOT, child_env, invoke, summarizer_command

VOLATILE = ("seconds",)


def manifest_rows(outdir: Path) -> list[dict]:
    """manifest.jsonl's rows without what differs between any two runs."""
    lines = (outdir / jobs.MANIFEST).read_text(encoding="utf-8").splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in VOLATILE} for line in lines]


def output_files(outdir: Path) -> dict[str, bytes]:
    """Every file the run wrote but the manifest, by its name under outdir."""
    return {
        str(path.relative_to(outdir)): path.read_bytes()
        for path in sorted(outdir.rglob("*"))
        if path.is_file() and path.name != jobs.MANIFEST
    }


class Messages(Progress):
    """A silent Progress that keeps its messages."""

    def __init__(self) -> None:
        super().__init__(0, enabled=False)
        self.lines: list[str] = []

    def message(self, line: str) -> None:
        self.lines.append(line)


def folder_run(
    config: Path,
    corpus: Path,
    out: Path,
    *,
    executor: RaySettings | None = None,
    summarize: bool = True,
    output_format: str = "markdown",
) -> Messages:
    progress = Messages()
    summarizer = Summarizer(config, cache_dir=out.parent / f"cache-{out.name}")
    try:
        jobs.run(
            summarizer,
            [corpus],
            out,
            RunOptions(source_language="fr", summarize=summarize),
            output_format,
            progress=progress,
            emit=print,
            batch=True,
            executor=executor,
        )
    finally:
        summarizer.close()
    return progress


def corpus_with_bad_files(root: Path, count: int) -> Path:
    write_corpus(root, count)
    (root / "empty.txt").write_text(" \n", encoding="utf-8")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02\x03")
    return root


@pytest.mark.slow
def test_ray_executor_writes_what_the_local_executor_writes(tmp_path, tiny_config, ray_address):
    corpus = corpus_with_bad_files(tmp_path / "corpus", 6)
    folder_run(tiny_config, corpus, tmp_path / "local")
    settings = RaySettings(workers=2, documents_per_batch=2)
    progress = folder_run(tiny_config, corpus, tmp_path / "ray", executor=settings)

    assert output_files(tmp_path / "ray") == output_files(tmp_path / "local")
    assert manifest_rows(tmp_path / "ray") == manifest_rows(tmp_path / "local")
    rows = manifest_rows(tmp_path / "ray")
    assert [row["status"] for row in rows].count("written") == 6
    failed = sorted(Path(row["input"]).name for row in rows if row["status"] == "failed")
    assert failed == ["binary.txt", "empty.txt"]
    # Each bad file is said once, as the local executor says it.
    for name in failed:
        assert len([line for line in progress.lines if name in line]) == 1
    assert progress.counts == {"written": 6, "up_to_date": 0, "failed": 2}


@pytest.mark.slow
def test_the_command_line_runs_on_ray_and_a_rerun_skips_everything_without_ray(
    tmp_path, tiny_config, ray_address, monkeypatch
):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 3)
    arguments = ["translate", corpus, "-o", tmp_path / "out", "--config", tiny_config]
    arguments += ["--source-lang", "fr", "--executor", "ray", "--workers", "2"]
    first = invoke(*arguments)
    assert first.exit_code == 0, first.output
    assert "3 written, 0 already up to date, 0 failed" in first.stderr
    written = output_files(tmp_path / "out")

    def no_ray(*args, **kwargs):
        raise AssertionError("Ray was used for a run with nothing to do")

    monkeypatch.setattr(ray_executor, "_ray_session", no_ray)
    second = invoke(*arguments)
    assert second.exit_code == 0, second.output
    assert "0 written, 3 already up to date, 0 failed" in second.stderr
    assert output_files(tmp_path / "out") == written


def test_without_ray_installed_the_ray_executor_is_one_line_and_exit_2(
    tmp_path, tiny_config, monkeypatch
):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    result = invoke("translate", corpus, "-o", tmp_path / "out", "--executor", "ray")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: the Ray executor needs Ray, which is not installed; "
        "install the ray extra: pip install '.[ray]' in the summarizer clone "
        "(or pip install 'ray[data]>=2.60,<2.64')"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--workers", "2"], "--workers needs --executor ray"),
        (["--ray-address", "auto"], "--ray-address needs --executor ray"),
        (["--executor", "ray", "--workers", "0"], "0 is not in the range x>=1"),
    ],
)
def test_ray_options_are_checked_before_any_work(tmp_path, arguments, message):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    result = invoke("translate", corpus, "-o", tmp_path / "out", *arguments)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_ray_executor_needs_an_output_folder(tmp_path):
    article = tmp_path / "a.txt"
    write_corpus(tmp_path / "corpus", 1)
    article.write_text("Un texte.", encoding="utf-8")
    result = invoke("translate", article, "--executor", "ray")
    assert result.exit_code == 2
    assert "--executor ray needs an output folder" in result.stderr


def journal_rows(outdir: Path) -> int:
    try:
        return len((outdir / jobs.JOURNAL).read_text(encoding="utf-8").splitlines())
    except OSError:
        return 0


def worker_pids() -> list[int]:
    """The processes of the executor's Ray actors, found by the title Ray gives them."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"SummarizerWorker" in command:
            pids.append(int(entry.name))
    return pids


@pytest.mark.stress
def test_a_killed_worker_is_replaced_and_every_document_written_once(
    tmp_path, tiny_config, ray_address, monkeypatch
):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 24)
    out = tmp_path / "out"
    writes: dict[str, int] = {}
    write = files.write_atomically

    def counted(path, content, **kwargs):
        if Path(path).name != jobs.MANIFEST:
            writes[str(path)] = writes.get(str(path), 0) + 1
        return write(path, content, **kwargs)

    monkeypatch.setattr(files, "write_atomically", counted)
    killed: list[int] = []

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and journal_rows(out) < 2:
            time.sleep(0.05)
        pids = worker_pids()
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    settings = RaySettings(workers=2, documents_per_batch=2)
    progress = folder_run(tiny_config, corpus, out, executor=settings, summarize=False)
    killer.join()

    assert killed, "no worker process was found to kill"
    assert progress.counts == {"written": 24, "up_to_date": 0, "failed": 0}
    rows = manifest_rows(out)
    assert len({row["input"] for row in rows}) == 24
    assert sorted(writes.values()) == [1] * 24
    folder_run(tiny_config, corpus, tmp_path / "local", summarize=False)
    assert output_files(out) == output_files(tmp_path / "local")


@pytest.mark.stress
def test_a_run_resumes_after_its_driver_is_killed(tmp_path, tiny_config, ray_address):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 24)
    out = tmp_path / "out"
    command = summarizer_command(
        "translate", corpus, "-o", out, "--config", tiny_config, "--source-lang", "fr",
        "--cache-dir", tmp_path / "driver-cache", "--executor", "ray",
        "--ray-address", ray_address, "--workers", "2", "-q",
    )  # fmt: skip
    driver = subprocess.Popen(command, cwd=tmp_path, env=child_env())
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and journal_rows(out) < 2 and driver.poll() is None:
        time.sleep(0.02)
    assert driver.poll() is None, "the run ended before it could be killed"
    driver.kill()
    driver.wait()
    finished = journal_rows(out)
    assert 2 <= finished < 24

    settings = RaySettings(workers=2, documents_per_batch=2)
    progress = folder_run(tiny_config, corpus, out, executor=settings, summarize=False,
                          output_format="text")  # fmt: skip
    assert progress.counts["up_to_date"] >= finished
    assert progress.counts["written"] + progress.counts["up_to_date"] == 24
    assert progress.counts["failed"] == 0
    folder_run(tiny_config, corpus, tmp_path / "local", summarize=False, output_format="text")
    assert output_files(out) == output_files(tmp_path / "local")
    assert len(manifest_rows(out)) == 24


@pytest.mark.slow
def test_a_two_node_cluster_runs_the_same_job(tmp_path, tiny_config):
    """Two Ray nodes on this machine (ray.cluster_utils.Cluster, one CPU each), built by a
    child process since this one is connected to the session's instance."""
    corpus = corpus_with_bad_files(tmp_path / "corpus", 8)
    folder_run(tiny_config, corpus, tmp_path / "local")
    nodes = tmp_path / "nodes"
    result = subprocess.run(
        [sys.executable, "-m", "tests.ray_cluster_driver", str(tiny_config), str(corpus),
         str(tmp_path / "cluster"), str(nodes)],
        cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert output_files(tmp_path / "cluster") == output_files(tmp_path / "local")
    assert manifest_rows(tmp_path / "cluster") == manifest_rows(tmp_path / "local")
    # Both nodes' workers processed documents.
    assert len({path.read_text() for path in nodes.iterdir()}) == 2


@pytest.mark.slow
def test_an_error_that_stops_a_local_run_stops_a_ray_run_in_one_line(
    tmp_path, tiny_config, ray_address, monkeypatch
):
    class BrokenWorker(ray_executor.Worker):
        """A worker whose batches fail as a bug would (defined here: Ray ships it by value)."""

        def __init__(self):
            super().__init__()

            def run_batch(*args, **kwargs):
                raise RuntimeError("a bug in a worker")

            self.summarizer.run_batch = run_batch

    monkeypatch.setattr(ray_executor, "Worker", BrokenWorker)
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    with pytest.raises(SummarizerError) as raised:
        folder_run(tiny_config, corpus, tmp_path / "out", executor=RaySettings(workers=1))
    assert str(raised.value) == "unexpected RuntimeError in a Ray worker: a bug in a worker"
    # The run stopped before writing any output, and says so in its manifest.
    assert output_files(tmp_path / "out") == {}
