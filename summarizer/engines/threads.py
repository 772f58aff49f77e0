"""How many threads a model may use: the environment, models.toml, else the physical cores."""

from __future__ import annotations

import os
from pathlib import Path

from summarizer.errors import ConfigError

THREADS_ENV = "SUMMARIZER_THREADS"


def thread_count(configured: int | None = None) -> int:
    """Threads a model may use: $SUMMARIZER_THREADS, else [pipeline] threads, else
    $OMP_NUM_THREADS, else the number of physical cores.

    Physical, not logical: matrix products gain nothing from hyper-threads, and on a busy
    machine extra threads spin-wait for each other and make every step far slower."""
    value = os.environ.get(THREADS_ENV)
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ConfigError(f"{THREADS_ENV} must be a whole number of at least 1, not {value!r}")
        return int(value)
    if configured is not None:
        return configured
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) >= 1:
        return int(omp)
    return physical_cores()


def physical_cores() -> int:
    """Physical cores this process may run on (Linux: from sysfs; elsewhere: all CPUs)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
    cores = set()
    for cpu in cpus:
        siblings = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list")
        try:
            cores.add(siblings.read_text(encoding="ascii").strip())
        except OSError:
            cores.add(str(cpu))
    return max(1, len(cores))
