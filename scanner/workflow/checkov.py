"""Checkov beside ocisec: ``ocisec scan --with-checkov``.

Checkov runs as a separate process from its own environment (it pins ``bc-python-hcl2``, which
installs the same ``hcl2`` module as ocisec's python-hcl2, so the two cannot share one). Its JSON
results become findings under their ``CKV_*`` ids and go into every output format with ocisec's
own. A Checkov check that tests what an ocisec rule already tests is dropped on every resource
ocisec judged with that rule (``DUPLICATES``): one problem, one finding, in ocisec's words.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
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
    Target,
    strip_instance_keys,
)

# Checkov check -> the ocisec rule that tests the same property of the same resource type.
# Built from Checkov's OCI checks (checkov/terraform/checks/resource/oci and graph_checks/oci).
DUPLICATES: dict[str, str] = {
    "CKV_OCI_3": "OCI-ENC-002",  # block volume encrypted with a customer-managed key
    "CKV_OCI_4": "OCI-ENC-009",  # instance in-transit encryption of volume attachments
    "CKV_OCI_7": "OCI-DAT-003",  # bucket emits object events
    "CKV_OCI_8": "OCI-DAT-002",  # bucket versioning
    "CKV_OCI_9": "OCI-ENC-001",  # bucket encrypted with a customer-managed key
    "CKV_OCI_10": "OCI-DAT-001",  # bucket not public
    "CKV_OCI_15": "OCI-ENC-004",  # file system encrypted with a customer-managed key
    "CKV2_OCI_1": "OCI-IAM-005",  # no API key for an administrator
    "CKV2_OCI_4": "OCI-DAT-005",  # file system export squashes root
    "CKV2_OCI_5": "OCI-ENC-009",  # node pool in-transit encryption
}
# Checkov reports a severity only with a platform API key; without one its findings are medium.
DEFAULT_SEVERITY = Severity.MEDIUM
POLICY_INDEX = "https://www.checkov.io/5.Policy%20Index/terraform.html"
TIMEOUT_SECONDS = 1800


class CheckovMissing(Exception):
    """No usable checkov executable; the message says how to get one."""


@dataclass
class CheckovRule(Rule):
    """A Checkov check as a rule: its docs are Checkov's guideline, not ocisec's rules.md."""

    guideline: str = ""

    @property
    def help_uri(self) -> str:  # type: ignore[override]
        """Checkov's guideline for the check, else its policy index."""
        return self.guideline or POLICY_INDEX


@dataclass
class CheckovRun:
    """Findings and rules from one Checkov run, plus what went wrong running it."""

    findings: list[Finding] = field(default_factory=list)
    rules: dict[str, CheckovRule] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)
    version: str = ""


def find_checkov(explicit: Path | None = None) -> Path:
    """``--checkov-bin``, else ``$OCISEC_CHECKOV_BIN``, else ``checkov`` on ``PATH``."""
    from_env = os.environ.get("OCISEC_CHECKOV_BIN")
    candidate = explicit or (Path(from_env) if from_env else None)
    if candidate is None:
        found = shutil.which("checkov")
        candidate = Path(found) if found else None
    if candidate is None or not candidate.is_file() or not os.access(candidate, os.X_OK):
        where = f"{candidate} is not an executable file" if candidate else "no checkov on PATH"
        raise CheckovMissing(
            f"{where}. Install Checkov into its own virtualenv (it cannot share one with ocisec): "
            "python3 -m venv ~/.venv-checkov && ~/.venv-checkov/bin/pip install checkov, "
            "then pass --checkov-bin ~/.venv-checkov/bin/checkov"
        )
    return candidate


def checkov_command(checkov: Path, paths: list[Path]) -> list[str]:
    """The Checkov invocation for ``paths``: directories with ``-d``, files with ``-f``; plan JSON
    adds the terraform_plan framework. ``--soft-fail``: exit 0 on findings, so a non-zero exit
    means Checkov itself failed."""
    cmd = [str(checkov), "-o", "json", "--quiet", "--compact", "--skip-download", "--soft-fail"]
    frameworks = ["terraform"]
    for path in paths:
        if path.is_dir():
            cmd += ["-d", str(path)]
        else:
            cmd += ["-f", str(path)]
            if path.suffix == ".json" and not path.name.endswith(".tf.json"):
                frameworks.append("terraform_plan")
    return [*cmd, "--framework", *dict.fromkeys(frameworks)]


