"""Named checks on how rotated secrets reach the pods: the External Secrets refresh interval.

Policies that call these checks: OCI-ROT-401.
"""

from __future__ import annotations

import re
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown

Params = dict[str, Any]

_GO_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns))+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def go_duration_seconds(text: Any) -> float | None:
    """``"1h30m"`` -> 5400.0 (Go's ``time.ParseDuration`` form, as Kubernetes operators use);
    ``"0"`` -> 0.0; None when not a duration."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        return None
    value = text.strip()
    if value == "0":
        return 0.0
    if not _GO_DURATION.match(value):
        return None
    return sum(float(n) * _SECONDS[u] for n, u in _PART.findall(value))


@check("external_secret_refreshes")
def external_secret_refreshes(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-ROT-401: an ``ExternalSecret`` sets ``spec.refreshInterval``, not zero (zero means
    fetched once and never again), and no longer than ``max_refresh`` (a Go duration, default
    ``24h``: the platform's shortest rotation interval should bound it)."""
    spec = resource.attributes.get("spec")
    value = spec.get("refreshInterval") if isinstance(spec, dict) else None
    if value is None:
        return Outcome(False, path="spec", detail="no refreshInterval: the operator's default decides")
    if is_unknown(value):
        return Outcome(None, path="spec.refreshInterval", detail="refreshInterval not known statically")
    seconds = go_duration_seconds(value)
    if seconds is None:
        return Outcome(
            None, path="spec.refreshInterval", detail=f"refreshInterval {value!r} is not a duration"
        )
    if seconds == 0:
        return Outcome(
            False, path="spec.refreshInterval", detail="refreshInterval 0: the secret is never refreshed"
        )
    limit = go_duration_seconds(params.get("max_refresh", "24h")) or 86400.0
    if seconds > limit:
        return Outcome(
            False,
            path="spec.refreshInterval",
            detail=f"refreshInterval {value} is longer than {params.get('max_refresh', '24h')}",
        )
    return Outcome(True, path="spec.refreshInterval")
