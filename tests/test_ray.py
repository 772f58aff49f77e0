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
from summarizer.errors import ConfigError, SummarizerError
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
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    arguments = ["translate", corpus, "-o", tmp_path / "out", "--config", tiny_config]
    arguments += ["--source-lang", "fr", "--executor", "ray", "--workers", "2"]
    first = invoke(*arguments)
    assert first.exit_code == 1, first.output
    assert "3 written, 0 already up to date, 1 failed" in first.stderr
    written = output_files(tmp_path / "out")

    def no_ray(*args, **kwargs):
        raise AssertionError("Ray was used for a run with nothing to do")

    monkeypatch.setattr(ray_executor, "_ray_session", no_ray)
    # The file that failed is read again here, and fails again, without Ray.
    second = invoke(*arguments)
    assert second.exit_code == 1, second.output
    assert "0 written, 3 already up to date, 1 failed" in second.stderr
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


@pytest.mark.slow
def test_more_threads_per_worker_than_a_node_has_is_refused(tmp_path, tiny_config, ray_address):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    with pytest.raises(ConfigError) as raised:
        folder_run(
            tiny_config, corpus, tmp_path / "out", executor=RaySettings(threads_per_worker=3)
        )
    assert str(raised.value).startswith(
        "a worker of 3 threads needs as many CPUs on one node, and the largest node of the "
        "Ray cluster has 2; give fewer threads per worker"
    )


def test_an_address_where_no_cluster_answers_is_one_line_at_once(tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 1)
    started = time.monotonic()
    result = subprocess.run(
        summarizer_command("translate", corpus, "-o", tmp_path / "out", "--executor", "ray",
                           "--ray-address", "127.0.0.1:1"),
        cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("Error: cannot reach the Ray cluster at 127.0.0.1:1: Connection refused")
    )
    assert time.monotonic() - started < 60


def test_what_cannot_travel_to_a_worker_is_refused(tmp_path, tiny_config):
    from summarizer import documents

    corpus = tmp_path / "corpus"
    write_corpus(corpus, 1)
    summarizer = Summarizer(tiny_config, model_loader=lambda spec, progress: None)
    with pytest.raises(ValueError, match="own model_loader or detector"):
        summarizer.replica_arguments()

    def reader(*args, **kwargs):
        return documents.read_document(*args, **kwargs)

    with pytest.raises(ValueError, match="workers read with read_document"):
        jobs.run(
            Summarizer(tiny_config), [corpus], tmp_path / "out", RunOptions(), "text",
            progress=Progress(0, enabled=False), emit=print, read=reader,
            executor=RaySettings(), batch=True,
        )  # fmt: skip


@pytest.mark.stress
def test_sigterm_stops_a_ray_run_like_ctrl_c_and_keeps_what_finished(
    tmp_path, tiny_config, ray_address
):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 24)
    out = tmp_path / "out"
    command = summarizer_command(
        "translate", corpus, "-o", out, "--config", tiny_config, "--source-lang", "fr",
        "--executor", "ray", "--ray-address", ray_address, "--workers", "2",
    )  # fmt: skip
    driver = subprocess.Popen(
        command, cwd=tmp_path, env=child_env(), stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and journal_rows(out) < 2 and driver.poll() is None:
        time.sleep(0.02)
    driver.send_signal(signal.SIGTERM)
    _, stderr = driver.communicate(timeout=120)
    assert driver.returncode == 130, stderr[-2000:]
    assert "Interrupted" in stderr and "Traceback" not in stderr
    assert "SIGTERM received" not in stderr  # Ray's own handler dumps its stack
    rows = manifest_rows(out)
    assert rows and all(row["status"] == "written" for row in rows)


@pytest.mark.stress
def test_a_document_that_kills_its_worker_every_time_fails_alone(
    tmp_path, tiny_config, ray_address, monkeypatch
):
    class PoisonedWorker(ray_executor.Worker):
        """Dies, as on a crash or the kernel's OOM killer, on a batch holding the poison."""

        def _run(self, batch):
            if any("poison" in str(name) for name in batch["name"]):
                os._exit(1)
            return super()._run(batch)

    monkeypatch.setattr(ray_executor, "Worker", PoisonedWorker)
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 5)
    (corpus / "poison.txt").write_text("Le maire a parlé mardi.", encoding="utf-8")
    settings = RaySettings(workers=2, documents_per_batch=3)
    progress = folder_run(tiny_config, corpus, tmp_path / "out", executor=settings,
                          summarize=False)  # fmt: skip
    assert progress.counts == {"written": 5, "up_to_date": 0, "failed": 1}
    failed = [row for row in manifest_rows(tmp_path / "out") if row["status"] == "failed"]
    assert [Path(row["input"]).name for row in failed] == ["poison.txt"]
    assert failed[0]["error"].startswith("its Ray worker died on each of 4 tries")
    assert any(line.startswith("Ray: A worker died") for line in progress.lines)
