"""GitLab Code Quality report (``artifacts: reports: codequality``).

Unlike the SAST report, Code Quality works on every GitLab tier: the merge request widget lists
the findings and the diff view marks their lines. The format is a JSON array of issues, each with
``description``, ``check_name``, ``fingerprint``, ``severity`` (``info``, ``minor``, ``major``,
``critical``, ``blocker``) and ``location.path`` / ``location.lines.begin``.

GitLab compares fingerprints between the source and target branches to say which findings are
new, so the fingerprint is the line-independent one SARIF and baselines use.
"""

from __future__ import annotations

import json
from typing import Any

from scanner.model import ScanResult, Severity, Status
from scanner.report.fingerprint import finding_file, fingerprint
from scanner.report.paths import rebaser
from scanner.report.summary import severity_order

# ocisec's four severities onto GitLab's five; ``info`` is left for notes, which are not issues.
SEVERITY = {
    Severity.CRITICAL: "blocker",
    Severity.HIGH: "critical",
    Severity.MEDIUM: "major",
    Severity.LOW: "minor",
}


def render(result: ScanResult) -> str:
    """The report as indented JSON, ending in a newline."""
    return json.dumps(to_document(result), indent=2, ensure_ascii=False) + "\n"


def to_document(result: ScanResult) -> list[dict[str, Any]]:
    """Every failing finding (unknown ones too under ``--strict``) as a Code Quality issue.

    A live finding has no file: it points at the snapshot when the audit wrote or read one, else
    at the resource's OCID, so that GitLab still lists it (an issue without a path is dropped).
    """
    rebase = rebaser(result)
    issues = []
    for finding in severity_order(result.failed, result):
        rule = result.rule(finding.rule_id)
        heading = (rule.failure or rule.title) if finding.status is Status.FAILED else rule.title
        path = finding_file(finding)
        line = finding.location.start_line if finding.location is not None else 1
        if path is not None:
            path = rebase(path)
        else:
            path = finding.resource.provenance.ocid or finding.resource.address
        issues.append({
            "type": "issue",
            "check_name": rule.id,
            "description": f"{rule.id} {heading}: {finding.message}",
            "content": {"body": f"{rule.fix or rule.remediation}\n\n{rule.help_uri}".strip()},
            "categories": ["Security"],
            "severity": SEVERITY[rule.severity],
            "fingerprint": fingerprint(finding),
            "location": {"path": path, "lines": {"begin": max(1, line)}},
        })
    return issues
