"""Progress of a long run on stderr: a bar on a terminal, an occasional line elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO

# Without a terminal (a log file, CI), one line at most this often.
PLAIN_INTERVAL_SECONDS = 15.0


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Documents done out of total, segments per second and time left."""

    def __init__(
        self,
        total: int,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        unit: str = "documents",
    ) -> None:
        self.total = total
        # What is counted: "documents", or an evaluation's "lines" and "articles".
        self.unit = unit
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        self.started = time.monotonic()
        self.counts = {"written": 0, "up_to_date": 0, "failed": 0}
        # Documents whose checks left something doubtful; None: the checks are off.
        self.flagged: int | None = 0
        self.segments = 0
        self._last_plain = self.started
        self._bar_shown = False

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def add_segments(self, count: int) -> None:
        self.segments += count
        self._show()

    def document(self, status: str, *, flagged: int = 0) -> None:
        """One document done; `flagged`: the items its checks left doubtful."""
        self.counts[status] += 1
        if flagged and self.flagged is not None:
            self.flagged += 1
        self._show()

    def message(self, text: str) -> None:
        """A line that must be seen (a failure), printed above the bar."""
        self._clear_bar()
        print(text, file=self.stream, flush=True)
        self._show()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.segments / elapsed if elapsed > 0 else 0.0
        text = f"{self.done}/{self.total} {self.unit}, {rate:.1f} segments/s"
        worked = self.done - self.counts["up_to_date"]
        remaining = self.total - self.done
        if worked and remaining:
            text += f", ETA {format_duration(elapsed / worked * remaining)}"
        return text

    def _show(self) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.terminal:
            width = 24
            filled = width * self.done // max(1, self.total)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {self.line()}\033[K")
            self.stream.flush()
            self._bar_shown = True
        elif now - self._last_plain >= PLAIN_INTERVAL_SECONDS:
            print(self.line(), file=self.stream, flush=True)
            self._last_plain = now

    def _clear_bar(self) -> None:
        if self._bar_shown:
            self.stream.write("\r\033[K")
            self._bar_shown = False

    def finish(self) -> str:
        """The closing line: what was written, skipped and failed, and how long it took."""
        self._clear_bar()
        elapsed = format_duration(time.monotonic() - self.started)
        flags = "" if self.flagged is None else f", {self.flagged} with flags to review"
        return (
            f"{self.counts['written']} written, {self.counts['up_to_date']} already up to date, "
            f"{self.counts['failed']} failed{flags} in {elapsed}"
        )
