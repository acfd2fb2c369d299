"""Stable identity of a finding, shared by the SARIF and JSON reporters.

Baselines and GitHub code scanning match findings across runs by this value, so it is built from
what identifies the problem (rule, file, resource, attribute) and never from line numbers: editing
unrelated lines above a resource must not turn an old finding into a new one.
"""

from __future__ import annotations

import hashlib
import json

from scanner.model import Finding

FINGERPRINT_KEY = "ocisecFingerprint/v1"  # SARIF partialFingerprints key; bump /vN if the recipe changes


def finding_file(finding: Finding) -> str | None:
    """The file a finding points at: its own location, else its resource's block, else None (live)."""
    if finding.location is not None:
        return finding.location.file
    block = finding.resource.provenance.location
    return block.file if block is not None else None


def fingerprint(finding: Finding) -> str:
    """Hex SHA-256 of ``[rule_id, file, resource address, attribute]`` encoded as a JSON array.

    A JSON array rather than a joined string so no choice of separator can make two different
    tuples collide (``a/b`` + ``c`` vs ``a`` + ``b/c``).
    """
    parts = [finding.rule_id, finding_file(finding) or "", finding.resource.address, finding.attribute or ""]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()
