"""XMP packets: IPTC digital source type and AI fields, creator tool, software, C2PA references.

Parsed with defusedxml with DTDs forbidden: XMP never needs one, and refusing them outright stops entity
expansion ("billion laughs") and external entities whatever the local expat version would allow.
"""
from __future__ import annotations

from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as SafeElementTree

from companion.provenance.findings import Findings, ProvenanceIssue
from companion.provenance.limits import XMP_MAX_BYTES
from companion.provenance.scan import check_length
from companion.provenance.signals import free_text_signals, source_type_signals, tool_signals

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NAMESPACES = {
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
}


def _always_ai(value: str) -> tuple[str, ...]:
    """Fields that exist only to describe AI generation."""
    return ("ai",)


def _no_signal(value: str) -> tuple[str, ...]:
    """Fields reported for information only."""
    return ()


# (fact kind, prefixed name, how its value maps to signals)
FIELDS = (
    ("iptc", "Iptc4xmpExt:DigitalSourceType", source_type_signals),
    ("iptc", "Iptc4xmpExt:AISystemUsed", _always_ai),
    ("iptc", "Iptc4xmpExt:AISystemVersionUsed", _always_ai),
    ("iptc", "Iptc4xmpExt:AIPromptInformation", _always_ai),
    ("iptc", "Iptc4xmpExt:AIPromptWriterName", _always_ai),
    ("iptc", "photoshop:Credit", tool_signals),
    ("iptc", "photoshop:Source", tool_signals),
    ("xmp", "xmp:CreatorTool", tool_signals),
    ("xmp", "tiff:Software", tool_signals),
    ("xmp", "tiff:Make", tool_signals),
    ("xmp", "tiff:Model", tool_signals),
    ("xmp", "dc:description", free_text_signals),
    ("xmp", "stEvt:softwareAgent", tool_signals),
    ("xmp", "dcterms:provenance", _no_signal),
)


def _clark(prefixed: str) -> str:
    """"xmp:CreatorTool" -> "{http://ns.adobe.com/xap/1.0/}CreatorTool"."""
    prefix, name = prefixed.split(":", 1)
    return f"{{{NAMESPACES[prefix]}}}{name}"


WANTED = {_clark(name): (kind, name, signals) for kind, name, signals in FIELDS}


def parse_packet(packet: bytes):
    """The XMP packet's root element; xmp_malformed for bad XML or any DTD/entity declaration."""
    check_length(len(packet), XMP_MAX_BYTES, "XMP packet")
    start = packet.find(b"<")
    if start < 0:
        raise ProvenanceIssue("xmp_malformed", "the XMP packet holds no XML")
    try:
        return SafeElementTree.fromstring(packet[start:].rstrip(b"\x00 \t\r\n"), forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise ProvenanceIssue("xmp_malformed", "the XMP packet declares a DTD or entities; refused "
                               f"({type(exc).__name__})") from None
    except (ParseError, ValueError) as exc:
        raise ProvenanceIssue("xmp_malformed", f"the XMP packet is not well-formed XML ({exc})") from None


def _element_values(element) -> list[str]:
    """The values an RDF property element holds: rdf:resource, rdf:li items (Alt/Bag/Seq) or its text."""
    if f"{{{RDF}}}resource" in element.attrib:
        return [element.attrib[f"{{{RDF}}}resource"]]
    items = [li.text or "" for li in element.iter(f"{{{RDF}}}li")]
    if items:
        return items
    return [element.text or ""]


def property_values(root) -> list[tuple[str, str]]:
    """(clark name, value) of every wanted property, written as an attribute or as an element."""
    found = []
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in WANTED:
                found.append((name, value))
        if element.tag in WANTED:
            found.extend((element.tag, value) for value in _element_values(element))
    return [(name, value.strip()) for name, value in found if value and value.strip()]


def read_xmp(packet: bytes, findings: Findings, source: str) -> None:
    """Record the provenance fields of one XMP packet."""
    root = parse_packet(packet)
    for name, value in property_values(root):
        kind, prefixed, signals = WANTED[name]
        findings.fact(kind, prefixed, value, f"{source} {prefixed}", signals(value))
