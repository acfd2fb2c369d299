"""A live audit: evaluate the rules over a tenancy inventory snapshot.

``audit_snapshot`` is the offline half (``ocisec audit --from-snapshot``, ``ocisec diff``, the
HTML report); ``run_live_audit`` collects a snapshot through the ``oci`` SDK first. Both give a
``ScanResult`` whose ``metadata`` says which tenancy, regions and time it describes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.engine.engine import evaluate_rules
from scanner.engine.policy import load_rules
from scanner.model import InputError, ScanResult
from scanner.model.timestamps import format_time
from scanner.sources.oci.mapping import snapshot_resources
from scanner.sources.oci.snapshot import CollectionError, InventorySnapshot, SnapshotError, load_snapshot
from scanner.workflow.suppress import apply_suppressions

__all__ = ["AuditOptions", "audit_snapshot", "load_snapshot", "SnapshotError", "error_of"]


@dataclass
class AuditOptions:
    """What shapes the evaluation of a snapshot."""

    strict: bool = False
    policy_dir: Path | None = None
    cache_dir: Path | None = None  # rules cache
    rule_ids: list[str] | None = None
    root: Path | None = None  # report paths relative to this (default: the working directory)
    # The configuration (scanner.workflow.config.Settings: rule selection, parameters, policy directories,
    # waivers) and a baseline (scanner.workflow.baseline.Baseline), as for `ocisec scan`.
    settings: Any = None
    baseline: Any = None
    # Code and cloud side by side (``--state``): ``scanner.workflow.cloud.CodeAndCloud``, which
    # moves managed findings onto the .tf lines and adds drift and unmanaged objects.
    code_and_cloud: Any = None


def error_of(error: CollectionError) -> InputError:
    """A failed call as an input error: ``oci:<operation> <region> <compartment>`` — the colon
    tells reporters it is an API call, not a file."""
    where = " ".join(p for p in (error.region, error.compartment_id) if p)
    if error.level != "error":  # said, but nothing was lost
        return InputError(f"oci:{error.operation} {where}".rstrip(), error.message, level=error.level)
    status = f"HTTP {error.status}" if error.status else "no response"
    return InputError(f"oci:{error.operation} {where}".rstrip(), f"{status}: {error.message}")


def audit_snapshot(snapshot: InventorySnapshot, options: AuditOptions | None = None) -> ScanResult:
    """Run the rules over ``snapshot``: findings carry OCIDs, regions and compartments (and the
    snapshot file's line when the snapshot has a file); every collection error is an input error."""
    options = options or AuditOptions()
    root = (options.root or Path.cwd()).resolve()
    location_file = None
    inputs: list[str] = []
    if snapshot.path:
        location_file = _relative(Path(snapshot.path), root)
        inputs.append(location_file)
    resources = snapshot_resources(snapshot, location_file)
    if options.settings is not None:  # raises ConfigError for unknown rule ids or parameters
        rules, errors = options.settings.load_rules(options.cache_dir)
    else:
        rules, errors = load_rules(options.policy_dir, options.cache_dir)
    if options.rule_ids is not None:
        wanted = set(options.rule_ids)
        rules = [r for r in rules if r.id in wanted]
    errors = list(errors) + [error_of(e) for e in snapshot.errors]
    errors += unknown_type_notes(snapshot, location_file)
    findings, engine_errors = evaluate_rules(rules, resources)
    errors += engine_errors
    if options.code_and_cloud is not None:
        # Before suppressions: a managed finding then sits on its .tf line, where an inline
        # comment may accept it, as it would in a scan of the code.
        errors += options.code_and_cloud.join(findings, resources, rules, root)
    # Accepted risks: waivers match live objects by OCID / address, the baseline by fingerprint.
    errors += apply_suppressions(findings, root, options.settings, options.baseline)
    result = ScanResult(
        rules=rules,
        findings=findings,
        errors=errors,
        root=str(root),
        inputs=inputs,
        source_categories=["oci"],
        strict=options.strict,
        resource_count=len(resources),
        metadata=snapshot_metadata(snapshot),
        benchmark=getattr(options.settings, "benchmark", None),
    )
    if options.code_and_cloud is not None:
        options.code_and_cloud.describe(result)
    return result


def unknown_type_notes(snapshot: InventorySnapshot, location_file: str | None) -> list[InputError]:
    """A note per object type in the snapshot that ocisec does not map (a newer collector, a
    hand-edited file), with how many objects it has: read, not audited, never dropped in silence
    (as unknown Kubernetes kinds are noted)."""
    from collections import Counter

    from scanner.sources.oci.mapping import TYPES

    # Identity-domain objects are mapped through their legacy shapes (mapping.snapshot_resources).
    counts = Counter(
        item.type
        for item in snapshot.resources
        if item.type not in TYPES and not item.type.startswith("identity_domains.")
    )
    where = location_file or snapshot.path or "snapshot"
    return [
        InputError(where, f"{n} object{'s' if n != 1 else ''} of type {kind} not audited: "
                          "ocisec has no mapping for this type", level="note")  # fmt: skip
        for kind, n in sorted(counts.items())
    ]


def snapshot_metadata(snapshot: InventorySnapshot) -> dict[str, object]:
    """What an audit result describes: tool, tenancy, compartment, regions, collection time."""
    return {
        "tool": "ocisec",
        "version": __version__,
        "source": "oci",
        "tenancy_id": snapshot.tenancy_id,
        "compartment_id": snapshot.compartment_id or snapshot.tenancy_id,
        "home_region": snapshot.home_region,
        "regions": sorted(snapshot.regions),
        "collected_at": format_time(snapshot.collected_at),
        "collected_by": snapshot.tool,
        "snapshot": snapshot.path,
        "collection_errors": sum(1 for e in snapshot.errors if e.level == "error"),
    }


def _relative(path: Path, root: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(resolved, root)).as_posix()


# --- the ``ocisec audit`` command's logic (the CLI only parses options) ---------------------------


@dataclass
class AuditRequest:
    """Everything ``ocisec audit`` was asked to do."""

    from_snapshot: Path | None = None
    snapshot_out: Path | None = None
    config_file: Path | None = None
    profile: str | None = None
    auth: str | None = None  # None: OCI_CLI_AUTH, else api_key
    regions: list[str] | None = None
    compartment: str | None = None
    concurrency: int = 16
    processes: int = 1  # worker processes for the regions (each with ``concurrency`` calls in flight)
    service_endpoint: str | None = None  # "http://127.0.0.1:PORT/{region}": tests and benchmarks
    progress: bool = False


class AuditSetupError(Exception):
    """Auth, config or snapshot problems: one line for the user, never a traceback."""


def auditor_policy_text(
    subject: str, compartment_id: str | None = None, states: list[str] | None = None
) -> str:
    """``ocisec audit --print-policy``: the auditing principal's least-privilege statements, one
    per line. ``subject`` is ``group NAME`` or ``dynamic-group NAME`` (checked: it is pasted into
    a policy). ``states``: the ``--state`` arguments; each ``oci://NS/BUCKET/KEY`` among them
    adds ``read objects`` on that bucket (a malformed one is a ValueError naming it)."""
    import re

    from scanner.sources.oci.auditor_policy import auditor_statements
    from scanner.sources.oci.remote_state import RemoteStateUnavailable, parse_url

    buckets: list[str] = []
    for state in states or []:
        if state.startswith("oci://"):
            try:
                buckets.append(parse_url(state)[1])  # the name is checked: [A-Za-z0-9_.-] only
            except RemoteStateUnavailable as exc:
                raise ValueError(f"--state {exc}") from None

    if not re.fullmatch(r"(group|dynamic-group) [A-Za-z0-9_.'/-]{1,100}", subject.strip()):
        raise ValueError(f'--policy-subject must be "group NAME" or "dynamic-group NAME", not {subject!r}')
    if compartment_id is not None and not re.fullmatch(r"ocid1\.[a-z0-9.]+\.[A-Za-z0-9._-]+", compartment_id):
        raise ValueError(f"--compartment must be a compartment OCID, not {compartment_id!r}")
    return "\n".join(auditor_statements(subject.strip(), compartment_id, state_buckets=tuple(buckets))) + "\n"


def only_regions(snapshot: InventorySnapshot, regions: list[str]) -> InventorySnapshot:
    """``snapshot`` narrowed to ``regions`` (``--region`` on a replay). A region the snapshot
    does not hold is an error: auditing everything instead would answer another question.
    Tenancy-wide objects (IAM, Cloud Guard: kept in the home region) stay."""
    missing = [r for r in regions if r not in snapshot.regions]
    if missing:
        held = ", ".join(sorted(snapshot.regions)) or "none"
        raise AuditSetupError(
            f"{snapshot.path or 'snapshot'}: no region {', '.join(missing)} in this snapshot "
            f"(it holds {held})"
        )
    wanted = set(regions)
    global_types = ("identity.", "cloud_guard.")
    snapshot.resources = [
        r for r in snapshot.resources if r.region in wanted or r.type.startswith(global_types)
    ]
    snapshot.regions = {r: v for r, v in snapshot.regions.items() if r in wanted}
    # The home region's errors stay: tenancy-wide objects (kept above) are listed there.
    keep = wanted | {snapshot.home_region, ""}
    snapshot.errors = [e for e in snapshot.errors if (e.region or "") in keep]
    return snapshot


def obtain_snapshot(request: AuditRequest) -> InventorySnapshot:
    """Read ``--from-snapshot`` or collect live (writing ``--snapshot-out`` when asked)."""
    if request.from_snapshot is not None:
        try:
            snapshot = load_snapshot(request.from_snapshot)
        except SnapshotError as exc:
            raise AuditSetupError(str(exc)) from None
        return only_regions(snapshot, request.regions) if request.regions else snapshot
    from scanner.sources.oci.auth import AuthError, make_session
    from scanner.sources.oci.collector import Collector, SdkTooOld, check_sdk_fields

    try:  # before any call: an SDK too old to hold the fields the rules read is a setup error
        check_sdk_fields()
    except SdkTooOld as exc:
        raise AuditSetupError(str(exc)) from None

    try:
        # The first region asked for is the last resort for the region of the first calls
        # (a principal or profile without one).
        session = make_session(
            request.auth,
            request.config_file,
            request.profile,
            request.service_endpoint,
            region=(request.regions or [None])[0],
        )
    except AuthError as exc:
        raise AuditSetupError(str(exc)) from None
    collector = Collector(
        session,
        regions=request.regions,
        compartment_id=request.compartment,
        concurrency=request.concurrency,
        progress=request.progress,
        processes=request.processes,
        session_spec=session.spec,  # the resolved method, rebuilt in worker processes
    )
    snapshot = collector.collect()
    if request.snapshot_out is not None:
        try:
            snapshot.write(request.snapshot_out)
        except OSError as exc:
            raise AuditSetupError(f"cannot write {request.snapshot_out}: {exc.strerror or exc}") from None
    return snapshot
