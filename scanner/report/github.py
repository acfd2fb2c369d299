"""GitHub Actions workflow commands: one annotation per failing finding, shown on the file and
line in the pull request's "Files changed" view and in the job summary.

``::error file=F,line=L,endLine=E,title=T::message`` — critical and high findings are errors,
medium ones warnings, low ones notices. Paths are relative to the repository (the source root),
as GitHub requires. Inputs that could not be read are errors too; the last line is a notice
with the totals.
"""

from __future__ import annotations

from collections.abc import Callable

from scanner.model import InputError, ScanResult, Severity
from scanner.report.paths import rebaser
from scanner.report.summary import Summary, severity_order

COMMAND = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
}
ERROR_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF are percent-encoded (else the command ends)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, plus ``:`` and ``,`` which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: ScanResult) -> str:
    """One workflow command per line."""
    rebase = rebaser(result)
    lines: list[str] = []
    for finding in severity_order(result.failed, result):
        rule = result.rule(finding.rule_id)
        props = {}
        if finding.location is not None:
            props["file"] = rebase(finding.location.file)
            props["line"] = str(max(1, finding.location.start_line))
            props["endLine"] = str(max(1, finding.location.start_line, finding.location.end_line))
        props["title"] = f"{rule.id} {rule.failure or rule.title}"
        message = f"{finding.message}"
        if rule.fix:
            message += f"\nFix: {rule.fix}"
        message += f"\n{rule.help_uri}"
        lines.append(_command(COMMAND[rule.severity], props, message))
    lines += _code_and_cloud(result, rebase)
    for error in result.errors:
        lines.append(_error(error, rebase))
    summary = Summary.of(result)
    totals = f"ocisec: {summary.failing} failing, {summary.unknown} unknown, {summary.passed} passed"
    if summary.errors:
        totals += f"; scan incomplete: {summary.errors} input(s) could not be read"
    lines.append(_command("notice", {"title": "ocisec"}, totals))
    return "\n".join(lines) + "\n"


def _code_and_cloud(result: ScanResult, rebase: Callable[[str], str]) -> list[str]:
    """A warning per drift at its .tf line, a notice per unmanaged object (audits with --state)."""
    from scanner.report.cloud import DRIFT_HEADINGS

    lines = []
    for d in result.drift:
        props = {}
        if d.location is not None:
            props = {"file": rebase(d.location.file), "line": str(max(1, d.location.start_line))}
        props["title"] = f"{d.rule_id} {DRIFT_HEADINGS[d.direction]}"
        lines.append(_command("warning", props, f"{d.address} ({d.ocid}): {d.message}"))
    for u in result.unmanaged:
        failing = f"; fails {', '.join(u.failing)}" if u.failing else ""
        where = f"in {u.compartment_id or '?'}"
        text = f"{u.kind} {u.name or ''} {u.ocid} {where} has no Terraform state entry{failing}"
        lines.append(_command("notice", {"title": "ocisec: unmanaged live resource"}, text))
    return lines


def _error(error: InputError, rebase: Callable[[str], str]) -> str:
    props = {"title": "ocisec: input could not be read" if error.level == "error" else "ocisec"}
    if ":" not in error.path:  # an API call, not a file
        props = {"file": rebase(error.path), **({"line": str(error.line)} if error.line else {}), **props}
    return _command(ERROR_COMMAND.get(error.level, "error"), props, f"{error.path}: {error.message}")


def _command(name: str, props: dict[str, str], message: str) -> str:
    joined = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    return f"::{name} {joined}::{escape_data(message)}" if joined else f"::{name}::{escape_data(message)}"
