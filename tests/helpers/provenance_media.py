"""Provenance fixtures the tests make themselves: a throw-away C2PA PKI, signed media, hand-built metadata."""
from __future__ import annotations

import datetime
import io
import struct
import zlib
from dataclasses import dataclass

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

IPTC_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
SIGNER_NAME = "Unmask Test Signer"
SIGNER_ORG = "Unmask Tests"


# ---------------------------------------------------------------- a certificate authority and a C2PA signer


@dataclass(frozen=True)
class TestPki:
    """A root CA and an ES256 end-entity certificate it issued, as PEM."""

    ca_pem: bytes
    chain_pem: bytes  # end-entity certificate, then the CA
    key_pem: bytes


def _name(common_name: str) -> x509.Name:
    """A subject/issuer name."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, SIGNER_ORG)])


def _key_usage(sign_certs: bool) -> x509.KeyUsage:
    """keyCertSign+cRLSign for a CA, digitalSignature only for a C2PA signer."""
    return x509.KeyUsage(digital_signature=not sign_certs, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=sign_certs,
                         crl_sign=sign_certs, encipher_only=False, decipher_only=False)


def _certificate(subject: str, issuer: x509.Name, public_key, signing_key, is_ca: bool) -> x509.Certificate:
    """A v3 certificate valid from yesterday for 30 days, with the extensions the C2PA profile asks for."""
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               .add_extension(_key_usage(is_ca), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    if not is_ca:
        # C2PA signers need an EKU such as id-kp-emailProtection (or documentSigning), never anyExtendedKeyUsage.
        builder = (builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                                  critical=False))
    return builder.sign(signing_key, hashes.SHA256())


def make_pki(ca_name: str = "Unmask Test Root") -> TestPki:
    """A fresh root CA (P-256) and a C2PA signing certificate (ES256, P-256) it issued."""
    ca_key, signer_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate(ca_name, _name(ca_name), ca_key.public_key(), ca_key, is_ca=True)
    signer = _certificate(SIGNER_NAME, ca.subject, signer_key.public_key(), ca_key, is_ca=False)
    pem = serialization.Encoding.PEM
    key_pem = signer_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return TestPki(ca.public_bytes(pem), signer.public_bytes(pem) + ca.public_bytes(pem), key_pem)


# ---------------------------------------------------------------- signing with c2pa.Builder


def actions_manifest(actions: list[dict], generator: str = "Unmask test generator") -> dict:
    """A manifest definition with one c2pa.actions assertion."""
    return {"claim_generator_info": [{"name": generator, "version": "1.0"}], "title": "image",
            "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}]}


def ai_created_manifest() -> dict:
    """c2pa.created by a generative AI tool (digitalSourceType trainedAlgorithmicMedia)."""
    return actions_manifest([{"action": "c2pa.created", "digitalSourceType": IPTC_TYPES + "trainedAlgorithmicMedia",
                              "softwareAgent": {"name": "Test Image Generator", "version": "2"}}])


def sign(pki: TestPki, data: bytes, mime: str, manifest: dict, parent: bytes | None = None,
         remote_url: str | None = None) -> bytes:
    """`data` with a C2PA manifest signed by the test signer (a parent JPEG as ingredient; or a remote manifest)."""
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    builder = c2pa.Builder(manifest, context)
    if parent is not None:
        builder.add_ingredient({"title": "parent.jpg", "relationship": "parentOf", "label": "parent"},
                               "image/jpeg", io.BytesIO(parent))
    if remote_url:
        builder.set_no_embed()
        builder.set_remote_url(remote_url)
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, pki.chain_pem, pki.key_pem, None))
    out = io.BytesIO()
    builder.sign(signer, mime, io.BytesIO(data), out)
    return out.getvalue()


def edited_manifest() -> dict:
    """Opened the parent ingredient, then edited it."""
    return actions_manifest([{"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}},
                             {"action": "c2pa.edited", "softwareAgent": {"name": "Test Photo Editor"}}],
                            generator="Test Photo Editor")


# ---------------------------------------------------------------- JPEG segments, XMP, EXIF


def jpeg_segments(jpeg: bytes) -> list[tuple[int, int, int]]:
    """(marker, offset, total length) of each segment before the scan data."""
    found, offset = [], 2
    while offset < len(jpeg) and jpeg[offset + 1] not in (0xDA, 0xD9):
        length = struct.unpack(">H", jpeg[offset + 2:offset + 4])[0]
        found.append((jpeg[offset + 1], offset, 2 + length))
        offset += 2 + length
    return found


def with_app1(jpeg: bytes, *payloads: bytes) -> bytes:
    """The JPEG with APP1 segments holding `payloads`, right after SOI."""
    segments = b"".join(b"\xff\xe1" + struct.pack(">H", len(p) + 2) + p for p in payloads)
    return jpeg[:2] + segments + jpeg[2:]


XMP_NAMESPACES = {
    "x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmp": "http://ns.adobe.com/xap/1.0/", "tiff": "http://ns.adobe.com/tiff/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/", "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def xmp_packet(attributes: str = "", body: str = "", doctype: str = "") -> bytes:
    """An XMP packet whose rdf:Description has `attributes` and child elements `body`."""
    declared = " ".join(f'xmlns:{p}="{uri}"' for p, uri in XMP_NAMESPACES.items() if p not in ("x", "rdf"))
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>' + doctype
            + f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{XMP_NAMESPACES["rdf"]}">'
            + f'<rdf:Description rdf:about="" {declared} {attributes}>{body}</rdf:Description>'
            + '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode("utf-8")


def xmp_app1(packet: bytes) -> bytes:
    """An APP1 payload holding an XMP packet."""
    return b"http://ns.adobe.com/xap/1.0/\x00" + packet


ENTITY_BOMB = ('<!DOCTYPE x:xmpmeta [<!ENTITY a "' + "a" * 50 + '">'
               + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + "]>")
"""Ten levels of entities, each ten copies of the one before: 10^9 x 50 characters if it were expanded."""


def _ifd(entries: list[tuple[int, int, int, bytes]], start: int, order: str, next_ifd: int = 0) -> bytes:
    """One TIFF directory at `start`: (tag, type, count, raw value) entries, long values stored after it."""
    data_at = start + 2 + 12 * len(entries) + 4
    table, data = b"", b""
    for tag, kind, count, raw in entries:
        if len(raw) <= 4:
            value = raw.ljust(4, b"\x00")
        else:
            value = struct.pack(order + "I", data_at + len(data))
            data += raw + (b"\x00" if len(raw) % 2 else b"")
        table += struct.pack(order + "HHI", tag, kind, count) + value
    return struct.pack(order + "H", len(entries)) + table + struct.pack(order + "I", next_ifd) + data


def tiff_block(text_tags: dict[int, str], user_comment: str | None = None, big_endian: bool = False) -> bytes:
    """A TIFF/EXIF block: ASCII tags in IFD0, optionally an Exif IFD with an ASCII UserComment."""
    order = ">" if big_endian else "<"
    header = (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(order + "I", 8)
    entries = [(tag, 2, len(text.encode()) + 1, text.encode() + b"\x00") for tag, text in sorted(text_tags.items())]
    if user_comment is None:
        return header + _ifd(entries, 8, order)
    size = len(_ifd(entries + [(0x8769, 4, 1, b"\x00" * 4)], 8, order))
    entries.append((0x8769, 4, 1, struct.pack(order + "I", 8 + size)))
    comment = b"ASCII\x00\x00\x00" + user_comment.encode()
    return header + _ifd(entries, 8, order) + _ifd([(0x9286, 7, len(comment), comment)], 8 + size, order)


def exif_app1(block: bytes) -> bytes:
    """An APP1 payload holding an EXIF block."""
    return b"Exif\x00\x00" + block


# ---------------------------------------------------------------- PNG chunks and WebP chunks


def png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    """A PNG chunk with its CRC."""
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", zlib.crc32(chunk_type + data))


def itxt(keyword: str, text: str, compressed: bool = False) -> bytes:
    """An iTXt chunk (UTF-8 text, optionally zlib-compressed)."""
    payload = zlib.compress(text.encode()) if compressed else text.encode()
    return png_chunk(b"iTXt", keyword.encode() + b"\x00" + bytes([int(compressed), 0]) + b"\x00\x00" + payload)


def with_png_chunks(png: bytes, *chunks: bytes) -> bytes:
    """The PNG with `chunks` inserted before IEND."""
    assert png[-12:-8] == b"\x00\x00\x00\x00" and png[-8:-4] == b"IEND"
    return png[:-12] + b"".join(chunks) + png[-12:]


def with_webp_chunks(webp: bytes, *chunks: tuple[bytes, bytes]) -> bytes:
    """The WebP with (fourcc, data) chunks appended and the RIFF size fixed."""
    body = webp[12:] + b"".join(fourcc + struct.pack("<I", len(d)) + d + (b"\x00" if len(d) % 2 else b"")
                                for fourcc, d in chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
