"""Human-readable report for terminals and CI logs, rendered with rich.

A headline (complete or not, how many failing findings), then failing findings most severe
first, by file and line; then results that could not be decided statically; then inputs that
could not be read and warnings; then one summary line.
"""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.text import Text

from scanner.model import Finding, InputError, Rule, ScanResult, Severity, Status
from scanner.report.fingerprint import finding_file
from scanner.report.names import live_label
from scanner.report.summary import (
    NOTHING_TO_SCAN,
    Summary,
    fail_on_threshold,
    gating_headline,
    heading,
    is_baselined,
    offending_lines,
    report_order,
    severity_order,
    snippet_key,
)

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
}
INDENT = "    "
REMEDIATION_MAX = 160  # the full text is in `ocisec rules show` and the SARIF help; the log needs a hint


def render(result: ScanResult, *, color: bool = False, width: int = 100, compact: bool = False) -> str:
    """The text report. ``color`` emits ANSI styles (the CLI decides: ``--no-color``, ``NO_COLOR``,
    ``FORCE_COLOR``, else whether stdout is a terminal); tests keep it off. Each finding shows
    its offending lines when the workflow stored them (``result.snippets``) unless ``compact``.

    The first line says what the scan found: "Scan incomplete" when an input could not be read
    (never "No failed findings." then), else the number of failing findings. Findings follow,
    most severe first, then by file and line.
    """
    out = StringIO()
    console = Console(
        file=out, force_terminal=color, no_color=not color, width=width, highlight=False, emoji=False
    )
    failed = severity_order(result.by_status(Status.FAILED), result)
    unknown = severity_order(result.by_status(Status.UNKNOWN), result)
    errors = result.input_errors
    notices = [e for e in result.errors if e.level != "error"]

    for line in headline(result):
        console.print(line, soft_wrap=True)
    if failed:
        console.print()
        threshold = fail_on_threshold(result)
        gating = [f for f in failed if result.rule(f.rule_id).severity.rank >= threshold.rank]
        below = failed[len(gating):]  # most severe first: the gating ones come first
        _print_findings(console, result, gating, compact)
        if below:
            if gating:
                console.print()
            console.print(
                Text(f"Below the --fail-on threshold ({threshold.value}): reported, not failing the scan",
                     style="bold"),
                soft_wrap=True,
            )
            _print_findings(console, result, below, compact)

    if unknown:
        console.print()
        note = "counted as failing: --strict" if result.strict else "they fail only under --strict"
        console.print(Text(f"Could not be decided statically ({note})", style="bold magenta"), soft_wrap=True)
        _print_findings(console, result, unknown, compact)

    _print_suppressed(console, result)
    _print_code_and_cloud(console, result)

    if errors:
        console.print()
        console.print(Text("Input errors (the scan went on without these)", style="bold red"), soft_wrap=True)
        _print_errors(console, errors)
    if notices:
        console.print()
        console.print(Text("Warnings", style="bold yellow"), soft_wrap=True)
        _print_errors(console, notices)

    _print_compliance(console, result)
    console.print()
    console.print(_summary_line(Summary.of(result)), soft_wrap=True)
    return out.getvalue()


def _print_code_and_cloud(console: Console, result: ScanResult) -> None:
    """Drift and unmanaged objects of an audit given ``--state`` (scanner.report.cloud)."""
    from scanner.report.cloud import text_sections

    for title, lines in text_sections(result):
        console.print()
        console.print(Text(title, style="bold"), soft_wrap=True)
        for line in lines:
            console.print(Text(line), soft_wrap=True)


_STATUS_STYLE = {"compliant": "green", "non-compliant": "bold red", "unknown": "magenta", "manual": "yellow"}


def _print_compliance(console: Console, result: ScanResult) -> None:
    """``--benchmark``: one line per recommendation (status, level, title, rules), the failing
    resources under it, and the totals per section and level."""
    from scanner.model.benchmarks import SECTIONS
    from scanner.report.compliance import STATUSES, compliance_of

    report = compliance_of(result)
    if report is None:
        return
    console.print()
    console.print(Text(f"Compliance: {report.benchmark.title}", style="bold"), soft_wrap=True)
    section = None
    for rec in report.recommendations:
        if rec.section != section:
            section = rec.section
            console.print(Text(f"{section}. {rec.section_title}", style="bold"), soft_wrap=True)
        line = Text(f"  {rec.control:<6} ")
        line.append(f"{rec.status:<13}", style=_STATUS_STYLE[rec.status])
        line.append(f" L{rec.level} {rec.title}")
        line.append(f"  [{', '.join(rec.rules) or 'no rule'}; {rec.resources} judged]", style="dim")
        console.print(line, soft_wrap=True)
        for ev in rec.failing[:5]:
            accepted = " (accepted risk)" if ev.accepted else ""
            shown = f"           {ev.address}{accepted}  {ev.location or ''}".rstrip()
            console.print(Text(shown), soft_wrap=True)
        if len(rec.failing) > 5:
            console.print(Text(f"           and {len(rec.failing) - 5} more"), soft_wrap=True)
    for key, groups in (("section", report.totals("section")), ("level", report.totals("level"))):
        for name, counts in sorted(groups.items()):
            label = f"{name}. {SECTIONS.get(name, name)}" if key == "section" else name
            shown = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
            console.print(Text(f"  {label}: {shown}"), soft_wrap=True)
    total = report.overall
    shown = ", ".join(f"{total[s]} {s}" for s in STATUSES)
    console.print(Text(f"  {len(report.recommendations)} recommendations: {shown}"), soft_wrap=True)


