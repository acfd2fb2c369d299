"""``ocisec diff OLD NEW``: what changed between two results.

Each side is an ocisec JSON result (``--format json``) or an ``ocisec-inventory/1`` snapshot, which
is audited offline first (through the live source's ``audit_snapshot``). Findings are matched by
their line-independent fingerprint (``scanner.report.fingerprint``), so code that merely moved is
not reported as fixed-and-new. For live objects the file is left out of the match: the address
is the OCID, and two snapshots of one tenancy are two different files.

A finding is *failing* when it failed (or, in a ``--strict`` result, could not be decided). Then:

- **new**: failing in NEW, not in OLD;
- **fixed**: failing in OLD, absent from NEW (it passed, or the resource is gone);
- **persisting**: failing in both;
- **undecided**: failing in OLD, but only *unknown* in NEW — not counted as fixed;
- **accepted**: failing in OLD, an accepted risk in NEW (inline comment, waiver, baseline);
- **unknown**: every other result NEW could not decide, for context.

A side with input errors is incomplete: a finding may look fixed only because its file or API
call could not be read. The errors of both sides are listed and the CLI exits 2.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from scanner.model import (
    Finding,
    InputError,
    Location,
    Provenance,
    Resource,
    Rule,
    ScanResult,
    Severity,
    Status,
    Suppression,
    Target,
)
from scanner.model.diff import DiffEntry, DiffResult, Side, State
from scanner.report.fingerprint import fingerprint
from scanner.report.redact import Redactor

SNAPSHOT_FORMAT_PREFIX = "ocisec-inventory/"
LIVE_SOURCES = frozenset({"oci"})


class DiffInputError(Exception):
    """A side of the diff that cannot be read; ``str()`` names the file and the problem."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.message = message


def match_key(finding: Finding) -> str:
    """The identity a finding is matched by across runs: its fingerprint, but for live objects
    without the file (a snapshot's file name changes from run to run; the OCID does not)."""
    if finding.resource.provenance.source in LIVE_SOURCES:
        parts = [finding.rule_id, "", finding.resource.address, finding.attribute or ""]
        return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()
    return fingerprint(finding)


def compare(old: Side, new: Side) -> DiffResult:
    """Match the failing findings of ``old`` and ``new`` by ``match_key``.

    Duplicates (two findings with one key) are matched as multisets: with two in OLD and three
    in NEW, two persist and one is new.
    """
    old_failing = _by_key(old.result.failed)
    new_failing = _by_key(new.result.failed)
    new_unknown = _by_key(f for f in new.result.by_status(Status.UNKNOWN) if not new.result.strict)
    new_accepted = _by_key(new.result.suppressed)
    rules = _rules(old.result, new.result)
    entries: list[DiffEntry] = []
    for key, found in new_failing.items():
        before = len(old_failing.get(key, ()))
        for i, finding in enumerate(found):
            state = State.PERSISTING if i < before else State.NEW
            entries.append(DiffEntry(state, finding, rules[finding.rule_id], "new"))
    for key, found in old_failing.items():
        for finding in found[len(new_failing.get(key, ())) :]:
            if key in new_accepted:
                accepted = new_accepted[key][0]
                entries.append(DiffEntry(State.ACCEPTED, accepted, rules[accepted.rule_id], "new"))
            else:
                state = State.UNDECIDED if key in new_unknown else State.FIXED
                entries.append(DiffEntry(state, finding, rules[finding.rule_id], "old"))
    unknown = [
        DiffEntry(State.UNDECIDED, f, rules[f.rule_id], "new")
        for found in new_unknown.values()
        for f in found
    ]
    return DiffResult(old, new, _ordered(entries), _ordered(unknown))


def _by_key(findings: Any) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[match_key(finding)].append(finding)
    return grouped


def _rules(old: ScanResult, new: ScanResult) -> dict[str, Rule]:
    """Every rule of both sides; NEW's version wins (its severity is today's)."""
    rules = {rule.id: rule for rule in old.rules}
    rules.update({rule.id: rule for rule in new.rules})
    return rules


def _ordered(entries: list[DiffEntry]) -> list[DiffEntry]:
    def key(entry: DiffEntry) -> tuple:
        loc = entry.finding.location
        return (
            -entry.rule.severity.rank,
            entry.rule.id,
            loc.file if loc else "",
            entry.finding.resource.address,
            entry.finding.attribute or "",
        )

    return sorted(entries, key=key)


# --- reading the two sides -------------------------------------------------------------------


