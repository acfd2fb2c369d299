"""The inventory snapshot: what one live collection saw, as a replayable JSON document.

Format ``ocisec-inventory/1`` (documented in the README)::

    {"format": "ocisec-inventory/1", "tenancy_id": "...", "home_region": "...",
     "collected_at": "RFC 3339", "regions": {"<region>": {"availability_domains": [...]}},
     "collected": ["<type>", ...],
     "resources": [{"type": "<sdk module>.<Model>", "region": "...", "data": {...},
                    "related": {"<list name>": [...]}}],
     "errors": [{"operation": "...", "region": "...", "compartment_id": "...",
                 "status": 429, "message": "...", "level": "warning"}]}

A resource the collector saw listed but could not read carries ``"unreadable": "<why>"`` and only
the fields the listing gave; every rule about it is unknown. An error's ``level`` is ``error``
(the default, omitted: data was lost), ``warning`` or ``note`` (said, nothing lost).

plus self-describing extras (``tool``, ``compartment_id``). ``data`` is ``oci.util.to_dict`` of
the SDK model (snake_case keys). The writer puts each resource on a line of its own so findings
can point at the line of their resource in the snapshot file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from scanner.model.timestamps import format_time, parse_time

FORMAT = "ocisec-inventory/1"
# Lists of sub-objects a resource may carry beside its model (``related``).
RELATED_LISTS = (
    "key_versions",
    "secret_versions",
    "api_keys",
    "auth_tokens",
    "customer_secret_keys",
    "group_ids",
    "data_guard_associations",
)


class SnapshotError(ValueError):
    """A snapshot file that cannot be read: the message names the file and what is wrong."""


@dataclass
class SnapshotResource:
    """One collected object: SDK ``type`` (``object_storage.Bucket``), its region, the model as
    ``to_dict`` gives it, related sub-lists, and the line it starts on in the snapshot file."""

    type: str
    region: str
    data: dict[str, Any]
    related: dict[str, list[Any]] = field(default_factory=dict)
    line: int | None = None
    unreadable: str | None = None  # why the object was listed but could not be read

    @property
    def ocid(self) -> str | None:
        """The object's OCID (``id``; ``key_id`` for API keys), when it has one."""
        value = self.data.get("id")
        return value if isinstance(value, str) else None


@dataclass
class CollectionError:
    """A call that still failed after retries: the collection is incomplete because of it."""

    operation: str
    region: str
    compartment_id: str | None
    status: int | None
    message: str
    level: str = "error"  # "error": data was lost; "warning" / "note": said, nothing lost

    def to_dict(self) -> dict[str, Any]:
        """The snapshot's ``errors[]`` entry."""
        out: dict[str, Any] = {
            "operation": self.operation,
            "region": self.region,
            "compartment_id": self.compartment_id,
            "status": self.status,
            "message": self.message,
        }
        if self.level != "error":
            out["level"] = self.level
        return out


@dataclass
class InventorySnapshot:
    """A tenancy inventory at one point in time (``collected_at``, timezone-aware UTC)."""

    tenancy_id: str
    home_region: str
    collected_at: datetime
    regions: dict[str, dict[str, Any]]
    collected: list[str]
    resources: list[SnapshotResource]
    errors: list[CollectionError] = field(default_factory=list)
    compartment_id: str | None = None  # root of the audited subtree (the tenancy by default)
    tool: str | None = None  # "ocisec 0.1.0": the collector's version
    path: str | None = None  # the file it was read from or written to
    tenancy_line: int | None = None  # line of "tenancy_id" in that file (tenancy-wide findings)

    @property
    def availability_domains(self) -> dict[str, list[str]]:
        """Region -> AD names."""
        return {r: list(v.get("availability_domains") or []) for r, v in self.regions.items()}

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (without per-line layout; see ``dump``)."""
        return {
            "format": FORMAT,
            "tool": self.tool,
            "tenancy_id": self.tenancy_id,
            "compartment_id": self.compartment_id or self.tenancy_id,
            "home_region": self.home_region,
            "collected_at": format_time(self.collected_at),
            "regions": self.regions,
            "collected": sorted(self.collected),
            "resources": [_resource_dict(r) for r in self.resources],
            "errors": [e.to_dict() for e in self.errors],
        }

    def dump(self) -> str:
        """The snapshot as text: header keys indented, one resource per line (so a finding can
        name its resource's line), deterministic key order."""
        doc = self.to_dict()
        resources = doc.pop("resources")
        head = json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=False)
        body = ",\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True, default=str) for r in resources)
        # Insert the resources array before the closing brace of the header object.
        return head[:-2] + ',\n "resources": [\n' + body + ("\n" if body else "") + " ]\n}\n"

    def write(self, path: Path) -> None:
        """Write ``dump()`` to ``path`` and remember it."""
        path.write_text(self.dump(), encoding="utf-8")
        self.path = str(path)
        _assign_lines(self, path.read_text(encoding="utf-8"))


def _resource_dict(res: SnapshotResource) -> dict[str, Any]:
    out: dict[str, Any] = {"type": res.type, "region": res.region, "data": res.data}
    if res.related:
        out["related"] = res.related
    if res.unreadable:
        out["unreadable"] = res.unreadable
    return out


