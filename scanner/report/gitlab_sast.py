"""GitLab SAST report (``artifacts: reports: sast``), security report schema 15.0.x, so that
findings appear in the merge request's security widget and the vulnerability report.

Each failing finding becomes a vulnerability whose ``id`` is derived from the finding's
fingerprint (a UUID v5), so GitLab recognises the same finding across pipelines. Inputs that
could not be read become ``scan.messages`` and mark the scan ``failure``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from scanner import __version__
from scanner.model import ScanResult, Severity
from scanner.report.fingerprint import fingerprint
from scanner.report.paths import rebaser
from scanner.report.summary import severity_order

SCHEMA_VERSION = "15.0.7"
SCHEMA_URI = (
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
    f"v{SCHEMA_VERSION}/dist/sast-report-format.json"
)
SEVERITY = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
}
_NAMESPACE = uuid.UUID("8d0d8c5e-4c7e-5b7a-9e55-0c1d2e3f4a5b")  # fixed: ids stay the same across runs
TOOL = {
    "id": "ocisec",
    "name": "ocisec",
    "url": "https://github.com/ocisec/ocisec",
    "vendor": {"name": "ocisec"},
    "version": __version__,
}


def render(result: ScanResult) -> str:
    """The report as indented JSON, ending in a newline."""
    return json.dumps(to_document(result), indent=2, ensure_ascii=False) + "\n"


def _text(name: str, value: str) -> dict[str, str]:
    return {"name": name, "type": "text", "value": value}


def _fixed_live(result: ScanResult, rebase: Any) -> list[dict[str, Any]]:
    """Drift the other way (fails in code, fixed by hand live): the code still has the problem,
    so it is a vulnerability at its .tf line. Drift that fails live is already a finding above,
    its details say so."""
    out = []
    for d in result.drift:
        if d.direction != "fixed_live":
            continue
        rule = result.rule(d.rule_id)
        vuln: dict[str, Any] = {
            "id": str(uuid.uuid5(_NAMESPACE, f"fixed_live\0{d.rule_id}\0{d.address}\0{d.attribute}")),
            "name": f"{rule.failure or rule.title} (in code; fixed by hand live)",
            "description": d.message,
            "severity": SEVERITY[rule.severity],
            "solution": rule.fix or rule.remediation,
            "identifiers": [
                {"type": "ocisec_rule_id", "name": rule.id, "value": rule.id, "url": rule.help_uri}
            ],
            "links": [{"url": rule.help_uri}],
            "location": {},
            "details": {"drift": {"name": "Drift", "type": "text", "value": d.direction}},
        }
        if d.location is not None:
            vuln["location"] = {"file": rebase(d.location.file), "start_line": max(1, d.location.start_line),
                                "end_line": max(1, d.location.start_line, d.location.end_line)}
        out.append(vuln)
    return out


def to_document(result: ScanResult) -> dict[str, Any]:
    """The report as plain data."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    rebase = rebaser(result)
    vulnerabilities = []
    for finding in severity_order(result.failed, result):
        rule = result.rule(finding.rule_id)
        vuln: dict[str, Any] = {
            "id": str(uuid.uuid5(_NAMESPACE, fingerprint(finding))),
            "name": rule.failure or rule.title,
            "description": f"{finding.message}\n\n{rule.rationale}".strip(),
            "severity": SEVERITY[rule.severity],
            "solution": rule.fix or rule.remediation,
            "identifiers": [
                {"type": "ocisec_rule_id", "name": rule.id, "value": rule.id, "url": rule.help_uri}
            ],
            "links": [{"url": rule.help_uri}],
            "location": {},
        }
        if finding.location is not None:
            vuln["location"] = {
                "file": rebase(finding.location.file),
                "start_line": max(1, finding.location.start_line),
                "end_line": max(1, finding.location.start_line, finding.location.end_line),
            }
        vuln["details"] = {
            "resource": {"name": "Resource", "type": "text", "value": finding.resource.address},
        }
        declared = finding.resource.context.get("terraform_address")
        if declared:  # a managed live object: its Terraform address, and whether the rule drifted
            drifted = rule.id in finding.resource.context.get("drift_rules", ())
            vuln["details"]["terraform_address"] = _text("Terraform address", declared)
            vuln["details"]["drift"] = _text("Drift", "fails_live" if drifted else "none")
        elif finding.resource.context.get("unmanaged"):
            vuln["details"]["unmanaged"] = _text("Unmanaged", "no Terraform state entry")
        vulnerabilities.append(vuln)
    vulnerabilities += _fixed_live(result, rebase)
    messages = [
        {
            "level": "warn" if error.level == "error" else "info",
            "value": f"{error.path}{f':{error.line}' if error.line else ''}: {error.message}",
        }
        for error in result.errors
    ]
    scan: dict[str, Any] = {
        "analyzer": TOOL,
        "scanner": TOOL,
        "type": "sast",
        "start_time": now,
        "end_time": now,
        "status": "failure" if result.input_errors else "success",
    }
    if messages:
        scan["messages"] = messages
    return {"schema": SCHEMA_URI, "version": SCHEMA_VERSION, "scan": scan, "vulnerabilities": vulnerabilities}
