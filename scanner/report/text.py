"""Human-readable report for terminals and CI logs, rendered with rich.

Failing findings come first, grouped by file; then results that could not be decided
statically; then inputs that could not be read; then one summary line.
"""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.text import Text

from scanner.model import Finding, Rule, ScanResult, Severity, Status
from scanner.report.fingerprint import finding_file
from scanner.report.summary import Summary, is_baselined, report_order

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
}
INDENT = "    "
REMEDIATION_MAX = 160  # the full text is in `ocisec rules show` and the SARIF help; the log needs a hint


def render(result: ScanResult, *, color: bool = False, width: int = 100) -> str:
    """The text report. ``color`` emits ANSI styles (pass ``sys.stdout.isatty()``); tests keep it off."""
    out = StringIO()
    console = Console(
        file=out, force_terminal=color, no_color=not color, width=width, highlight=False, emoji=False
    )
    failed = report_order(result.by_status(Status.FAILED), result)
    unknown = report_order(result.by_status(Status.UNKNOWN), result)

    if failed:
        _print_grouped(console, result, failed)
    else:
        console.print(Text("No failed findings.", style="green"))

    if unknown:
        console.print()
        note = "counted as failing: --strict" if result.strict else "they fail only under --strict"
        console.print(Text(f"Could not be decided statically ({note})", style="bold magenta"), soft_wrap=True)
        _print_grouped(console, result, unknown)

    _print_suppressed(console, result)

    if result.errors:
        console.print()
        console.print(Text("Input errors (the scan went on without these)", style="bold red"), soft_wrap=True)
        for error in result.errors:
            where = f"{error.path}:{error.line}" if error.line else error.path
            console.print(Text.assemble("  ", (where, "bold"), f"  {error.message}"), soft_wrap=True)

    console.print()
    console.print(_summary_line(Summary.of(result)), soft_wrap=True)
    return out.getvalue()


def _print_grouped(console: Console, result: ScanResult, findings: list[Finding]) -> None:
    current: str | None = None
    for finding in findings:
        group = _group(finding)
        if group != current:
            console.print(Text(group, style="bold underline"), soft_wrap=True)
            current = group
        failing = finding.status is Status.FAILED or result.strict
        _print_finding(console, result.rule(finding.rule_id), finding, failing)


SUPPRESSED_SHOWN = 20  # a baseline may hold hundreds; the JSON/SARIF reports list them all


def _print_suppressed(console: Console, result: ScanResult) -> None:
    """Accepted risks, one line each (inline comments and waivers first; baselined last)."""
    suppressed = report_order(result.suppressed, result)
    if not suppressed:
        return
    suppressed.sort(key=is_baselined)  # stable: report order within each group
    console.print()
    console.print(Text(f"Suppressed ({len(suppressed)}, not failing)", style="bold blue"), soft_wrap=True)
    for finding in suppressed[:SUPPRESSED_SHOWN]:
        sup = finding.suppression
        assert sup is not None
        where = f"{finding.location.file}:{finding.location.start_line}" if finding.location else ""
        until = f" until {sup.expires}" if sup.expires else ""
        console.print(
            Text.assemble(
                "  ", (finding.rule_id, "bold"), f"  {finding.resource.address}  ", (where, "dim"),
                f"  — {sup.justification} ({sup.origin}{until})",
            ),
            soft_wrap=True,
        )
    if len(suppressed) > SUPPRESSED_SHOWN:
        console.print(Text(f"  … and {len(suppressed) - SUPPRESSED_SHOWN} more"), soft_wrap=True)


def _group(finding: Finding) -> str:
    file = finding_file(finding)
    if file is not None:
        return file
    prov = finding.resource.provenance
    return f"{prov.source} ({prov.region})" if prov.region else prov.source


def _print_finding(console: Console, rule: Rule, finding: Finding, failing: bool) -> None:
    severity = rule.severity
    badge = Text(f"{severity.value.upper():<8}", style=SEVERITY_STYLE[severity])
    badge.append(" ")
    console.print(Text.assemble("  ", badge, (rule.id, "bold"), "  ", rule.title), soft_wrap=True)
    where = Text.assemble(INDENT, (finding.resource.address, "bold"))
    if finding.location is not None:
        where.append(f"  {finding.location.file}:{finding.location.start_line}", style="dim")
    elif finding.resource.provenance.ocid and finding.resource.provenance.ocid != finding.resource.address:
        where.append(f"  {finding.resource.provenance.ocid}", style="dim")
    # soft_wrap: never break an address or a file:line, so they stay copyable and greppable.
    console.print(where, soft_wrap=True)
    console.print(Text(INDENT + finding.message), soft_wrap=True)
    if failing and rule.remediation:
        console.print(
            Text.assemble(INDENT, ("Fix: ", "green"), _short(rule.remediation, rule.id)), soft_wrap=True
        )


def _short(text: str, rule_id: str = "") -> str:
    """The first line of prose in ``text`` (code blocks skipped), cut to ``REMEDIATION_MAX``;
    a pointer to the full text when the remediation is only code."""
    in_code = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("```"):
            in_code = not in_code
            continue
        if line and not in_code:
            return line if len(line) <= REMEDIATION_MAX else line[: REMEDIATION_MAX - 1].rstrip() + "…"
    return f"see `ocisec rules show {rule_id}`"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _summary_line(summary: Summary) -> Text:
    line = Text()
    line.append(f"{summary.failed} failed", style="bold red" if summary.failed else "green")
    line.append(f", {summary.unknown} unknown", style="magenta" if summary.unknown else "")
    line.append(f", {summary.passed} passed")
    severities = [f"{n} {sev}" for sev, n in summary.by_severity.items() if n]
    if severities:
        line.append(f" (failing: {', '.join(severities)})")
    if summary.suppressed:
        baselined = f", {summary.baselined} baselined" if summary.baselined else ""
        line.append(f", {summary.suppressed} suppressed{baselined}", style="blue")
    if summary.errors:
        line.append(f", {_count(summary.errors, 'input error')}", style="red")
    line.append(f" — {_count(summary.resources, 'resource')} in {_count(summary.files, 'file')}")
    if summary.strict:
        line.append(" (strict: unknown counts as failing)")
    return line
