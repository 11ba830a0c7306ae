"""Provenance beside the verdict: C2PA Content Credentials, IPTC/XMP, EXIF and PNG text, hostile metadata."""
from __future__ import annotations

import struct
import threading
import time
import zlib

import cv2
import numpy as np
import pytest
import requests

from companion.openapi import openapi_document
from companion.provenance import media_provenance, read_provenance
from companion.provenance.c2pa_read import RUNNER
from companion.provenance.deadline import DeadlineExceeded, DeadlineRunner, TooManyStuck
from companion.provenance.limits import MAX_TEXT_CHUNKS
from companion.pipeline import FrameUpload
from tests.helpers.media import make_jpeg_bytes
from tests.helpers.provenance_media import (ENTITY_BOMB, IPTC_TYPES, SIGNER_NAME, ai_created_manifest,
                                            actions_manifest, edited_manifest, exif_app1, itxt, jpeg_segments,
                                            make_pki, png_chunk, sign, tiff_block, with_app1, with_png_chunks,
                                            with_webp_chunks, xmp_app1, xmp_packet)

QUICK_S = 2.0  # hostile inputs must be answered within this


@pytest.fixture(scope="module")
def pki():
    """A throw-away CA and C2PA signer for this module."""
    return make_pki()


def _image(seed: int = 0, size: int = 64) -> np.ndarray:
    """A small random RGB image."""
    return np.random.default_rng(seed).integers(0, 255, (size, size, 3), dtype=np.uint8)


def _encode(ext: str, seed: int = 0) -> bytes:
    """A small real image file in the format of `ext`."""
    ok, data = cv2.imencode(ext, _image(seed))
    assert ok
    return data.tobytes()


def _read(tmp_path, data: bytes, kind: str = "image", mime: str | None = None, name: str = "media", **config):
    """Write `data` to a file and read its provenance, timing the read."""
    path = tmp_path / name
    path.write_bytes(data)
    started = time.perf_counter()
    provenance = read_provenance(path, kind, config, mime)
    return provenance, time.perf_counter() - started


def _facts(provenance: dict, kind: str | None = None, field: str | None = None) -> list[dict]:
    """Facts of one kind and/or field."""
    return [f for f in provenance["facts"] if kind in (None, f["kind"]) and field in (None, f["field"])]


def _codes(provenance: dict) -> list[str]:
    """The error codes."""
    return [error["code"] for error in provenance["errors"]]


# ---------------------------------------------------------------- C2PA Content Credentials


@pytest.fixture(scope="module")
def ai_jpeg(pki) -> bytes:
    """A JPEG signed as created by a generative AI tool."""
    return sign(pki, _encode(".jpg"), "image/jpeg", ai_created_manifest())


def test_signed_ai_image_without_trust_anchor_is_intact_but_untrusted(tmp_path, ai_jpeg):
    provenance, _ = _read(tmp_path, ai_jpeg, mime="image/jpeg")
    assert provenance["found"] is True and provenance["errors"] == []
    c2pa = provenance["c2pa"]
    assert c2pa["validation_state"] == "untrusted" and c2pa["sdk_validation_state"] == "Valid"
    assert [f["code"] for f in c2pa["failures"]] == ["signingCredential.untrusted"]
    assert c2pa["claim_generator"] == "Unmask test generator/1.0"
    assert c2pa["signer"]["common_name"] == SIGNER_NAME and c2pa["signer"]["alg"] == "Es256"
    assert c2pa["actions"] == [{"action": "c2pa.created", "digital_source_type": IPTC_TYPES + "trainedAlgorithmicMedia",
                                "software_agent": "Test Image Generator", "in": "manifest"}]
    assert provenance["summary"] == {"declares_ai": True, "declares_edits": False, "ai_declared_by": ["c2pa"],
                                     "signed_by": SIGNER_NAME, "valid": True, "trusted": False}
    declared = [f for f in provenance["facts"] if "ai" in f["signals"]]
    assert declared == [{"kind": "c2pa", "field": "digitalSourceType", "value": IPTC_TYPES + "trainedAlgorithmicMedia",
                         "source": "C2PA manifest action c2pa.created", "signals": ["ai"]}]


