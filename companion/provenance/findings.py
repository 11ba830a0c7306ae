"""What the readers collect: facts (what the file states) and typed errors (what could not be read)."""
from __future__ import annotations

from dataclasses import dataclass, field

from companion.provenance.limits import MAX_FACT_CHARS, MAX_FACTS

KINDS = ("c2pa", "iptc", "xmp", "exif", "png_text")
SIGNALS = ("ai", "edit")


class ProvenanceIssue(Exception):
    """Metadata that cannot be read safely: a stable `code` and a readable message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def clip(value: object) -> str:
    """A fact value as text, cut to MAX_FACT_CHARS, control characters removed."""
    text = "".join(ch for ch in str(value) if ch.isprintable() or ch in "\n\t").strip()
    return text if len(text) <= MAX_FACT_CHARS else text[:MAX_FACT_CHARS - 1] + "\u2026"


@dataclass
class Findings:
    """Facts and errors gathered from one file, in the order they were found."""

    facts: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def fact(self, kind: str, name: str, value: object, source: str, signals: tuple[str, ...] = ()) -> None:
        """Record one statement the file makes (`signals`: what it declares, "ai" and/or "edit"); no duplicates."""
        if kind not in KINDS or not set(signals) <= set(SIGNALS):
            raise ValueError(f"bad fact kind {kind!r} or signals {signals!r}")
        text = clip(value)
        if not text or len(self.facts) >= MAX_FACTS:
            return
        entry = {"kind": kind, "field": name, "value": text, "source": source, "signals": sorted(set(signals))}
        if entry not in self.facts:
            self.facts.append(entry)

    def error(self, code: str, message: str) -> None:
        """Record a typed error once."""
        entry = {"code": code, "message": message}
        if entry not in self.errors:
            self.errors.append(entry)

    def issue(self, issue: ProvenanceIssue) -> None:
        """Record a ProvenanceIssue as an error."""
        self.error(issue.code, issue.message)
