"""The Ray executor: a folder run's documents processed by a pool of Ray actors.

The driver (this process) plans the run as the local executor does and skips the documents
whose output is current without touching Ray; the others become a Ray Dataset, and
`map_batches` hands batches of them to a pool of actors (`Worker`), each holding one
Summarizer (its models loaded once, `threads_per_worker` threads each) and its own node's
cache. Workers read their documents and return each one's Result or error; only the driver
renders, writes outputs atomically and journals the manifest, as results stream back, so a
killed driver loses nothing that finished, and a killed worker's documents are retried by
Ray on a new one. Every node must reach the inputs by the same names (a shared mount on a
cluster); the outputs are only the driver's.

Ray is an optional extra, imported only here and only when a run asks for it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import pickle
import shutil
import signal
import socket
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from summarizer.documents import read_document
from summarizer.engines.files import first_line
from summarizer.errors import ConfigError, SummarizerError
from summarizer.jobs.manifest import content_fingerprint

if TYPE_CHECKING:
    from summarizer.jobs.local import _Runner
    from summarizer.jobs.paths import Job

INSTALL_HINT = (
    "install the ray extra: pip install '.[ray]' in the summarizer clone "
    "(or pip install 'ray[data]>=2.60,<2.64')"
)
# At most this many documents per call of a worker: their sentences and chunks share
# model batches.
DOCUMENTS_PER_BATCH = 16
# Batches each worker should get at least, where there are documents enough.
BATCHES_PER_WORKER = 4
# How often a batch is tried again on a new worker after its worker died: a document that
# kills its worker every time is then reported as failed, not retried forever.
BATCH_RETRIES = 3
# Set before Ray is imported, it makes a local instance listen on the loopback interface
# only (Ray's default on macOS and Windows): a one-machine run opens no port to the network.
_LOOPBACK_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


@dataclass(frozen=True)
class RaySettings:
    """Where and how wide a run goes on Ray."""

    # None: a local Ray instance started for this run and stopped after it; "auto" or a
    # "HOST:PORT" address: an existing cluster, joined (the driver runs on one of its nodes).
    address: str | None = None
    # Actors in the pool; None: as many as the cluster's CPUs allow `threads_per_worker`.
    workers: int | None = None
    # Threads each worker's models use, and the CPUs Ray reserves for each worker.
    threads_per_worker: int = 1
    documents_per_batch: int = DOCUMENTS_PER_BATCH

    def __post_init__(self) -> None:
        for name in ("workers", "threads_per_worker", "documents_per_batch"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"the Ray executor's {name} must be a whole number >= 1")


class Worker:
    """One Ray actor: a Summarizer whose models stay loaded between batches.

    The run's details are class attributes of a subclass made per run (`_worker_class`),
    so that Ray ships them with the class."""

    summarizer_arguments: dict[str, Any]
    options: Any
    run_fingerprint: str

    def __init__(self) -> None:
        from summarizer.pipeline import Summarizer

        self.warnings: list[str] = []
        self.summarizer = Summarizer(
            **self.summarizer_arguments, on_warning=lambda w: self.warnings.append(str(w))
        )

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        """Each job's outcome (a pickled Result or SummarizerError) and fingerprint. What
        stops a local run (a model that cannot load, a bug) is `fatal`: the driver raises
        it; its traceback stays in Ray's log of this worker."""
        count = len(batch["index"])
        fatal, fingerprints = False, [None] * count
        try:
            outcomes, fingerprints = self._run(batch)
        except Exception as exc:
            logging.getLogger(__name__).exception("a batch failed")
            if not isinstance(exc, SummarizerError):
                exc = SummarizerError(f"unexpected {type(exc).__name__} in a Ray worker: {exc}")
            outcomes, fatal = [exc] * count, True
        said, self.warnings = self.warnings, []
        return {
            "index": list(batch["index"]),
            "outcome": [pickle.dumps(outcome) for outcome in outcomes],
            "fingerprint": fingerprints,
            "warnings": [list(said)] + [[] for _ in range(count - 1)],
            "fatal": [fatal] * count,
        }

    def _run(self, batch: dict[str, Any]) -> tuple[list[Any], list[str | None]]:
        """Read each job's document (a failure is that job's outcome), then run them all."""
        from summarizer.jobs.local import read_input
        from summarizer.pipeline import Article

        config, options = self.summarizer.config, self.options
        articles, fingerprints, failures = [], [], {}
        for number, (name, source) in enumerate(zip(batch["name"], batch["source"], strict=True)):
            try:
                # A path's name may not be UTF-8: it travels pickled (a Path, or a URL).
                document = read_input(read_document, pickle.loads(source), config, options)
            except SummarizerError as exc:
                failures[number] = exc
                fingerprints.append(None)
                continue
            articles.append(Article(str(name), document))
            fingerprints.append(content_fingerprint(document, self.run_fingerprint))
        results = iter(self.summarizer.run_batch(articles, options))
        return [failures.get(n) or next(results) for n in range(len(fingerprints))], fingerprints


