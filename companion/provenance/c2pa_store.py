"""Describe a C2PA manifest store (the c2pa SDK's JSON): validation, generator, signer, actions, ingredients."""
from __future__ import annotations

from typing import Any

from companion.provenance.findings import Findings, clip
from companion.provenance.signals import action_signals, source_type_signals, tool_signals

MAX_MANIFESTS = 32
MAX_LISTED = 50
UNTRUSTED_CODES = ("signingCredential.untrusted",)


def _dict(value: Any) -> dict:
    """The value if it is a dict, else {} (the store's content comes from the file)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    """The value if it is a list, else []."""
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    """A short string, or None for anything that is not a non-empty string."""
    return clip(value) if isinstance(value, str) and value.strip() else None


def failures(store: dict) -> list[dict]:
    """The active manifest's validation failures as [{"code", "explanation"}]."""
    results = _dict(_dict(store.get("validation_results")).get("activeManifest"))
    entries = _list(results.get("failure")) if results else _list(store.get("validation_status"))
    return [{"code": _text(e.get("code")), "explanation": _text(e.get("explanation"))}
            for e in map(_dict, entries[:MAX_LISTED]) if _text(e.get("code"))]


def validation_state(sdk_state: Any, failed: list[dict]) -> str:
    """"valid" (intact, signer trusted), "untrusted" (intact, signer not on a trust list) or "invalid"."""
    if sdk_state == "Trusted":
        return "valid"
    if sdk_state == "Invalid":
        return "invalid"
    if sdk_state == "Valid":
        return "untrusted"
    other = [f for f in failed if f["code"] not in UNTRUSTED_CODES]
    return "invalid" if other else "untrusted"


def claim_generator(manifest: dict) -> str | None:
    """"name/version" of the tool that wrote the claim (claim_generator_info, or the v1 claim_generator)."""
    info = [_dict(item) for item in _list(manifest.get("claim_generator_info"))]
    if info and _text(info[0].get("name")):
        version = _text(info[0].get("version"))
        return _text(info[0]["name"] + (f"/{version}" if version else ""))
    return _text(manifest.get("claim_generator"))


def signer(manifest: dict) -> dict | None:
    """The claim signature's issuer, common name, algorithm and signing time."""
    info = _dict(manifest.get("signature_info"))
    if not info:
        return None
    return {key: _text(info.get(key)) for key in ("issuer", "common_name", "alg", "time")}


def _agent_name(agent: Any) -> str | None:
    """A softwareAgent's name (a string in v1 actions, {"name", "version"} in v2)."""
    if isinstance(agent, dict):
        return _text(agent.get("name"))
    return _text(agent)


def _actions(manifest: dict, where: str, findings: Findings) -> list[dict]:
    """The manifest's actions (every c2pa.actions assertion), each also recorded as facts."""
    listed = []
    for assertion in map(_dict, _list(manifest.get("assertions"))):
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in map(_dict, _list(_dict(assertion.get("data")).get("actions"))[:MAX_LISTED]):
            name = _text(action.get("action")) or "unknown"
            source_type = _text(action.get("digitalSourceType")) or _text(
                _dict(action.get("parameters")).get("digitalSourceType"))
            agent = _agent_name(action.get("softwareAgent"))
            listed.append({"action": name, "digital_source_type": source_type, "software_agent": agent,
                           "in": where})
            findings.fact("c2pa", "action", name, f"C2PA {where}", action_signals(name))
            if source_type:
                findings.fact("c2pa", "digitalSourceType", source_type, f"C2PA {where} action {name}",
                              source_type_signals(source_type))
            if agent:
                findings.fact("c2pa", "softwareAgent", agent, f"C2PA {where} action {name}", tool_signals(agent))
    return listed


def _iptc_source_types(value: Any, depth: int = 0):
    """Every value under a key ending in DigitalSourceType, in IPTC/metadata assertion data (bounded depth)."""
    if depth > 4:
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in list(items)[:MAX_LISTED]:
        if str(key).endswith("DigitalSourceType") and _text(item):
            yield _text(item)
        else:
            yield from _iptc_source_types(item, depth + 1)


def _metadata_assertions(manifest: dict, where: str, findings: Findings) -> None:
    """Digital source types declared in IPTC (stds.iptc*) or c2pa.metadata assertions."""
    for assertion in map(_dict, _list(manifest.get("assertions"))):
        label = str(assertion.get("label", ""))
        if label.startswith(("stds.iptc", "c2pa.metadata")):
            for value in _iptc_source_types(assertion.get("data")):
                findings.fact("c2pa", "digitalSourceType", value, f"C2PA {where} assertion {clip(label)}",
                              source_type_signals(value))


def _ingredients(manifest: dict, findings: Findings) -> tuple[list[dict], dict[str, str]]:
    """The active manifest's ingredients, and a map from each ingredient's own manifest label to its name."""
    listed, names = [], {}
    for ingredient in map(_dict, _list(manifest.get("ingredients"))[:MAX_LISTED]):
        title = _text(ingredient.get("title")) or "untitled"
        relationship = _text(ingredient.get("relationship")) or "componentOf"
        label = _text(ingredient.get("active_manifest"))
        listed.append({"title": title, "relationship": relationship, "format": _text(ingredient.get("format")),
                       "has_manifest": bool(label)})
        findings.fact("c2pa", "ingredient", f"{title} ({relationship})", "C2PA manifest ingredient",
                      ("edit",) if relationship == "componentOf" else ())
        if label:
            names[label] = f"ingredient manifest '{title}'"
    return listed, names


def describe_store(store: dict, findings: Findings) -> dict:
    """The result's `c2pa` block for a manifest store, with its facts recorded in `findings`."""
    manifests = _dict(store.get("manifests"))
    active_label = store.get("active_manifest")
    active = _dict(manifests.get(active_label))
    failed = failures(store)
    generator, signed = claim_generator(active), signer(active)
    if generator:
        findings.fact("c2pa", "claim_generator", generator, "C2PA manifest claim generator", tool_signals(generator))
    if signed and (signed["common_name"] or signed["issuer"]):
        findings.fact("c2pa", "signer", signed["common_name"] or signed["issuer"], "C2PA manifest signature")
    ingredients, names = _ingredients(active, findings)
    actions = []
    for label, manifest in list(manifests.items())[:MAX_MANIFESTS]:
        where = "manifest" if label == active_label else names.get(label, "earlier manifest")
        actions += _actions(_dict(manifest), where, findings)
        _metadata_assertions(_dict(manifest), where, findings)
    return {
        "validation_state": validation_state(store.get("validation_state"), failed),
        "sdk_validation_state": _text(store.get("validation_state")), "failures": failed,
        "active_manifest": _text(active_label), "title": _text(active.get("title")),
        "claim_generator": generator, "signer": signed, "actions": actions[:MAX_LISTED],
        "ingredients": ingredients, "manifest_count": len(manifests),
    }


def unreadable_store(message: str) -> dict:
    """The `c2pa` block for C2PA data that is present but cannot be parsed."""
    return {
        "validation_state": "invalid", "sdk_validation_state": None,
        "failures": [{"code": "c2pa_invalid", "explanation": clip(message)}], "active_manifest": None,
        "title": None, "claim_generator": None, "signer": None, "actions": [], "ingredients": [],
        "manifest_count": 0,
    }
