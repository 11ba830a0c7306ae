"""Provenance: what a media file states about its origin, reported beside the detectors' estimate.

Reads C2PA Content Credentials (signed manifests, through the official c2pa SDK, offline), IPTC digital
source types and tool names from XMP, EXIF software tags and PNG text chunks (generator parameters).
Everything is untrusted input: sizes, entries, bytes read and time are capped, and what cannot be read
becomes a typed entry in `errors`, never an exception.
"""
from companion.provenance.report import frames_provenance, media_provenance, read_provenance

__all__ = ["frames_provenance", "media_provenance", "read_provenance"]