def run_on_ray(runner: _Runner, settings: RaySettings) -> None:
    """Run the plan's jobs that are not current on Ray; deliver and record each result as
    it arrives. Jobs whose worker died on every try are recorded as failed."""
    if runner.plan.outdir is None or runner.manifest is None:
        raise ConfigError(
            "the Ray executor writes into an output folder", hint="name an output folder"
        )
    pending = {n: job for n, job in enumerate(runner.plan.jobs) if not runner.settled(job)}
    if not pending:
        return
    with _ray_session(settings, runner.progress.message) as ray:
        # The documents of a batch whose worker died on every try go again one by one, so
        # that only the one that kills its worker fails.
        for per_batch in dict.fromkeys([settings.documents_per_batch, 1]):
            if not pending:
                break
            for index, outcome, fingerprint in _results(ray, runner, pending, settings, per_batch):
                job = pending.pop(index, None)
                if job is None:  # a retried batch that had in fact completed: written
                    continue
                if not isinstance(outcome, SummarizerError):
                    runner.progress.add_segments(outcome.stats["translation"]["segments"])
                runner.finish(job, outcome, fingerprint)
    died = SummarizerError(
        f"its Ray worker died on each of {BATCH_RETRIES + 1} tries, the last ones with this "
        "document alone (out of memory, or a crash)",
        hint="look for it in Ray's logs, or run it with the local executor",
    )
    for job in pending.values():
        runner.finish(job, died, None)


def _results(
    ray: Any, runner: _Runner, pending: dict[int, Job], settings: RaySettings, per_batch: int
) -> Iterator[tuple[int, Any, str | None]]:
    """(job index, Result or SummarizerError, fingerprint), in the order they finish;
    `per_batch` documents go to a worker at a time."""
    from summarizer.jobs.local import article_name

    items = [
        {"index": n, "name": article_name(job), "source": pickle.dumps(job.source)}
        for n, job in pending.items()
    ]
    workers = _worker_count(ray, settings, len(items))
    # Batches small enough that each worker gets several: none idles while another ends a
    # long last batch (16 documents, 2 workers: batches of 2, not one batch for one worker).
    per_batch = min(per_batch, math.ceil(len(items) / (workers * BATCHES_PER_WORKER)))
    worker = _worker_class(runner, settings)
    dataset = ray.data.from_items(items, override_num_blocks=math.ceil(len(items) / per_batch))
    with warnings.catch_warnings():
        # max_task_retries has no named parameter yet (pyproject pins Ray below 2.64).
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset = dataset.map_batches(
            worker,
            batch_size=per_batch,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=settings.threads_per_worker,
            max_restarts=-1,
            max_task_retries=BATCH_RETRIES,
        )
    for row in _rows(dataset):
        for line in row["warnings"] or []:
            runner.progress.message(f"Warning: {line}")
        outcome = pickle.loads(row["outcome"])
        if row["fatal"]:
            raise outcome
        yield int(row["index"]), outcome, row["fingerprint"]


def _rows(dataset: Any) -> Iterator[dict[str, Any]]:
    """The dataset's rows as they come; Ray's own failure (its cluster gone, a worker that
    cannot start) as one SummarizerError line rather than Ray's traceback."""
    rows = iter(dataset.iter_rows())
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            said = lines[-1] if lines else type(exc).__name__
            raise SummarizerError(f"the Ray job stopped: {said}") from exc
        yield row


def _worker_class(runner: _Runner, settings: RaySettings) -> type[Worker]:
    """Worker with this run's Summarizer arguments, options and run fingerprint."""
    arguments = runner.summarizer.replica_arguments(threads=settings.threads_per_worker)
    details = {
        "summarizer_arguments": arguments,
        "options": runner.options,
        "run_fingerprint": runner.run_fingerprint,
    }
    return type("SummarizerWorker", (Worker,), details)


