"""Bounded reads from a file: every byte read counts against a budget, truncation is a typed issue."""
from __future__ import annotations

from typing import BinaryIO

from companion.provenance.findings import ProvenanceIssue


class BoundedFile:
    """Random access to a file that refuses to read more than `budget` bytes in all."""

    def __init__(self, handle: BinaryIO, size: int, budget: int):
        self.handle = handle
        self.size = size
        self.left = budget

    def read(self, offset: int, length: int, what: str) -> bytes:
        """Exactly `length` bytes at `offset`; metadata_unreadable past the end, metadata_too_large over budget."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ProvenanceIssue("metadata_unreadable",
                                  f"the file ends inside its {what} (truncated or corrupt metadata)")
        if length > self.left:
            raise ProvenanceIssue("metadata_too_large",
                                  f"reading the {what} would exceed the metadata read budget")
        self.left -= length
        self.handle.seek(offset)
        data = self.handle.read(length)
        if len(data) != length:
            raise ProvenanceIssue("metadata_unreadable", f"the file ends inside its {what}")
        return data

    def has(self, offset: int, length: int) -> bool:
        """Whether `length` bytes exist at `offset`."""
        return 0 <= offset and offset + length <= self.size


def check_length(length: int, limit: int, what: str) -> None:
    """metadata_too_large when a block claims more bytes than its limit."""
    if length > limit:
        raise ProvenanceIssue("metadata_too_large",
                              f"the {what} claims {length} bytes, more than the {limit} this reader accepts")