def test_trust_anchor_makes_the_signer_trusted_and_only_its_own_ca_counts(tmp_path, pki, ai_jpeg):
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(pki.ca_pem)
    trusted, _ = _read(tmp_path, ai_jpeg, mime="image/jpeg", PROVENANCE_TRUST_ANCHORS=str(anchors))
    assert trusted["c2pa"]["validation_state"] == "valid" and trusted["c2pa"]["failures"] == []
    assert trusted["summary"]["valid"] is True and trusted["summary"]["trusted"] is True
    other = tmp_path / "other.pem"
    other.write_bytes(make_pki("Some Other Root").ca_pem)
    untrusted, _ = _read(tmp_path, ai_jpeg, mime="image/jpeg", PROVENANCE_TRUST_ANCHORS=other)
    assert untrusted["c2pa"]["validation_state"] == "untrusted" and untrusted["summary"]["trusted"] is False


def test_unusable_trust_anchor_file_is_a_typed_error(tmp_path, ai_jpeg):
    not_pem = tmp_path / "anchors.txt"
    not_pem.write_text("no certificates here")
    provenance, _ = _read(tmp_path, ai_jpeg, PROVENANCE_TRUST_ANCHORS=not_pem)
    assert _codes(provenance) == ["trust_anchors_unusable"]
    assert provenance["c2pa"]["validation_state"] == "untrusted"


def test_image_changed_after_signing_is_invalid(tmp_path, ai_jpeg):
    tampered = bytearray(ai_jpeg)
    scan_start = ai_jpeg.index(b"\xff\xda")
    for offset in range(scan_start + 40, scan_start + 48):
        tampered[offset] ^= 0x5A
    provenance, _ = _read(tmp_path, bytes(tampered), mime="image/jpeg")
    c2pa = provenance["c2pa"]
    assert c2pa["validation_state"] == "invalid" and c2pa["sdk_validation_state"] == "Invalid"
    assert "assertion.dataHash.mismatch" in [f["code"] for f in c2pa["failures"]]
    assert provenance["summary"]["valid"] is False and provenance["summary"]["trusted"] is False
    assert provenance["summary"]["declares_ai"] is True  # still declared, by credentials that no longer hold


def test_edit_of_an_ai_image_declares_edits_and_keeps_the_ai_ingredient(tmp_path, pki, ai_jpeg):
    edited = sign(pki, ai_jpeg, "image/jpeg", edited_manifest(), parent=ai_jpeg)
    provenance, _ = _read(tmp_path, edited, mime="image/jpeg")
    c2pa = provenance["c2pa"]
    assert c2pa["validation_state"] == "untrusted" and c2pa["manifest_count"] == 2
    assert c2pa["claim_generator"] == "Test Photo Editor/1.0"
    assert c2pa["ingredients"] == [{"title": "parent.jpg", "relationship": "parentOf", "format": "image/jpeg",
                                    "has_manifest": True}]
    by_manifest = {(a["action"], a["in"]) for a in c2pa["actions"]}
    assert {("c2pa.opened", "manifest"), ("c2pa.edited", "manifest"),
            ("c2pa.created", "ingredient manifest 'parent.jpg'")} <= by_manifest
    summary = provenance["summary"]
    assert summary["declares_edits"] is True and summary["declares_ai"] is True
    edits = [f for f in provenance["facts"] if "edit" in f["signals"]]
    assert [(f["field"], f["value"]) for f in edits] == [("action", "c2pa.edited")]
    ai = _facts(provenance, "c2pa", "digitalSourceType")
    assert ai[0]["source"] == "C2PA ingredient manifest 'parent.jpg' action c2pa.created"


def test_composite_with_ai_declares_both(tmp_path, pki):
    manifest = actions_manifest([{"action": "c2pa.created",
                                  "digitalSourceType": IPTC_TYPES + "compositeWithTrainedAlgorithmicMedia"}])
    provenance, _ = _read(tmp_path, sign(pki, _encode(".jpg"), "image/jpeg", manifest))
    assert provenance["summary"]["declares_ai"] is True and provenance["summary"]["declares_edits"] is True


def test_camera_capture_declares_neither(tmp_path, pki):
    manifest = actions_manifest([{"action": "c2pa.created", "digitalSourceType": IPTC_TYPES + "digitalCapture"}],
                                generator="Test Camera")
    provenance, _ = _read(tmp_path, sign(pki, _encode(".jpg"), "image/jpeg", manifest))
    assert provenance["found"] is True and provenance["c2pa"]["validation_state"] == "untrusted"
    assert provenance["summary"]["declares_ai"] is False and provenance["summary"]["declares_edits"] is False


