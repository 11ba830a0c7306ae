// Pure: what a result's `provenance` block (what the file states about its own origin) shows in the card
// and on the badge, as localized text. Never touches the DOM; the detectors' verdict is not its business.
// Classic script that also loads as a module (publishes globalThis.Unmask.provenanceView).
(() => {
  "use strict";
  const ns = (globalThis.Unmask ??= {});

  // Fields whose value names the tool that made the file ("made with <value>").
  const TOOL_FIELDS = new Set([
    "xmp:CreatorTool", "tiff:Software", "stEvt:softwareAgent", "Iptc4xmpExt:AISystemUsed",
    "photoshop:Source", "Software", "Source", "Make", "Model", "tiff:Make", "tiff:Model",
  ]);
  const ERROR_KEYS = Object.freeze({
    c2pa_invalid: "provenanceErrorC2paInvalid",
    c2pa_timeout: "provenanceErrorC2paTimeout",
    c2pa_busy: "provenanceErrorC2paBusy",
    c2pa_unavailable: "provenanceErrorC2paUnavailable",
    trust_anchors_unusable: "provenanceErrorTrustAnchors",
    metadata_too_large: "provenanceErrorTooLarge",
    metadata_unreadable: "provenanceErrorUnreadable",
    xmp_malformed: "provenanceErrorXmp",
  });
  const MAX_METADATA_LINES = 4;
  const SHORT_CHARS = 60;
  const FACT_CHARS = 300;

  /** Text cut to `max` characters (with an ellipsis), whitespace runs collapsed. */
  function shorten(value, max) {
    const text = String(value ?? "").replace(/\s+/g, " ").trim();
    return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
  }

  /** The block's parts, each defaulted so a partial or missing block reads as "nothing stated". */
  function parts(provenance) {
    const block = provenance && typeof provenance === "object" ? provenance : {};
    const list = (value) => (Array.isArray(value) ? value.filter((item) => item && typeof item === "object") : []);
    return {
      found: block.found === true,
      facts: list(block.facts),
      summary: block.summary && typeof block.summary === "object" ? block.summary : {},
      c2pa: block.c2pa && typeof block.c2pa === "object" ? block.c2pa : null,
      errors: list(block.errors),
      note: typeof block.note === "string" && block.note.trim() ? block.note.trim() : null,
    };
  }

  /** Whether a fact declares `signal` ("ai" or "edit"). */
  function declares(fact, signal) {
    return Array.isArray(fact.signals) && fact.signals.includes(signal);
  }

  /** How a block's file declares AI generation: "c2pa" (its credentials), "metadata" (unsigned), or null. */
  function declaredBy({ found, summary }) {
    if (!found || summary.declares_ai !== true) return null;
    const by = Array.isArray(summary.ai_declared_by) ? summary.ai_declared_by : [];
    return by.includes("c2pa") ? "c2pa" : "metadata";
  }

  /** How the file declares AI generation: "c2pa" (signed credentials), "metadata" (unsigned), or null. */
  function aiDeclaration(provenance) {
    return declaredBy(parts(provenance));
  }

  /** The badge's marker beside the verdict ({text, aria}), or null when the file declares no AI generation. */
  function badgeMarker(provenance, t) {
    const how = aiDeclaration(provenance);
    if (!how) return null;
    const { summary } = parts(provenance);
    let aria = t("badgeDeclaredAiMetadataAria");
    if (how === "c2pa") aria = summary.valid === false ? t("badgeDeclaredAiBrokenAria") : t("badgeDeclaredAiAria");
    return { text: t("badgeDeclaredAi"), aria };
  }

  /** "(signature intact)" / "(credentials tampered or broken)" for a validity, or "" when unknown. */
  function validityText(valid, t) {
    if (valid === true) return t("provenanceSignatureIntact");
    if (valid === false) return t("provenanceCredentialsBroken");
    return "";
  }

  /** The signer of the credentials, with their trust when the signature holds. */
  function signerText(summary, t) {
    const signer = summary.signed_by
      ? t("provenanceSignedBy", [shorten(summary.signed_by, SHORT_CHARS)])
      : t("provenanceSignerUnknown");
    let trust = "";
    if (summary.valid === true && summary.trusted === true) trust = t("provenanceSignerTrusted");
    if (summary.valid === true && summary.trusted === false) trust = t("provenanceSignerUntrusted");
    return [signer, trust].filter(Boolean).join(" ");
  }

  /** The Content Credentials lines: what they declare and their state, the signer and trust, the generator. */
  function credentialLines(block, t) {
    const { summary, c2pa } = block;
    const aiByC2pa = declaredBy(block) === "c2pa";
    if (!aiByC2pa && !c2pa) return [];
    const headline = [aiByC2pa ? t("provenanceAiC2pa") : t("provenanceHasC2pa"), validityText(summary.valid, t)];
    const lines = [
      { text: headline.filter(Boolean).join(" "), className: aiByC2pa ? "prov-ai" : "prov-c2pa" },
      { text: signerText(summary, t), className: "prov-signer" },
    ];
    if (c2pa?.claim_generator) {
      const generator = shorten(c2pa.claim_generator, SHORT_CHARS);
      lines.push({ text: t("provenanceClaimGenerator", [generator]), className: "prov-generator" });
    }
    return lines;
  }

  /** "Declares edits (…)" with the edits named, when any fact declares one. */
  function editLines({ summary, facts }, t) {
    if (summary.declares_edits !== true) return [];
    const named = [...new Set(facts.filter((f) => declares(f, "edit")).map((f) => shorten(f.value, SHORT_CHARS)))];
    const which = named.length ? t("provenanceEditsWhich", [named.slice(0, 3).join(", ")]) : "";
    return [{ text: [t("provenanceDeclaresEdits"), which].filter(Boolean).join(" "), className: "prov-edits" }];
  }

  /** What one unsigned fact declaring AI says, in words. */
  function metadataSays(fact, t) {
    const field = String(fact.field ?? "");
    if (/DigitalSourceType$/.test(field)) {
      const term = String(fact.value ?? "").trim().replace(/\/+$/, "").split(/[/#]/).pop();
      return t("provenanceMetadataSourceType", [shorten(term, SHORT_CHARS)]);
    }
    if (TOOL_FIELDS.has(field)) return t("provenanceMetadataMadeWith", [shorten(fact.value, SHORT_CHARS)]);
    return t("provenanceMetadataField", [shorten(field, SHORT_CHARS), shorten(fact.value, SHORT_CHARS)]);
  }

  /** The AI declarations of unsigned metadata (IPTC, XMP, EXIF, PNG text), then why they prove little. */
  function metadataLines({ facts }, t) {
    const said = [...new Set(facts.filter((f) => f.kind !== "c2pa" && declares(f, "ai")).map((f) => metadataSays(f, t)))];
    if (!said.length) return [];
    const lines = said.slice(0, MAX_METADATA_LINES).map((text) => ({ text, className: "prov-metadata" }));
    if (said.length > MAX_METADATA_LINES) {
      lines.push({ text: t("provenanceMetadataMore", [String(said.length - MAX_METADATA_LINES)]), className: "prov-metadata" });
    }
    lines.push({ text: t("provenanceUnsigned"), className: "prov-unsigned muted" });
    return lines;
  }

  /** One short line for the errors met while reading provenance (the companion's messages as its title). */
  function errorLine({ errors }, t) {
    if (!errors.length) return [];
    const said = [...new Set(errors.map((e) => (ERROR_KEYS[e.code] ? t(ERROR_KEYS[e.code]) : t("provenanceErrorOther"))))];
    const title = errors.map((e) => shorten(e.message || e.code, FACT_CHARS)).join("\n");
    return [{ text: t("provenanceErrors", [said.join("; ")]), className: "prov-error", title }];
  }

  /**
   * What the card's Provenance section shows, or null for nothing: `lines` [{text, className, title?}]
   * in order, and `facts` [{field, value, source}] for a list collapsed under `factsLabel`.
   * A file that states nothing shows only the companion's note (and reading errors) when there are any.
   */
  function cardSection(provenance, t) {
    const block = parts(provenance);
    const lines = block.found
      ? [...credentialLines(block, t), ...editLines(block, t), ...metadataLines(block, t)]
      : [];
    if (block.found && !lines.length) lines.push({ text: t("provenanceNothingDeclared"), className: "prov-plain" });
    if (block.note) lines.push({ text: block.note, className: "prov-note muted" });
    lines.push(...errorLine(block, t));
    const facts = block.found ? block.facts.map((f) => ({
      field: shorten(f.field, SHORT_CHARS), value: shorten(f.value, FACT_CHARS), source: shorten(f.source, FACT_CHARS),
    })) : [];
    if (!lines.length && !facts.length) return null;
    return { lines, facts, factsLabel: facts.length ? t("provenanceFacts", [String(facts.length)]) : "" };
  }

  ns.provenanceView = Object.freeze({ ERROR_KEYS, aiDeclaration, badgeMarker, cardSection });
})();
