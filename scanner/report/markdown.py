"""A pull-request comment: headline, failing findings counted by severity, and a table of them.

Meant to be posted as is (``gh pr comment --body-file``, GitLab's notes API). GitHub caps a
comment at 65,536 characters, so the table stops at ``MAX_ROWS`` findings and says how many
more there are.
"""

from __future__ import annotations

from scanner.model import Finding, ScanResult, Severity, Status
from scanner.report.markdown_text import md_code, md_text
from scanner.report.names import live_label
from scanner.report.paths import rebaser
from scanner.report.summary import Summary, gating_headline, severity_order

MAX_ROWS = 200
ICON = {Severity.CRITICAL: "🟥", Severity.HIGH: "🟧", Severity.MEDIUM: "🟨", Severity.LOW: "🟦"}


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
                md_code(f"{rebase(finding.location.file)}:{finding.location.start_line}")
                if finding.location is not None
                else ""
            )
            problem = f"**{md_text(rule.failure or rule.title)}**: {md_text(finding.message)}"
            if finding.status is Status.UNKNOWN:
                problem += " (unknown, --strict)"
            out.append(
                f"| {ICON[rule.severity]} {rule.severity.value} | {_rule_link(rule.id, rule.help_uri)} "
                f"| {_resource_cell(finding)} | {where} | {problem} | {md_text(rule.fix)} |"
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
                " " + md_code(f"{rebase(finding.location.file)}:{finding.location.start_line}", cell=False)
                if finding.location is not None
                else ""
            )
            until = f", until {md_text(sup.expires)}" if sup.expires else ""
            out.append(
                f"- {md_text(finding.rule_id)} {md_code(finding.resource.address, cell=False)}{where}: "
                f"{md_text(sup.justification)} ({md_text(sup.origin or sup.kind)}{until})"
            )
        out += ["", "</details>", ""]
    from scanner.report.cloud import markdown_lines

    out += markdown_lines(result, md_text, md_code)  # drift and unmanaged objects of an audit with --state
    from scanner.report.compliance import compliance_markdown, compliance_of

    report = compliance_of(result)
    if report is not None:
        out += [compliance_markdown(report, escape=md_text)]  # the one Markdown escaping
    if result.errors:
        out += ["<details><summary>Inputs with errors or warnings</summary>", ""]
        for error in result.errors:
            where = f"{error.path}:{error.line}" if error.line else error.path
            out.append(f"- **{md_text(error.level)}** {md_code(where, cell=False)}: {md_text(error.message)}")
        out += ["", "</details>", ""]
    return "\n".join(out)


def _rule_link(rule_id: str, uri: str) -> str:
    """A rule id linked to its documentation; the id of a custom policy is input too, so it is
    escaped, and the address is ours (built from the id, percent-encoded)."""
    from urllib.parse import quote

    return f"[{md_text(rule_id)}]({quote(uri, safe=':/#')})"


def _resource_cell(finding: Finding) -> str:
    """The resource as a reader names it: a live object's compartment path and display name,
    with its OCID beside; else the address."""
    label = live_label(finding)
    if label is None:
        return md_code(finding.resource.address)
    return f"{md_text(label)} ({md_code(finding.resource.address)})"