def test_signed_png_and_mp4(tmp_path, pki):
    png, _ = _read(tmp_path, sign(pki, _encode(".png"), "image/png", ai_created_manifest()), mime="image/png")
    assert png["c2pa"]["validation_state"] == "untrusted" and png["summary"]["declares_ai"] is True
    video_path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video_path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 64))
    for index in range(10):
        writer.write(_image(index))
    writer.release()
    signed = sign(pki, video_path.read_bytes(), "video/mp4", ai_created_manifest())
    video, _ = _read(tmp_path, signed, kind="video", mime="video/mp4")
    assert video["c2pa"]["validation_state"] == "untrusted" and video["summary"]["declares_ai"] is True
    assert all(f["kind"] == "c2pa" for f in video["facts"])


def test_remote_manifest_is_reported_but_never_fetched(tmp_path, pki, held_http_server):
    url = held_http_server.base_url + "/manifest.c2pa"
    signed = sign(pki, _encode(".jpg"), "image/jpeg", ai_created_manifest(), remote_url=url)
    provenance, seconds = _read(tmp_path, signed, mime="image/jpeg")
    assert seconds < QUICK_S and not held_http_server.arrived.acquire(timeout=0.3)
    assert provenance["c2pa"] is None and provenance["found"] is True
    assert _facts(provenance, "c2pa", "remote_manifest")[0]["value"] == url
    # c2pa's own XMP link to the remote manifest is read too
    assert _facts(provenance, "xmp", "dcterms:provenance")[0]["value"] == url


def test_corrupt_c2pa_manifest_store_is_c2pa_invalid(tmp_path, ai_jpeg):
    marker, offset, _length = next(s for s in jpeg_segments(ai_jpeg) if s[0] == 0xEB)
    broken = bytearray(ai_jpeg)
    broken[offset + 60:offset + 124] = b"\x41" * 64  # inside the JUMBF boxes of the manifest store
    provenance, seconds = _read(tmp_path, bytes(broken), mime="image/jpeg")
    assert seconds < QUICK_S and _codes(provenance) == ["c2pa_invalid"]
    assert provenance["c2pa"]["validation_state"] == "invalid" and provenance["summary"]["valid"] is False


def test_c2pa_read_past_its_deadline_is_given_up(tmp_path, pki):
    padded = _encode(".jpg") + b"\x00" * (48 * 1024 * 1024)  # the SDK hashes all 48 MiB while reading
    signed = sign(pki, padded, "image/jpeg", ai_created_manifest())
    provenance, seconds = _read(tmp_path, signed, PROVENANCE_TIMEOUT_S=0.001)
    assert _codes(provenance) == ["c2pa_timeout"] and provenance["c2pa"] is None and seconds < QUICK_S
    deadline = time.monotonic() + 10
    while RUNNER.stuck and time.monotonic() < deadline:
        time.sleep(0.01)
    assert RUNNER.stuck == 0  # the abandoned read finished and gave its slot back


def test_file_over_the_c2pa_size_limit_is_not_handed_to_the_sdk(tmp_path, ai_jpeg):
    packet = xmp_packet('xmp:CreatorTool="DALL-E 3"')
    provenance, _ = _read(tmp_path, with_app1(ai_jpeg, xmp_app1(packet)), PROVENANCE_C2PA_MAX_BYTES=1000)
    assert _codes(provenance) == ["metadata_too_large"] and provenance["c2pa"] is None
    assert provenance["summary"]["ai_declared_by"] == ["xmp"]


def test_deadline_runner_gives_up_then_refuses_when_saturated():
    runner, release = DeadlineRunner(max_stuck=1), threading.Event()
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded):
        runner.call(lambda: release.wait(10), 0.05)
    assert time.perf_counter() - started < 1.0 and runner.stuck == 1
    with pytest.raises(TooManyStuck):
        runner.call(lambda: 1, 1.0)
    release.set()
    deadline = time.monotonic() + 5
    while runner.stuck and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runner.call(lambda: 42, 1.0) == 42
    with pytest.raises(ZeroDivisionError):
        runner.call(lambda: 1 / 0, 1.0)


