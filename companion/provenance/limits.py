"""Caps that keep reading untrusted metadata cheap: bytes read, sizes accepted, entries walked, time spent."""
from __future__ import annotations

MiB = 1024 * 1024

SCAN_BUDGET_BYTES = 8 * MiB
"""Most bytes the metadata parsers read from one file (image data is skipped, not read)."""

XMP_MAX_BYTES = 2 * MiB
"""Largest XMP packet parsed; a larger one (or a larger claimed length) is metadata_too_large."""

TEXT_CHUNK_MAX_BYTES = 2 * MiB
"""Largest PNG text chunk read (ComfyUI workflows are large, but not this large)."""

EXIF_MAX_BYTES = 1 * MiB
"""Largest EXIF (TIFF) block parsed."""

MAX_CONTAINER_ENTRIES = 20_000
"""Most JPEG segments, PNG chunks or RIFF chunks walked in one file."""

MAX_TEXT_CHUNKS = 64
"""Most PNG text chunks (tEXt, zTXt, iTXt) decoded in one file."""

MAX_IFD_ENTRIES = 512
"""Most entries read from one EXIF directory."""

MAX_FACT_CHARS = 1000
"""Longest value reported in a fact; longer ones (prompts, workflows) are cut and end with an ellipsis."""

MAX_FACTS = 200
"""Most facts one result carries."""

C2PA_MAX_FILE_BYTES = 512 * MiB
"""Default for PROVENANCE_C2PA_MAX_BYTES: largest file handed to the C2PA reader (it hashes all of it)."""

C2PA_TIMEOUT_S = 15.0
"""Default for PROVENANCE_TIMEOUT_S: seconds the C2PA reader may take before its answer is given up on."""

C2PA_MAX_MANIFEST_MB = 16
"""Largest decompressed C2PA manifest store the reader accepts, in MB."""

TRUST_ANCHORS_MAX_BYTES = 4 * MiB
"""Largest trust-anchor PEM bundle loaded from PROVENANCE_TRUST_ANCHORS."""

MAX_STUCK_READS = 2
"""C2PA reads still running after their deadline; with this many, new reads are refused until they end."""
