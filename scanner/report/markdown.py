"""A pull-request comment: headline, failing findings counted by severity, and a table of them.

Meant to be posted as is (``gh pr comment --body-file``, GitLab's notes API). GitHub caps a
comment at 65,536 characters, so the table stops at ``MAX_ROWS`` findings and says how many
more there are.
"""

from __future__ import annotations

from scanner.model import Finding, ScanResult, Severity, Status
from scanner.report.names import live_label
from scanner.report.paths import rebaser
from scanner.report.summary import Summary, gating_headline, severity_order

MAX_ROWS = 200
ICON = {Severity.CRITICAL: "🟥", Severity.HIGH: "🟧", Severity.MEDIUM: "🟨", Severity.LOW: "🟦"}


def cell(text: str) -> str:
    """Text safe inside a markdown table cell: pipes escaped, newlines flattened."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def render(result: ScanResult) -> str:
    """The comment body, in GitHub-flavoured markdown."""
    summary = Summary.of(result)
    rebase = rebaser(result)
    out: list[str] = []
    if summary.errors:
        out.append(f"## ocisec: scan incomplete — {summary.errors} input(s) could not be read")
    elif gating_headline(result) is not None:
        out.append(f"## ocisec: {gating_headline(result)}")  # which findings decide the check
    elif summary.failing:
        out.append(f"## ocisec: {summary.failing} failing finding{'s' if summary.failing != 1 else ''}")
    else:
        out.append("## ocisec: no failed findings")
    out += ["", "| severity | failing |", "|---|---:|"]
    out += [f"| {ICON[Severity(sev)]} {sev} | {n} |" for sev, n in summary.by_severity.items()]
    out += [
        "",
        f"{summary.passed} passed, {summary.unknown} could not be decided statically"
        f"{' (counted as failing: --strict)' if summary.strict else ''}; "
        f"{summary.resources} resources in {summary.files} files.",
        "",
    ]
    failing = severity_order(result.failed, result)
    if failing:
        out += ["| severity | rule | resource | location | problem | fix |", "|---|---|---|---|---|---|"]
        for finding in failing[:MAX_ROWS]:
            rule = result.rule(finding.rule_id)
            where = (
                f"`{cell(rebase(finding.location.file))}:{finding.location.start_line}`"
                if finding.location is not None
                else ""
            )
            problem = f"**{cell(rule.failure or rule.title)}**: {cell(finding.message)}"
            if finding.status is Status.UNKNOWN:
                problem += " (unknown, --strict)"
            out.append(
                f"| {ICON[rule.severity]} {rule.severity.value} | [{rule.id}]({rule.help_uri}) "
                f"| {_resource_cell(finding)} | {where} | {problem} | {cell(rule.fix)} |"
            )
        if len(failing) > MAX_ROWS:
            out.append("")
            out.append(f"…and {len(failing) - MAX_ROWS} more; see the job log or the SARIF upload.")
        out.append("")
    if summary.suppressed:
        baselined = f", {summary.baselined} by the baseline" if summary.baselined else ""
        heading = f"{summary.suppressed} suppressed (accepted risks{baselined})"
        out += [f"<details><summary>{heading}</summary>", ""]
        for finding in severity_order(result.suppressed, result)[:MAX_ROWS]:
            sup = finding.suppression
            assert sup is not None
            where = (
                f" `{cell(rebase(finding.location.file))}:{finding.location.start_line}`"
                if finding.location is not None
                else ""
            )
            until = f", until {sup.expires}" if sup.expires else ""
            out.append(
                f"- {finding.rule_id} `{cell(finding.resource.address)}`{where}: "
                f"{cell(sup.justification)} ({cell(sup.origin or sup.kind)}{until})"
            )
        out += ["", "</details>", ""]
    from scanner.report.compliance import compliance_markdown, compliance_of

    report = compliance_of(result)
    if report is not None:
        out += [compliance_markdown(report, escape=cell)]
    if result.errors:
        out += ["<details><summary>Inputs with errors or warnings</summary>", ""]
        for error in result.errors:
            where = f"{error.path}:{error.line}" if error.line else error.path
            out.append(f"- **{error.level}** `{cell(where)}`: {cell(error.message)}")
        out += ["", "</details>", ""]
    return "\n".join(out)


def _resource_cell(finding: Finding) -> str:
    """The resource as a reader names it: a live object's compartment path and display name,
    with its OCID beside; else the address."""
    label = live_label(finding)
    if label is None:
        return f"`{cell(finding.resource.address)}`"
    return f"{cell(label)} (`{cell(finding.resource.address)}`)"
