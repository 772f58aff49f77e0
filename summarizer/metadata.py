"""What is known about an article besides its text: title, author, date, site, address,
declared language. Each reader fills in what its format carries (a web page's tags through
trafilatura, a PDF's info dictionary, a Word file's core properties, the HTTP response);
anything unknown stays None."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields, replace
from typing import Any

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Metadata:
    # The article's own title, as the source gives it (not translated).
    title: str | None = None
    author: str | None = None
    # ISO 8601: "2024-05-01", or with a time "2024-05-01T09:30:00+02:00".
    date: str | None = None
    # The publication or site name ("Le Monde"), else the host name of a fetched page.
    site: str | None = None
    # The address a fetched article was read from, after redirects.
    url: str | None = None
    # The language the document declares (an ISO 639-1 code), not the detected one.
    language: str | None = None

    def merged(self, other: Metadata) -> Metadata:
        """These values, with `other`'s filling those that are unknown here."""
        missing = {
            item.name: getattr(other, item.name)
            for item in fields(self)
            if getattr(self, item.name) is None
        }
        return replace(self, **missing)


def clean(value: Any) -> str | None:
    """A metadata string with its whitespace collapsed; None for nothing or only spaces."""
    if value is None:
        return None
    text = _SPACE.sub(" ", str(value)).strip()
    return text or None


def iso_date(value: Any) -> str | None:
    """A date or datetime as ISO 8601 (a date alone when the time is exactly midnight with
    no zone, as document properties often store a day); a string already in ISO form is
    kept; anything else is unknown."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = clean(value)
    if text is None:
        return None
    try:
        return iso_date(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None