# ---------------------------------------------------------------- IPTC / XMP, EXIF, PNG text, WebP


def test_xmp_digital_source_type_and_creator_tool(tmp_path):
    packet = xmp_packet('xmp:CreatorTool="Adobe Firefly"',
                        f"<Iptc4xmpExt:DigitalSourceType>{IPTC_TYPES}trainedAlgorithmicMedia"
                        "</Iptc4xmpExt:DigitalSourceType>")
    provenance, _ = _read(tmp_path, with_app1(make_jpeg_bytes(_image()), xmp_app1(packet)), mime="image/jpeg")
    assert provenance["errors"] == [] and provenance["c2pa"] is None
    iptc = _facts(provenance, "iptc", "Iptc4xmpExt:DigitalSourceType")
    assert iptc == [{"kind": "iptc", "field": "Iptc4xmpExt:DigitalSourceType",
                     "value": IPTC_TYPES + "trainedAlgorithmicMedia",
                     "source": "JPEG APP1 XMP Iptc4xmpExt:DigitalSourceType", "signals": ["ai"]}]
    assert _facts(provenance, "xmp", "xmp:CreatorTool")[0]["signals"] == ["ai"]
    assert provenance["summary"] == {"declares_ai": True, "declares_edits": False, "ai_declared_by": ["iptc", "xmp"],
                                     "signed_by": None, "valid": None, "trusted": None}


def test_xmp_tool_names_in_lists_and_plain_editors(tmp_path):
    packet = xmp_packet("", '<photoshop:Credit>Made with Google AI</photoshop:Credit>'
                            '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">A cat</rdf:li></rdf:Alt>'
                            '</dc:description><tiff:Software>DALL\u00b7E 3</tiff:Software>')
    provenance, _ = _read(tmp_path, with_app1(_encode(".jpg"), xmp_app1(packet)))
    values = {(f["field"], f["value"]): f["signals"] for f in provenance["facts"]}
    assert values == {("photoshop:Credit", "Made with Google AI"): ["ai"], ("dc:description", "A cat"): [],
                      ("tiff:Software", "DALL\u00b7E 3"): ["ai"]}
    plain = xmp_packet('xmp:CreatorTool="Adobe Photoshop 25.0 (Windows)"')
    edited, _ = _read(tmp_path, with_app1(_encode(".jpg"), xmp_app1(plain)))
    assert edited["found"] is True and edited["summary"]["declares_ai"] is False


def test_exif_software_make_model_and_user_comment(tmp_path):
    block = tiff_block({0x0131: "Adobe Firefly", 0x010F: "Canon", 0x0110: "EOS R5", 0x010E: "Una imagen de Gemini"},
                       user_comment="Steps: 20, Sampler: Euler a, Model: sdxl")
    provenance, _ = _read(tmp_path, with_app1(_encode(".jpg"), exif_app1(block)))
    facts = {f["field"]: (f["value"], f["signals"], f["source"]) for f in _facts(provenance, "exif")}
    assert facts["Software"] == ("Adobe Firefly", ["ai"], "JPEG APP1 EXIF tag 0x0131")
    assert facts["Make"][:2] == ("Canon", []) and facts["Model"][:2] == ("EOS R5", [])
    assert facts["ImageDescription"][:2] == ("Una imagen de Gemini", [])  # free text: no name matching
    assert facts["UserComment"] == ("Steps: 20, Sampler: Euler a, Model: sdxl", ["ai"],
                                    "JPEG APP1 EXIF (Exif IFD) tag 0x9286")
    big_endian = tiff_block({0x0131: "GIMP 2.10"}, big_endian=True)
    gimp, _ = _read(tmp_path, with_app1(_encode(".jpg"), exif_app1(big_endian)))
    assert [(f["field"], f["value"], f["signals"]) for f in gimp["facts"]] == [("Software", "GIMP 2.10", [])]