def headline(result: ScanResult) -> list[Text]:
    """The report's opening lines: whether the scan is complete, then what it found."""
    lines: list[Text] = []
    errors = result.input_errors
    nothing = [e for e in errors if e.message.startswith(NOTHING_TO_SCAN)]
    if nothing and not result.inputs:
        paths = ", ".join(e.path for e in nothing)
        what = f"Nothing to scan: {paths} holds no Terraform files or plan JSON"
        lines.append(Text(what, style="bold red"))
    elif errors:
        lines.append(
            Text(f"Scan incomplete: {_count(len(errors), 'input')} could not be read", style="bold red")
        )
    failing = Summary.of(result)
    gating = gating_headline(result)
    if gating is not None:
        # Which findings decide the exit code, and which are only reported (--fail-on / fail_on).
        lines.append(Text(gating, style="bold yellow" if gating.startswith("none") else "bold red"))
    elif failing.failing:
        severities = _listed(failing.by_severity)
        lines.append(
            Text(f"{_count(failing.failing, 'failing finding')} ({severities})", style="bold red")
        )
    elif not errors:
        lines.append(Text("No failed findings.", style="green"))
    return lines


def _listed(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {sev}" for sev, n in counts.items() if n)


def _print_errors(console: Console, errors: list[InputError]) -> None:
    for error in errors:
        where = f"{error.path}:{error.line}" if error.line else error.path
        console.print(Text.assemble("  ", (where, "bold"), f"  {error.message}"), soft_wrap=True)


def _print_findings(
    console: Console, result: ScanResult, findings: list[Finding], compact: bool = False
) -> None:
    for i, finding in enumerate(findings):
        if i:
            console.print()
        failing = finding.status is Status.FAILED or result.strict
        _print_finding(console, result.rule(finding.rule_id), finding, failing)
        if not compact:
            _print_snippet(console, result, finding)
        hint = Text.assemble(INDENT, ("Docs: ", "dim"), (f"ocisec rules show {finding.rule_id}", "dim"))
        console.print(hint, soft_wrap=True)


def _print_snippet(console: Console, result: ScanResult, finding: Finding) -> None:
    """The offending lines with two lines of context and line numbers; the offending ones marked
    with ``>`` (and bold, the attribute's name underlined, in colour)."""
    key, span = snippet_key(finding), offending_lines(finding)
    lines = result.snippets.get(key) if key is not None else None
    if not lines or span is None:
        return
    first, last = span
    width = len(str(lines[-1][0]))
    name = (finding.attribute or "").split(".")[-1] if finding.attribute else ""
    for number, text in lines:
        hit = first <= number <= last
        row = Text(INDENT + ("> " if hit else "  "), style="bold red" if hit else "")
        row.append(f"{number:>{width}} | ", style="dim")
        body = Text(text, style="bold" if hit else "")
        if hit and name and not name.isdigit():
            at = text.find(name)
            if at >= 0:
                body.stylize("underline", at, at + len(name))
        row.append(body)
        console.print(row, soft_wrap=True, overflow="ignore", crop=False)


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
        # The baseline's justification names its file already: say it once.
        origin = "" if sup.origin and sup.origin in sup.justification else (sup.origin or "")
        note = f" ({origin}{until})" if origin else (f" ({until.strip()})" if until else "")
        console.print(
            Text.assemble(
                "  ", (finding.rule_id, "bold"), f"  {finding.resource.address}  ", (where, "dim"),
                f"  — {sup.justification}{note}",
            ),
            soft_wrap=True,
        )
    if len(suppressed) > SUPPRESSED_SHOWN:
        console.print(Text(f"  … and {len(suppressed) - SUPPRESSED_SHOWN} more"), soft_wrap=True)


def _print_finding(console: Console, rule: Rule, finding: Finding, failing: bool) -> None:
    severity = rule.severity
    badge = Text(f"{severity.value.upper():<8}", style=SEVERITY_STYLE[severity])
    badge.append(" ")
    # A failed finding is headed by what is wrong; an unknown one by what was to be decided.
    console.print(Text.assemble("  ", badge, (rule.id, "bold"), "  ", heading(rule, finding)), soft_wrap=True)
    label = live_label(finding)
    where = Text.assemble(INDENT, (label or finding.resource.address, "bold"))
    if label is not None:  # a live object: its name first, the OCID beside it
        where.append(f"  {finding.resource.address}", style="dim")
    if finding.location is not None:
        where.append(f"  {finding.location.file}:{finding.location.start_line}", style="dim")
    elif finding_file(finding) is not None:
        where.append(f"  {finding_file(finding)}", style="dim")
    elif finding.resource.provenance.ocid and finding.resource.provenance.ocid != finding.resource.address:
        where.append(f"  {finding.resource.provenance.ocid}", style="dim")
    # soft_wrap: never break an address or a file:line, so they stay copyable and greppable.
    console.print(where, soft_wrap=True)
    console.print(Text(INDENT + finding.message), soft_wrap=True)
    if failing and (rule.fix or rule.remediation):
        fix = rule.fix or _short(rule.remediation, rule.id)
        console.print(Text.assemble(INDENT, ("Fix: ", "green"), fix), soft_wrap=True)


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
    if summary.warnings:
        line.append(f", {_count(summary.warnings, 'warning')}", style="yellow")
    line.append(f" — {_count(summary.resources, 'resource')} in {_count(summary.files, 'file')}")
    if summary.strict:
        line.append(" (strict: unknown counts as failing)")
    return line
