"""Which declared values mean "made by AI" or "edited": IPTC digital source types, C2PA actions, tool names."""
from __future__ import annotations

import re

# IPTC digital source types (http://cv.iptc.org/newscodes/digitalsourcetype/<term>) by their last term.
AI_SOURCE_TYPES = frozenset({
    "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia", "compositeSynthetic",
})
EDIT_SOURCE_TYPES = frozenset({
    "composite", "compositeCapture", "compositeSynthetic", "compositeWithTrainedAlgorithmicMedia",
    "algorithmicallyEnhanced", "minorHumanEdits",
})

# C2PA actions that do not change what the content shows (anything else named c2pa.* is an edit).
NON_EDIT_ACTIONS = frozenset({
    "c2pa.created", "c2pa.opened", "c2pa.published", "c2pa.repackaged", "c2pa.transcoded",
    "c2pa.watermarked", "c2pa.edited.metadata", "c2pa.unknown",
})

# Generators and AI services whose name in a software, creator-tool or credit field declares AI generation.
# Only matched in such fields: free text (descriptions, artists) would give false hits ("imagen" is Spanish).
_AI_TOOL_PATTERN = re.compile(
    r"\b(?:adobe\s+firefly|firefly|dall[\s\-\u00b7]?e(?:\s*[23])?|midjourney|stable\s+diffusion|stability\s+ai|"
    r"sdxl|novelai|imagen|gemini|chatgpt|openai|ideogram|leonardo\.ai|comfyui|automatic1111|invokeai|fooocus|"
    r"bing\s+image\s+creator|image\s+creator\s+from\s+microsoft\s+designer|google\s+ai|meta\s+ai|"
    r"imagined\s+with\s+ai|ai[\s\-]generated|generated\s+(?:by|with)\s+ai)\b",
    re.IGNORECASE,
)

# PNG text keys that only image generators write (their presence declares a generation).
GENERATOR_TEXT_KEYS = {
    "parameters": "Stable Diffusion web UI (AUTOMATIC1111/Forge) generation parameters",
    "prompt": "ComfyUI prompt graph",
    "workflow": "ComfyUI workflow",
    "invokeai_metadata": "InvokeAI generation metadata",
    "invokeai_graph": "InvokeAI generation graph",
    "sd-metadata": "InvokeAI generation metadata",
    "dream": "InvokeAI (dream) prompt",
}
# Other PNG text keys worth reporting: fields naming the tool, and free text.
TOOL_TEXT_KEYS = ("Software", "Source")
FREE_TEXT_KEYS = ("Comment", "Description", "Title", "Author")
# Stable Diffusion web UIs write "…Steps: 20, Sampler: Euler a, CFG scale: 7…" into free-text fields.
_STEPS, _SAMPLER = re.compile(r"\bSteps:\s*\d"), re.compile(r"\bSampler:")
SIGNAL_SCAN_CHARS = 65536
"""Only this much of a value is searched for names and parameters (values can be megabytes of text)."""


def source_type_term(value: str) -> str:
    """The last term of a digital source type URI ("…/trainedAlgorithmicMedia" -> "trainedAlgorithmicMedia")."""
    return str(value).strip().rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def source_type_signals(value: str) -> tuple[str, ...]:
    """("ai",) for AI source types, ("edit",) for composites and enhancements, both for AI composites."""
    term = source_type_term(value)
    return tuple(signal for signal, terms in (("ai", AI_SOURCE_TYPES), ("edit", EDIT_SOURCE_TYPES)) if term in terms)


def action_signals(action: str) -> tuple[str, ...]:
    """("edit",) for C2PA actions that change the content, else ()."""
    name = str(action).strip()
    if not name or name in NON_EDIT_ACTIONS or not name.startswith("c2pa."):
        return ()
    return ("edit",)


def names_ai_tool(value: str) -> bool:
    """Whether free text names a known AI image generator or says it is AI-generated."""
    return bool(_AI_TOOL_PATTERN.search(str(value)[:SIGNAL_SCAN_CHARS]))


def tool_signals(value: str) -> tuple[str, ...]:
    """("ai",) when a software/tool field names an AI generator, else ()."""
    return ("ai",) if names_ai_tool(value) else ()


def free_text_signals(value: str) -> tuple[str, ...]:
    """("ai",) when free text holds image-generation parameters (Steps: … Sampler: …), else ()."""
    text = str(value)[:SIGNAL_SCAN_CHARS]
    return ("ai",) if _STEPS.search(text) and _SAMPLER.search(text) else ()