def test_png_generator_parameters_comfyui_and_xmp(tmp_path):
    parameters = "a portrait of a woman\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M, CFG scale: 7"
    png = with_png_chunks(_encode(".png"), png_chunk(b"tEXt", b"parameters\x00" + parameters.encode("latin-1")),
                          itxt("workflow", '{"nodes": [' + '{"id": 1}, ' * 400 + "{}]}", compressed=True),
                          png_chunk(b"zTXt", b"Software\x00\x00" + zlib.compress(b"GIMP 2.10")),
                          itxt("XML:com.adobe.xmp", xmp_packet('xmp:CreatorTool="Midjourney"').decode()))
    provenance, _ = _read(tmp_path, png, mime="image/png")
    assert provenance["errors"] == []
    facts = {f["field"]: f for f in provenance["facts"]}
    assert facts["parameters"]["value"] == parameters and facts["parameters"]["signals"] == ["ai"]
    assert facts["parameters"]["source"].startswith("PNG tEXt 'parameters' (Stable Diffusion web UI")
    assert facts["workflow"]["signals"] == ["ai"] and facts["workflow"]["value"].endswith("\u2026")
    assert len(facts["workflow"]["value"]) == 1000
    assert facts["Software"]["value"] == "GIMP 2.10" and facts["Software"]["signals"] == []
    assert facts["xmp:CreatorTool"]["source"] == "PNG iTXt XMP xmp:CreatorTool"
    assert provenance["summary"]["ai_declared_by"] == ["png_text", "xmp"]


def test_webp_xmp_and_exif_chunks(tmp_path):
    webp = with_webp_chunks(_encode(".webp"),
                            (b"EXIF", b"Exif\x00\x00" + tiff_block({0x0131: "Midjourney v6"})),
                            (b"XMP ", xmp_packet(f'Iptc4xmpExt:DigitalSourceType="{IPTC_TYPES}digitalCapture"')))
    provenance, _ = _read(tmp_path, webp, mime="image/webp")
    assert provenance["errors"] == []
    assert {(f["kind"], f["field"], f["value"]) for f in provenance["facts"]} == {
        ("exif", "Software", "Midjourney v6"), ("iptc", "Iptc4xmpExt:DigitalSourceType", IPTC_TYPES + "digitalCapture")}
    assert provenance["summary"]["ai_declared_by"] == ["exif"]


def test_plain_files_and_non_images_state_nothing(tmp_path):
    for data, kind in ((_encode(".jpg"), "image"), (_encode(".png"), "image"), (b"\x00garbage" * 100, "image")):
        provenance, _ = _read(tmp_path, data, kind=kind)
        assert provenance == {"found": False, "facts": [], "c2pa": None, "errors": [], "note": None,
                              "summary": {"declares_ai": False, "declares_edits": False, "ai_declared_by": [],
                                          "signed_by": None, "valid": None, "trusted": None}}


def test_captured_frames_carry_no_provenance():
    provenance = media_provenance([FrameUpload(_encode(".jpg"), 0.0)], {})
    assert provenance["found"] is False and provenance["c2pa"] is None and provenance["facts"] == []
    assert "no provenance" in provenance["note"]


# ---------------------------------------------------------------- hostile metadata


def test_entity_expansion_bomb_is_refused_and_the_rest_still_read(tmp_path):
    bomb = xmp_packet("", "<xmp:CreatorTool>&j;</xmp:CreatorTool>", doctype=ENTITY_BOMB)
    jpeg = with_app1(_encode(".jpg"), xmp_app1(bomb), exif_app1(tiff_block({0x0131: "Stable Diffusion"})))
    provenance, seconds = _read(tmp_path, jpeg)
    assert seconds < QUICK_S and _codes(provenance) == ["xmp_malformed"]
    assert "DTD or entities" in provenance["errors"][0]["message"]
    assert [(f["kind"], f["value"]) for f in provenance["facts"]] == [("exif", "Stable Diffusion")]


def test_malformed_xmp_is_typed(tmp_path):
    provenance, _ = _read(tmp_path, with_app1(_encode(".jpg"), xmp_app1(b"<x:xmpmeta><rdf:RDF>")))
    assert _codes(provenance) == ["xmp_malformed"] and provenance["found"] is False


def test_huge_claimed_lengths_are_refused_without_reading(tmp_path):
    claim = struct.pack(">I", 50_000_000) + b"iTXt" + b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta"
    png, seconds = _read(tmp_path, with_png_chunks(_encode(".png"), claim), name="a.png")
    assert seconds < QUICK_S and "50000000" in png["errors"][0]["message"]
    assert _codes(png) == ["metadata_too_large", "metadata_unreadable"]  # ours, then the C2PA reader's
    webp_bytes = with_webp_chunks(_encode(".webp")) + b"XMP " + struct.pack("<I", 50_000_000) + b"<x:xmpmeta"
    webp, seconds = _read(tmp_path, webp_bytes, name="a.webp")
    assert seconds < QUICK_S and _codes(webp) == ["metadata_too_large"]