def _worker_count(ray: Any, settings: RaySettings, batches: int) -> int:
    """The pool's size: as asked, else the cluster's CPUs over each worker's threads; never
    more workers than there are batches. A worker needs all its CPUs on one node: more
    threads than the largest node has would wait for a place forever, so it is refused."""
    largest = max(
        (node["Resources"].get("CPU", 0) for node in ray.nodes() if node.get("Alive")),
        default=0,
    )
    if settings.threads_per_worker > largest:
        raise ConfigError(
            f"a worker of {settings.threads_per_worker} threads needs as many CPUs on one "
            f"node, and the largest node of the Ray cluster has {largest:g}",
            hint="give fewer threads per worker",
        )
    if settings.workers is not None:
        workers = settings.workers
    else:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        workers = max(1, cpus // settings.threads_per_worker)
    return max(1, min(workers, batches))


@contextlib.contextmanager
def _ray_session(settings: RaySettings, say: Callable[[str], None]) -> Iterator[Any]:
    """Ray, connected: to the instance this process already has, to the cluster at
    `settings.address`, or to a local instance started here and stopped on the way out.
    Ray's own messages (a worker died, a task is retried) become one-line warnings."""
    ray = import_ray(settings)
    started, temporary = False, None
    if not ray.is_initialized():
        temporary = _start(ray, settings)
        started = True
    unquiet = _quiet(ray)
    restore = _route_ray_messages(say)
    try:
        yield ray
    finally:
        restore()
        unquiet()
        if started:
            ray.shutdown()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _start(ray: Any, settings: RaySettings) -> str | None:
    """Start or join Ray; returns the folder of a local instance's sockets and logs (in a
    temporary folder of its own, removed after the run), None for a cluster."""
    options: dict[str, Any] = {
        "include_dashboard": False,
        "logging_level": logging.ERROR,
        "log_to_driver": False,
    }
    temporary = None
    if settings.address is None:
        temporary = tempfile.mkdtemp(prefix="summarizer-ray-")
        options.update(address="local", num_cpus=os.cpu_count(), _temp_dir=temporary)
    else:
        _check_reachable(settings.address)
        options["address"] = settings.address
    previous = signal.getsignal(signal.SIGTERM)
    try:
        ray.init(**options)
    except Exception as exc:  # whatever Ray raises: one line, not its traceback
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
        where = settings.address or "a local instance"
        raise SummarizerError(f"cannot start Ray on {where}: {first_line(exc)}") from exc
    finally:
        # Ray installs a SIGTERM handler that exits with status 15; the run's own handler
        # stops it like Ctrl-C, keeping what finished.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
    return temporary


def _check_reachable(address: str) -> None:
    """A HOST:PORT that answers nothing is said at once (Ray would retry for many minutes);
    "auto" and Ray Client's ray:// addresses are left to Ray."""
    host, _, port = address.rpartition(":")
    if address == "auto" or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=10).close()
    except OSError as exc:
        raise SummarizerError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}",
            hint="give the address that ray start printed on the head node, or auto on a node",
        ) from exc


def import_ray(settings: RaySettings) -> Any:
    """The ray module with Ray Data, or a ConfigError saying what to install."""
    if settings.address is None:
        os.environ.setdefault(_LOOPBACK_ONLY, "0")
    try:
        import ray
        import ray.data
    except ImportError as exc:
        problem = "the Ray executor needs Ray, which is not installed"
        raise ConfigError(problem, hint=INSTALL_HINT) from exc
    return ray


def _quiet(ray: Any) -> Callable[[], None]:
    """No progress bars, execution banners or log lines from Ray Data: the run has its own
    progress, and says failures itself. Returns what puts the caller's settings back."""
    context = ray.data.DataContext.get_current()
    settings = {
        "enable_progress_bars": False,
        "print_on_execution_start": False,
        # A batch whose worker died on every try is the driver's to report: the run goes on.
        "max_errored_blocks": -1,
    }
    saved = {name: getattr(context, name) for name in settings}
    for name, value in settings.items():
        setattr(context, name, value)
    loggers = [logging.getLogger(name) for name in ("ray", "ray.data")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)

    def unquiet() -> None:
        for name, value in saved.items():
            setattr(context, name, value)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)

    return unquiet


def _route_ray_messages(say: Callable[[str], None]) -> Callable[[], None]:
    """Ray prints its components' messages (a worker died, a task is retried) on stdout;
    send their first sentence to `say` instead. Returns what undoes it."""
    try:
        import ray._private.worker as ray_worker
    except ImportError:
        return lambda: None
    original = getattr(ray_worker, "print_to_stdstream", None)
    if original is None:
        return lambda: None

    def print_to_stdstream(data: dict[str, Any], ignore_prefix: bool = False) -> None:
        for line in data.get("lines") or []:
            say(f"Ray: {str(line).split('. ')[0].strip()}")

    ray_worker.print_to_stdstream = print_to_stdstream

    def restore() -> None:
        ray_worker.print_to_stdstream = original

    return restore
