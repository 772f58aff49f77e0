"""How many threads a model may use: the environment, models.toml, else the physical cores."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from summarizer.errors import ConfigError

THREADS_ENV = "SUMMARIZER_THREADS"


# More threads than this only slow a model down (they wait for each other), and far more
# crash the process: SUMMARIZER_THREADS=100000 ended in a segmentation fault.
THREADS_PER_CPU_LIMIT = 4


def thread_count(
    configured: int | None = None, on_warning: Callable[[str], None] | None = None
) -> int:
    """Threads a model may use: $SUMMARIZER_THREADS, else [pipeline] threads, else
    $OMP_NUM_THREADS, else the number of physical cores; at most 4 per CPU (a larger value
    is lowered, and `on_warning` told so).

    Physical, not logical: matrix products gain nothing from hyper-threads, and on a busy
    machine extra threads spin-wait for each other and make every step far slower."""
    value = os.environ.get(THREADS_ENV)
    if value:
        # isdigit() alone accepts "²" and other digits int() refuses.
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise ConfigError(f"{THREADS_ENV} must be a whole number of at least 1, not {value!r}")
        wanted, origin = int(value), THREADS_ENV
    elif configured is not None:
        wanted, origin = configured, "[pipeline] threads"
    else:
        omp = os.environ.get("OMP_NUM_THREADS", "")
        if omp.isascii() and omp.isdigit() and int(omp) >= 1:
            wanted, origin = int(omp), "OMP_NUM_THREADS"
        else:
            return physical_cores()
    limit = THREADS_PER_CPU_LIMIT * (os.cpu_count() or 1)
    if wanted > limit:
        if on_warning is not None:
            on_warning(
                f"{origin} = {wanted} is more than {THREADS_PER_CPU_LIMIT} threads per CPU; "
                f"using {limit}"
            )
        return limit
    return wanted


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