def test_truncated_app1_and_broken_exif_are_unreadable(tmp_path):
    truncated = b"\xff\xd8\xff\xe1" + struct.pack(">H", 1000) + b"Exif\x00\x00II*\x00"
    provenance, seconds = _read(tmp_path, truncated)
    assert seconds < QUICK_S and _codes(provenance) == ["metadata_unreadable", "metadata_unreadable"]
    assert "ends inside its JPEG APP1 segment" in provenance["errors"][0]["message"]
    assert "C2PA reader cannot parse" in provenance["errors"][1]["message"]
    outside = b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHII", 0x0131, 2, 400, 0xFFFF0000)
    provenance, _ = _read(tmp_path, with_app1(_encode(".jpg"), exif_app1(outside)))
    assert _codes(provenance) == ["metadata_unreadable"] and "outside" in provenance["errors"][0]["message"]
    many = b"II*\x00" + struct.pack("<IH", 8, 60000)
    provenance, _ = _read(tmp_path, with_app1(_encode(".jpg"), exif_app1(many)))
    assert _codes(provenance) == ["metadata_unreadable"]


def test_decompression_bomb_and_too_many_text_chunks(tmp_path):
    bomb = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"\x00" * (64 * 1024 * 1024), 9))
    provenance, seconds = _read(tmp_path, with_png_chunks(_encode(".png"), bomb))
    assert seconds < QUICK_S and _codes(provenance) == ["metadata_too_large"]
    chunks = [png_chunk(b"tEXt", b"Comment\x00note %d" % i) for i in range(MAX_TEXT_CHUNKS + 5)]
    provenance, _ = _read(tmp_path, with_png_chunks(_encode(".png"), *chunks))
    assert _codes(provenance) == ["metadata_too_large"] and len(provenance["facts"]) == MAX_TEXT_CHUNKS


# ---------------------------------------------------------------- the API contract and the real server


def test_openapi_schema_describes_the_provenance_block(tmp_path, pki, ai_jpeg):
    edited = sign(pki, ai_jpeg, "image/jpeg", edited_manifest(), parent=ai_jpeg)
    provenance, _ = _read(tmp_path, edited)
    schemas = openapi_document("test")["components"]["schemas"]
    assert schemas["Result"]["properties"]["provenance"] == {"$ref": "#/components/schemas/Provenance"}
    pairs = [(provenance, "Provenance"), (provenance["summary"], "ProvenanceSummary"),
             (provenance["c2pa"], "ContentCredentials")] + [(f, "ProvenanceFact") for f in provenance["facts"]]
    for block, name in pairs:
        schema = schemas[name]
        assert set(block) <= set(schema["properties"]), name
        assert set(schema["required"]) <= set(block), name


def _wait_done(server, analysis_id: str, timeout: float = 120.0) -> dict:
    """Poll an analysis until it is done or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(server.url(f"/v1/analyses/{analysis_id}"), headers=server.auth, timeout=10).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"analysis {analysis_id} not finished after {timeout}s")


def test_uploaded_ai_declared_jpeg_end_to_end(model_server, pki, tmp_path):
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(pki.ca_pem)
    server = model_server(PROVENANCE_TRUST_ANCHORS=str(anchors))
    signed = sign(pki, make_jpeg_bytes(), "image/jpeg", ai_created_manifest())
    accepted = requests.post(server.url("/v1/analyses"), headers=server.auth, timeout=30,
                             files={"file": ("generated.jpg", signed)})
    assert accepted.status_code == 202, accepted.text
    done = _wait_done(server, accepted.json()["id"])
    assert done["status"] == "done", done
    result = done["result"]
    assert result["verdict"] in ("likely_fake", "inconclusive", "likely_real") and result["faces"]
    provenance = result["provenance"]
    assert provenance["summary"]["declares_ai"] is True and provenance["summary"]["ai_declared_by"] == ["c2pa"]
    assert provenance["summary"]["signed_by"] == SIGNER_NAME and provenance["summary"]["trusted"] is True
    assert provenance["c2pa"]["validation_state"] == "valid"
    assert result["timings"]["provenance"] >= 0