def load_side(path: Path, options: Any = None) -> Side:
    """Read one side: a JSON result, or a snapshot audited offline with ``options`` (the live
    source's audit options; None for its defaults). Raises ``DiffInputError`` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DiffInputError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DiffInputError(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiffInputError(path, f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if isinstance(doc, dict) and str(doc.get("format", "")).startswith(SNAPSHOT_FORMAT_PREFIX):
        return Side(str(path), "snapshot", _audit_snapshot(path, options))
    if isinstance(doc, dict) and isinstance(doc.get("tool"), dict) and doc["tool"].get("name") == "ocisec":
        return Side(str(path), "json", result_from_document(doc, path))
    raise DiffInputError(
        path, "neither an ocisec JSON result (`ocisec scan --format json`) nor an ocisec-inventory snapshot"
    )


def _audit_snapshot(path: Path, options: Any) -> ScanResult:
    """Replay a snapshot through the live audit (imported only when a snapshot is given)."""
    try:
        from scanner.workflow.audit import audit_snapshot, load_snapshot
    except ImportError:
        try:  # where the live source may keep them instead
            from scanner.sources.oci import audit_snapshot, load_snapshot  # type: ignore[attr-defined,no-redef]
        except ImportError:
            raise DiffInputError(
                path, "is an ocisec-inventory snapshot, but this ocisec has no live audit"
            ) from None
    try:
        snapshot = load_snapshot(path)
    except (OSError, ValueError) as exc:
        raise DiffInputError(path, f"not a readable snapshot: {exc}") from None
    result = audit_snapshot(snapshot, options)
    # Messages of a replayed audit may quote values: scrub them as `render` would.
    return Redactor.for_result(result).scrub_result(result)


@lru_cache(maxsize=1)
def _result_schema() -> dict[str, Any]:
    text = resources.files("scanner.report").joinpath("json-output.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def result_from_document(doc: dict[str, Any], path: Path | str = "<result>") -> ScanResult:
    """Rebuild the ``ScanResult`` an ocisec JSON result describes (resources carry no attributes;
    passed results are only counted there, so they are not rebuilt)."""
    import jsonschema

    errors = sorted(
        jsonschema.Draft202012Validator(_result_schema()).iter_errors(doc),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        first = errors[0]
        where = "/".join(map(str, first.absolute_path)) or "(top level)"
        raise DiffInputError(path, f"not a valid ocisec JSON result at {where}: {first.message}")
    rules = {r["id"]: _rule(r) for r in doc["rules"]}
    findings: list[Finding] = []
    sources: dict[str, None] = {}
    for record in [*doc["findings"], *doc["unknown"], *doc.get("suppressed", [])]:
        if record["rule_id"] not in rules:  # a hand-trimmed result: the finding still says enough
            rules[record["rule_id"]] = _rule({**record, "id": record["rule_id"]})
        findings.append(_finding(record))
        sources.setdefault(record["resource"]["source"], None)
    metadata = dict(doc.get("metadata") or {})
    if doc.get("generated_at"):
        metadata["generated_at"] = doc["generated_at"]
    return ScanResult(
        rules=list(rules.values()),
        findings=findings,
        errors=[
            InputError(e["path"], e["message"], e["line"], e.get("level", "error")) for e in doc["errors"]
        ],
        root=doc["root"],
        inputs=list(doc["inputs"]),
        source_categories=list(sources),
        strict=doc["strict"],
        resource_count=doc["summary"]["resources"],
        metadata=metadata,
    )


def _rule(record: dict[str, Any]) -> Rule:
    return Rule(
        id=record["id"],
        title=record["title"],
        failure=record.get("failure", ""),  # results written before 0.1.0 have none
        fix=record.get("fix", ""),
        severity=Severity(record["severity"]),
        category=record["category"],
        rationale=record.get("rationale", ""),
        remediation=record.get("remediation", ""),
        targets=[Target(resources=list(record.get("resource_kinds", [])), condition={})],
        message="",
        references=[dict(r) for r in record.get("references", [])],
        parameters=dict(record.get("parameters", {})),
        tags=list(record.get("tags", [])),
    )


def _finding(record: dict[str, Any]) -> Finding:
    res = record["resource"]
    loc = record["location"]
    location = Location(loc["file"], loc["start_line"], loc["end_line"]) if loc else None
    provenance = Provenance(
        source=res["source"],
        location=location,
        ocid=res.get("ocid"),
        region=res.get("region"),
        compartment_id=res.get("compartment_id"),
    )
    resource = Resource(kind=res["kind"], address=res["address"], attributes={}, provenance=provenance)
    sup = record.get("suppression")
    return Finding(
        rule_id=record["rule_id"],
        status=Status(record["status"]),
        resource=resource,
        message=record["message"],
        location=location,
        attribute=record["attribute"],
        suppression=(
            None
            if not sup
            else Suppression(sup["kind"], sup["justification"], sup.get("expires"), sup.get("origin"))
        ),
    )


def diff_paths(old: Path, new: Path, options: Any = None, earlier: list[Path] | None = None) -> DiffResult:
    """Load both sides and compare them; ``earlier`` results (oldest first) only extend the trend."""
    diff = compare(load_side(old, options), load_side(new, options))
    diff.earlier = [load_side(path, options) for path in earlier or ()]
    return diff
