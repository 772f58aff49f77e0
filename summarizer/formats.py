"""Placeholder until the PDF and DOCX readers land (branch formats)."""


def sniff(raw: bytes, name: str) -> str | None:
    return None
