"""What a result says about itself (tool, time, scanned root or tenancy), shared by the JSON, HTML
and diff reports so that results can be compared and merged later."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from scanner import __version__
from scanner.model import ScanResult


def generated_at(result: ScanResult) -> str:
    """RFC 3339 UTC time of the result: ``metadata["generated_at"]`` when the producer set it, else
    ``$SOURCE_DATE_EPOCH`` (reproducible builds: byte-identical reports of one input), else now."""
    stamp = result.metadata.get("generated_at")
    if isinstance(stamp, str) and stamp:
        return stamp
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        moment = datetime.fromtimestamp(int(epoch), UTC)
    else:
        moment = datetime.now(UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def describe(result: ScanResult) -> dict[str, Any]:
    """``result.metadata`` without the time (reported on its own), JSON-safe, keys sorted."""
    return {key: value for key, value in sorted(result.metadata.items()) if key != "generated_at"}


def target(result: ScanResult) -> str:
    """One line naming what was scanned: the tenancy of a live audit, else the scan root."""
    tenancy = result.metadata.get("tenancy_id") or result.metadata.get("tenancy")
    if tenancy:
        return f"tenancy {tenancy}"
    return result.root


def tool_version() -> str:
    """The ocisec version that produced a report."""
    return __version__
