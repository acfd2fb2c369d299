"""Machine-readable report with a documented, versioned schema (docs/json-output.md,
scanner/report/json-output.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from scanner import __version__
from scanner.model import Finding, InputError, Location, Rule, ScanResult, Status
from scanner.report.fingerprint import fingerprint
from scanner.report.metadata import describe, generated_at
from scanner.report.names import escape_controls, live_label
from scanner.report.summary import Summary, heading, report_order

# Bump the minor version when fields are added, the major one when a field changes or goes.
# 1.1: suppressions, generated_at, metadata, live ocid/region/compartment_id; 1.2: heading, rule failure/fix;
# 1.3: drift and unmanaged (audits given --state); rule benchmarks, compliance (--benchmark)
SCHEMA_VERSION = "1.3"


def render(result: ScanResult) -> str:
    """The JSON report, indented, keys in schema order, ending in a newline."""
    # default=str: a parameter value that is not JSON (a date from YAML) is shown, not fatal.
    return json.dumps(to_document(result), indent=2, ensure_ascii=False, default=str) + "\n"


def to_document(result: ScanResult) -> dict[str, Any]:
    """The report as plain data (what ``render`` serializes)."""
    summary = Summary.of(result)
    return {
        "tool": {"name": "ocisec", "version": __version__},
        "schema_version": SCHEMA_VERSION,
        "root": result.root,
        "strict": result.strict,
        "inputs": list(result.inputs),
        "generated_at": generated_at(result),
        "metadata": describe(result),
        "summary": {
            "resources": summary.resources,
            "files": summary.files,
            "passed": summary.passed,
            "failed": summary.failed,
            "unknown": summary.unknown,
            "errors": summary.errors,
            "failing": summary.failing,
            "by_severity": summary.by_severity,
            "suppressed": summary.suppressed,
            "baselined": summary.baselined,
        },
        "findings": [_finding(result, f) for f in report_order(result.by_status(Status.FAILED), result)],
        "unknown": [_finding(result, f) for f in report_order(result.by_status(Status.UNKNOWN), result)],
        "errors": [_error(e) for e in result.errors],
        "suppressed": [_suppressed(result, f) for f in report_order(result.suppressed, result)],
        "rules": [_rule(r) for r in sorted(result.rules, key=lambda r: r.id)],
        **_code_and_cloud(result),
        **_compliance(result),
    }


def _code_and_cloud(result: ScanResult) -> dict[str, Any]:
    """``drift`` and ``unmanaged`` of an audit given ``--state`` (absent otherwise)."""
    from scanner.report.cloud import drift_record, has_cloud_sections, unmanaged_record

    if not has_cloud_sections(result):
        return {}
    return {
        "drift": [drift_record(d) for d in result.drift],
        "unmanaged": [unmanaged_record(u) for u in result.unmanaged],
    }


def _compliance(result: ScanResult) -> dict[str, Any]:
    """``{"compliance": ...}`` when the scan ran for a benchmark (``--benchmark``), else nothing."""
    from scanner.report.compliance import compliance_document, compliance_of

    report = compliance_of(result)
    return {"compliance": compliance_document(report)} if report is not None else {}


def _finding(result: ScanResult, finding: Finding) -> dict[str, Any]:
    rule = result.rule(finding.rule_id)
    return {
        "rule_id": rule.id,
        "title": rule.title,
        "heading": heading(rule, finding),
        "severity": rule.severity.value,
        "category": rule.category,
        "status": finding.status.value,
        "resource": {
            "kind": finding.resource.kind,
            "address": finding.resource.address,
            "source": finding.resource.provenance.source,
            **_live_identity(finding),
        },
        "location": _location(finding.location),
        "attribute": finding.attribute,
        "message": finding.message,
        "remediation": rule.remediation,
        "fingerprint": fingerprint(finding),
    }


def _suppressed(result: ScanResult, finding: Finding) -> dict[str, Any]:
    doc = _finding(result, finding)
    sup = finding.suppression
    assert sup is not None
    doc["suppression"] = {
        "kind": sup.kind,
        "justification": sup.justification,
        "expires": sup.expires,
        "origin": sup.origin,
    }
    return doc


def _live_identity(finding: Finding) -> dict[str, str]:
    """OCID, region and compartment of a live object (absent for code), for grouping and diffs."""
    prov = finding.resource.provenance
    ctx = finding.resource.context
    fields = {"ocid": prov.ocid, "region": prov.region, "compartment_id": prov.compartment_id}
    if prov.source == "oci":  # what a person reads: "platform/apps · bucket marketing-assets"
        path = ctx.get("compartment_path")
        fields.update(
            compartment_path=escape_controls(path) if isinstance(path, str) else None,
            label=live_label(finding),
        )
    return {key: value for key, value in fields.items() if isinstance(value, str) and value}


def _location(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.file, "start_line": location.start_line, "end_line": location.end_line}


def _error(error: InputError) -> dict[str, Any]:
    return {"path": error.path, "line": error.line, "message": error.message, "level": error.level}


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "failure": rule.failure,
        "fix": rule.fix,
        "severity": rule.severity.value,
        "category": rule.category,
        "rationale": rule.rationale,
        "remediation": rule.remediation,
        "resource_kinds": rule.resource_kinds,
        "parameters": dict(rule.parameters),
        "tags": list(rule.tags),
        "benchmarks": [dict(ref) for ref in rule.benchmarks],
        "references": [dict(ref) for ref in rule.references],
        "help_uri": rule.help_uri,
    }