def load_snapshot(path: str | Path) -> InventorySnapshot:
    """Read and validate a snapshot file; raises ``SnapshotError`` naming the file and problem.

    The file is bounded (``max_plan_bytes``: snapshots are machine-written, like plans), its
    nesting too, and it is checked against ``snapshot.schema.json`` before any of it is used, so
    a wrong shape is an error naming the JSON path, never a crash further on."""
    from scanner.guards.limits import LIMITS
    from scanner.guards.safe_io import UnreadableInput, read_regular_file
    from scanner.guards.safe_json import JsonInputError, check_schema, loads

    p = Path(path)
    try:
        text = read_regular_file(p, LIMITS.max_plan_bytes).decode("utf-8")
    except UnreadableInput as exc:
        raise SnapshotError(f"{p}: cannot read: {exc}") from None
    except UnicodeDecodeError:
        raise SnapshotError(f"{p}: not UTF-8 text") from None
    try:
        doc = loads(text)
    except JsonInputError as exc:
        raise SnapshotError(f"{p}:{exc.line}: {exc}" if exc.line else f"{p}: {exc}") from None
    if isinstance(doc, dict) and doc.get("format") == FORMAT:
        try:
            check_schema(doc, _schema())
        except JsonInputError as exc:
            raise SnapshotError(f"{p}: not a valid snapshot at {exc}") from None
    snapshot = snapshot_from_dict(doc, str(p))
    snapshot.path = str(p)
    _assign_lines(snapshot, text)
    return snapshot


_SCHEMA: dict[str, Any] = {}


def _schema() -> dict[str, Any]:
    if not _SCHEMA:
        _SCHEMA.update(json.loads(Path(__file__).with_name("snapshot.schema.json").read_text(encoding="utf-8")))
    return _SCHEMA


def snapshot_from_dict(doc: Any, name: str = "snapshot") -> InventorySnapshot:
    """Build a snapshot from its parsed JSON; raises ``SnapshotError`` on a wrong shape."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SnapshotError(f'{name}: not an ocisec inventory snapshot (expected "format": "{FORMAT}")')
    for key in ("tenancy_id", "home_region", "collected_at"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            raise SnapshotError(f"{name}: missing or invalid {key!r}")
    collected_at = parse_time(doc["collected_at"])
    if collected_at is None:
        raise SnapshotError(f"{name}: collected_at {doc['collected_at']!r} is not an RFC 3339 time")
    regions = doc.get("regions") or {}
    collected = doc.get("collected") or []
    raw_resources = doc.get("resources") or []
    raw_errors = doc.get("errors") or []
    if not isinstance(regions, dict) or not isinstance(collected, list):
        raise SnapshotError(f"{name}: 'regions' must be an object and 'collected' a list")
    for region, value in regions.items():
        if not isinstance(value, dict):
            raise SnapshotError(f"{name}: regions.{region} must be an object")
    if not isinstance(raw_resources, list) or not isinstance(raw_errors, list):
        raise SnapshotError(f"{name}: 'resources' and 'errors' must be lists")
    resources: list[SnapshotResource] = []
    for i, item in enumerate(raw_resources):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("type"), str)
            or not isinstance(item.get("data"), dict)
        ):
            raise SnapshotError(f"{name}: resources[{i}] needs a string 'type' and an object 'data'")
        related = item.get("related") or {}
        if not isinstance(related, dict):
            raise SnapshotError(f"{name}: resources[{i}].related must be an object")
        for list_name, entries in related.items():
            if entries is not None and not isinstance(entries, list):
                raise SnapshotError(f"{name}: resources[{i}].related.{list_name} must be a list")
        unreadable = item.get("unreadable")
        resources.append(
            SnapshotResource(
                item["type"],
                str(item.get("region") or ""),
                item["data"],
                related,
                unreadable=str(unreadable) if unreadable else None,
            )
        )
    for i, e in enumerate(raw_errors):
        if not isinstance(e, dict):
            raise SnapshotError(f"{name}: errors[{i}] must be an object")
    errors = [
        CollectionError(
            str(e.get("operation", "?")),
            str(e.get("region", "")),
            e.get("compartment_id"),
            e.get("status") if isinstance(e.get("status"), int) else None,
            str(e.get("message", "")),
            e.get("level") if e.get("level") in ("warning", "note") else "error",
        )
        for e in raw_errors
        if isinstance(e, dict)
    ]
    return InventorySnapshot(
        tenancy_id=doc["tenancy_id"],
        home_region=doc["home_region"],
        collected_at=collected_at,
        regions=regions,
        collected=[str(c) for c in collected],
        resources=resources,
        errors=errors,
        compartment_id=doc.get("compartment_id"),
        tool=doc.get("tool"),
    )


def _assign_lines(snapshot: InventorySnapshot, text: str) -> None:
    """Line of each resource, when the file has the writer's one-resource-per-line layout."""
    all_lines = text.splitlines()
    snapshot.tenancy_line = next((i for i, ln in enumerate(all_lines, 1) if '"tenancy_id"' in ln), None)
    lines = [i for i, ln in enumerate(all_lines, 1) if ln.startswith('{"data": ')]
    if len(lines) == len(snapshot.resources):
        for res, line in zip(snapshot.resources, lines, strict=True):
            res.line = line
