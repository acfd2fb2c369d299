"""How reports name a live object: ``platform/apps · bucket marketing-assets`` (compartment path
and display name, set by the live mapping as ``context["label"]``), printed with the OCID beside.

Display names come from the tenancy and are attacker-controlled like any input: control
characters are escaped here, once, for every format.
"""

from __future__ import annotations

import re

from scanner.model import Finding, Resource

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """``text`` with control and bidirectional-override characters as ``\\xNN`` / ``\\uNNNN``."""
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def resource_label(resource: Resource) -> str | None:
    """The label of a live resource, escaped; None for code (its address is its name)."""
    if resource.provenance.source != "oci":
        return None
    label = resource.context.get("label")
    return escape_controls(label) if isinstance(label, str) and label else None


def live_label(finding: Finding) -> str | None:
    """``resource_label`` of the finding's resource."""
    return resource_label(finding.resource)