def run_checkov(checkov: Path, paths: list[Path], root: Path) -> CheckovRun:
    """Run Checkov over ``paths`` and map its failed checks to findings (locations relative to
    ``root``). A Checkov that cannot run or whose output is not JSON is an ``InputError``."""
    run = CheckovRun()
    existing = [p for p in paths if p.exists()]
    if not existing:
        return run
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"}
    try:
        cmd = checkov_command(checkov, existing)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        run.errors.append(InputError(str(checkov), f"checkov could not run: {exc}"))
        return run
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        run.errors.append(InputError(str(checkov), f"checkov exited {proc.returncode}: {tail[0][:300]}"))
        return run
    try:
        doc = json.loads(proc.stdout) if proc.stdout.strip() else []
    except json.JSONDecodeError:
        run.errors.append(InputError(str(checkov), "checkov printed something that is not JSON"))
        return run
    for report in doc if isinstance(doc, list) else [doc]:
        if not isinstance(report, dict):
            continue
        for check in (report.get("results") or {}).get("failed_checks") or []:
            _add_failed_check(run, check, root)
    return run


def _add_failed_check(run: CheckovRun, check: dict[str, Any], root: Path) -> None:
    check_id = str(check.get("check_id") or "")
    if not check_id:
        return
    severity = str(check.get("severity") or "").lower()
    rule = run.rules.get(check_id)
    if rule is None:
        name = str(check.get("check_name") or check_id)
        rule = CheckovRule(
            id=check_id,
            title=name,
            severity=Severity(severity) if severity in {s.value for s in Severity} else DEFAULT_SEVERITY,
            category="checkov",
            rationale=f"Checkov check {check_id}: {name}.",
            remediation=f"See Checkov's guidance for {check_id}.",
            targets=[Target(resources=[], condition={})],
            message=f"{{address}}: {name}",
            tags=["checkov"],
            failure=f"Checkov: {name}"[:70],
            fix=f"Follow Checkov's guidance for {check_id} ({check.get('guideline') or POLICY_INDEX}).",
            guideline=str(check.get("guideline") or ""),
        )
        run.rules[check_id] = rule
    abs_path = check.get("file_abs_path") or check.get("file_path") or ""
    file = _relative(Path(abs_path), root) if abs_path else None
    lines = check.get("file_line_range") or [0, 0]
    location = Location(file, max(1, int(lines[0])), max(1, int(lines[-1]))) if file else None
    address = str(check.get("resource") or file or check_id)
    parts = strip_instance_keys(address).split(".")
    kind = parts[-2] if len(parts) >= 2 else "file"
    resource = Resource(kind, address, {}, Provenance("checkov", location), {"checkov": True})
    evaluated = (check.get("check_result") or {}).get("evaluated_keys") or []
    run.findings.append(
        Finding(
            check_id,
            Status.FAILED,
            resource,
            f"{address}: {rule.title}",
            location,
            str(evaluated[0]) if evaluated else None,
        )
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()


def merge_checkov(result: ScanResult, run: CheckovRun) -> int:
    """Add Checkov's findings and rules to ``result``, without those that duplicate an ocisec
    rule's judgement (any status) of the same resource; returns how many were dropped."""
    judged = {
        (f.rule_id, _identity(f.resource.address), f.location.file if f.location else None)
        for f in result.findings
    }
    judged_any_file = {(rule, address) for rule, address, _ in judged}
    kept: list[Finding] = []
    dropped = 0
    for finding in run.findings:
        twin = DUPLICATES.get(finding.rule_id)
        if twin is not None:
            address = _identity(finding.resource.address)
            file = finding.location.file if finding.location else None
            if (twin, address, file) in judged or (file is None and (twin, address) in judged_any_file):
                dropped += 1
                continue
        kept.append(finding)
    used = {f.rule_id for f in kept}
    known = {r.id for r in result.rules}
    result.rules.extend(
        rule for rule_id, rule in sorted(run.rules.items()) if rule_id in used and rule_id not in known
    )
    result.findings.extend(kept)
    result.errors.extend(run.errors)
    result.metadata["checkov"] = {"findings": len(kept), "duplicates_dropped": dropped}
    return dropped


def _identity(address: str) -> str:
    """An address without instance keys: ocisec and Checkov render keys alike, but not always."""
    return strip_instance_keys(address)
