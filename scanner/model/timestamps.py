"""RFC 3339 timestamps and ages, for rules about how old a credential or key version is.

Ages are always measured against a reference time carried by the resource
(``context["reference_time"]``: the snapshot's ``collected_at``), never against the clock, so a
replayed snapshot gives the same answer next year.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_time(text: Any) -> datetime | None:
    """An RFC 3339 timestamp (``Z`` or offset, fractional seconds of any length) as aware UTC;
    None when it is not one. Naive timestamps are taken as UTC (the OCI APIs always send UTC)."""
    if isinstance(text, datetime):
        value = text
    elif isinstance(text, str) and text:
        s = text.strip().replace("Z", "+00:00").replace("z", "+00:00").replace(" ", "T", 1)
        if "." in s:  # fromisoformat accepts at most 6 fractional digits
            head, _, rest = s.partition(".")
            digits = "".join(ch for ch in rest[:12] if ch.isdigit())
            s = f"{head}.{(digits + '000000')[:6]}{rest[len(digits) :]}"
        try:
            value = datetime.fromisoformat(s)
        except ValueError:
            return None
    else:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def age_days(timestamp: Any, reference: Any) -> float | None:
    """Days from ``timestamp`` to ``reference`` (negative when in the future); None if either
    is not a timestamp."""
    when, ref = parse_time(timestamp), parse_time(reference)
    if when is None or ref is None:
        return None
    return (ref - when).total_seconds() / 86400
