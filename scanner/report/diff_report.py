"""Reports of ``ocisec diff``: text, JSON, SARIF (``baselineState``), JUnit, Markdown and HTML.

Every format shows the same thing: new, fixed and persisting failing findings, the ones that
went from failing to undecided, and the input errors of either side (a side with errors is
incomplete, so "fixed" may only mean "not read"). Nothing here prints attribute values; messages
were scrubbed when the sides were loaded, and ``render`` scrubs the output with the caller's
redactor as ``scanner.report.render`` does.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from scanner import __version__
from scanner.model import ScanResult, Severity, Status
from scanner.model.diff import DiffEntry, DiffResult, Side, State
from scanner.report import render_as
from scanner.report.markdown_text import md_code, md_text
from scanner.report.metadata import describe, generated_at, target
from scanner.report.redact import Redactor
from scanner.report.summary import heading

DIFF_SCHEMA_VERSION = "1.1"  # 1.1: code_and_cloud (drift and unmanaged changes)
FORMATS = ("text", "json", "sarif", "junit", "markdown", "html")
HEADINGS = {
    State.NEW: "New failing findings",
    State.FIXED: "Fixed",
    State.PERSISTING: "Persisting",
    State.UNDECIDED: "Failing before, undecided now (not counted as fixed)",
    State.ACCEPTED: "Failing before, accepted risk now (not counted as fixed)",
}
# SARIF 2.1.0 §3.27.24: new / unchanged / updated / absent.
# Sections in the order a reader wants them: what got worse, what got better, what changed kind.
READING_ORDER = (State.NEW, State.FIXED, State.UNDECIDED, State.ACCEPTED, State.PERSISTING)
BASELINE_STATE = {
    State.NEW: "new",
    State.PERSISTING: "unchanged",
    State.FIXED: "absent",
    State.UNDECIDED: "absent",
    State.ACCEPTED: "unchanged",  # still there; the result carries its SARIF suppression
}


def render(diff: DiffResult, fmt: str, redactor: Redactor | None = None) -> str:
    """The diff in format ``fmt`` (one of ``FORMATS``), scrubbed with ``redactor``."""
    renderers = {
        "text": render_text,
        "json": render_json,
        "sarif": render_sarif,
        "junit": render_junit,
        "markdown": render_markdown,
        "html": render_html,
    }
    return render_as(renderers, diff, fmt, "diff", redactor)


def _result(diff: DiffResult, entry: DiffEntry) -> ScanResult:
    return diff.new.result if entry.side == "new" else diff.old.result


def _where(entry: DiffEntry) -> str:
    finding = entry.finding
    if finding.location is not None:
        return f"{finding.location.file}:{finding.location.start_line}"
    prov = finding.resource.provenance
    return " ".join(p for p in (prov.region, prov.compartment_id) if p)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def summary_line(diff: DiffResult) -> str:
    """``2 new, 1 fixed, 5 persisting`` (+ undecided, unknown and error counts when non-zero)."""
    counts = diff.counts()
    parts = [f"{counts['new']} new", f"{counts['fixed']} fixed", f"{counts['persisting']} persisting"]
    if counts["undecided"]:
        parts.append(f"{counts['undecided']} now undecided")
    if counts["accepted"]:
        parts.append(f"{counts['accepted']} now accepted")
    if counts["unknown"]:
        parts.append(f"{counts['unknown']} unknown in NEW")
    errors = sum(1 for _, e in diff.errors if e.level == "error")
    if errors:
        parts.append(_count(errors, "input error") + " (comparison incomplete)")
    return ", ".join(parts)


# --- text -------------------------------------------------------------------------------------


def render_text(diff: DiffResult) -> str:
    """Sections per state; persisting findings one line each."""
    lines = [f"ocisec diff  {diff.old.label}  ->  {diff.new.label}", ""]
    for state in READING_ORDER:
        entries = diff.of(state)
        if not entries and state in (State.UNDECIDED, State.ACCEPTED):
            continue
        lines.append(f"{HEADINGS[state]} ({len(entries)})")
        for entry in entries:
            rule = entry.rule
            lines.append(f"  {rule.severity.value.upper():<8} {rule.id}  {heading(rule, entry.finding)}")
            where = _where(entry)
            lines.append(f"    {entry.finding.resource.address}" + (f"  {where}" if where else ""))
            if state is not State.PERSISTING:
                lines.append(f"    {entry.finding.message}")
            if entry.finding.suppression is not None:
                lines.append(f"    accepted: {entry.finding.suppression.justification}")
        if not entries:
            lines.append("  none")
        lines.append("")
    if diff.cloud is not None:  # two audits given --state: drift and unmanaged objects
        from scanner.report.cloud import change_sections

        for category, title, items in change_sections(diff.cloud):
            if not items and category.endswith("persisting"):
                continue
            lines.append(f"{title} ({len(items)})")
            lines += [f"  {item}" for item in items] or ["  none"]
            lines.append("")
    if diff.errors:
        lines.append("Input errors (a side with errors is incomplete)")
        for side, error in diff.errors:
            where = f"{error.path}:{error.line}" if error.line else error.path
            lines.append(f"  [{side}] {error.level}: {where}  {error.message}")
        lines.append("")
    lines.append(f"Failing findings: {trend_line(diff)}")
    lines.append(summary_line(diff))
    return "\n".join(lines) + "\n"


def trend_line(diff: DiffResult) -> str:
    """``52 (2026-11-01) → 30 (2026-11-02) → 6 (2026-11-03)``: failing findings per result."""
    points = trend(diff)
    labels = _time_labels([p.time for p in points])
    return " → ".join(f"{p.failing} ({label})" for p, label in zip(points, labels, strict=True))


def _time_labels(times: list[str]) -> list[str]:
    """Dates, or month-day and time of day when two results share a date."""
    dates = [t[:10] for t in times]
    if len(set(dates)) == len(dates):
        return dates
    return [t[5:16].replace("T", " ") for t in times]


# --- JSON -------------------------------------------------------------------------------------


def _side_doc(side: Side) -> dict[str, Any]:
    result = side.result
    return {
        "path": side.label,
        "kind": side.kind,
        "generated_at": generated_at(result),
        "target": target(result),
        "strict": result.strict,
        "metadata": describe(result),
        "failing": len(result.failed),
        "unknown": len(result.by_status(Status.UNKNOWN)),
        "errors": len(result.input_errors),
    }


def to_document(diff: DiffResult) -> dict[str, Any]:
    """The diff as plain data (documented in docs/json-output.md, schema diff-output.schema.json)."""
    from scanner.report.json_report import _finding, _suppressed

    def records(entries: list[DiffEntry]) -> list[dict[str, Any]]:
        return [_finding(_result(diff, e), e.finding) for e in entries]

    counts = diff.counts()
    new_by_severity = {sev.value: 0 for sev in Severity}
    for entry in diff.of(State.NEW):
        new_by_severity[entry.rule.severity.value] += 1
    return {
        "tool": {"name": "ocisec", "version": __version__},
        "kind": "ocisec-diff",
        "schema_version": DIFF_SCHEMA_VERSION,
        "inputs": {"old": _side_doc(diff.old), "new": _side_doc(diff.new)},
        "complete": not diff.incomplete,
        "summary": {**counts, "new_by_severity": new_by_severity},
        "history": [
            {
                "path": p.label,
                "time": p.time,
                "failing": p.failing,
                "by_severity": p.by_severity,
                "unknown": p.unknown,
                "accepted": p.accepted,
            }
            for p in trend(diff)
        ],
        "new": records(diff.of(State.NEW)),
        "fixed": records(diff.of(State.FIXED)),
        "persisting": records(diff.of(State.PERSISTING)),
        "undecided": records(diff.of(State.UNDECIDED)),
        "accepted": [_suppressed(diff.new.result, e.finding) for e in diff.of(State.ACCEPTED)],
        "unknown": records(diff.unknown),
        "errors": [
            {"side": side, "path": e.path, "line": e.line, "message": e.message, "level": e.level}
            for side, e in diff.errors
        ],
        **_cloud_document(diff),
    }


def _cloud_document(diff: DiffResult) -> dict[str, Any]:
    """``code_and_cloud``: drift and unmanaged changes, when the sides are audits with --state."""
    if diff.cloud is None:
        return {}
    from scanner.report.cloud import changes_document

    return {"code_and_cloud": changes_document(diff.cloud)}


def render_json(diff: DiffResult) -> str:
    """The JSON diff, indented, ending in a newline."""
    return json.dumps(to_document(diff), indent=2, ensure_ascii=False, default=str) + "\n"


# --- SARIF ------------------------------------------------------------------------------------


def render_sarif(diff: DiffResult) -> str:
    """SARIF 2.1.0 of NEW with ``baselineState`` on every result: new and persisting findings as
    ``new`` / ``unchanged``; fixed ones as ``absent`` results of kind ``pass`` (the rule holds now)
    and undecided ones as ``absent`` of kind ``review``, both at level ``none``, so a viewer that
    ignores baselines raises nothing for them."""
    from scanner.report.fingerprint import FINGERPRINT_KEY, fingerprint
    from scanner.report.sarif import to_log

    strict = diff.new.result.strict
    listed = []
    for entry in diff.entries:
        finding = entry.finding
        if finding.status is Status.UNKNOWN and not strict:
            # Failing in a --strict OLD result: list it (as the failure it was there).
            finding = dataclasses.replace(finding, status=Status.FAILED)
        listed.append(finding)
    rules = {r.id: r for r in diff.old.result.rules} | {r.id: r for r in diff.new.result.rules}
    merged = ScanResult(
        rules=list(rules.values()),
        findings=listed + [e.finding for e in diff.unknown],  # unknowns: counted in run.properties
        errors=[e for _, e in diff.errors],
        root=diff.new.result.root,
        inputs=list(diff.new.result.inputs),
        source_categories=list(diff.new.result.source_categories),
        strict=strict,
        resource_count=diff.new.result.resource_count,
    )
    log = to_log(merged)
    states: dict[str, list[State]] = defaultdict(list)
    for entry in diff.entries:
        states[fingerprint(entry.finding)].append(entry.state)
    run = log["runs"][0]
    for result in run["results"]:
        pending = states.get(result["partialFingerprints"][FINGERPRINT_KEY])
        state = pending.pop(0) if pending else State.NEW
        result["baselineState"] = BASELINE_STATE[state]
        result["properties"]["diffState"] = state.value
        if state in (State.FIXED, State.UNDECIDED):
            result["kind"] = "pass" if state is State.FIXED else "review"
            result["level"] = "none"
    run["properties"]["diff"] = {"old": diff.old.label, "new": diff.new.label, **diff.counts()}
    if diff.cloud is not None:
        from scanner.report.cloud import changes_document

        run["properties"]["codeAndCloud"] = changes_document(diff.cloud)
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


# --- JUnit ------------------------------------------------------------------------------------


def render_junit(diff: DiffResult) -> str:
    """One suite per state: new findings are failures; fixed and persisting ones pass (a diff gate
    fails on what is new); input errors of either side are errors."""
    root = ET.Element("testsuites", name="ocisec diff")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for state in (State.NEW, State.PERSISTING, State.FIXED, State.UNDECIDED, State.ACCEPTED):
        suite = ET.SubElement(root, "testsuite", name=f"{state.value} findings")
        entries = diff.of(state)
        for entry in entries:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{entry.rule.id} {entry.finding.resource.address}",
                classname=entry.rule.id,
                time="0",
            )
            if entry.finding.location is not None:
                case.set("file", entry.finding.location.file)
                case.set("line", str(entry.finding.location.start_line))
            if state is State.NEW:
                what = heading(entry.rule, entry.finding)
                failure = ET.SubElement(
                    case, "failure", message=f"{what}: {entry.finding.message}",
                    type=entry.rule.severity.value,
                )
                failure.text = f"{what}: {entry.finding.message}\nRemediation: {entry.rule.remediation}"
            else:
                ET.SubElement(case, "system-out").text = f"{state.value}: {entry.finding.message}"
        _counts(suite, totals, tests=len(entries), failures=len(entries) if state is State.NEW else 0)
    if diff.cloud is not None:
        # New drift and newly unmanaged objects fail (as new findings do); the rest pass.
        from scanner.report.cloud import change_sections

        for category, title, items in change_sections(diff.cloud):
            suite = ET.SubElement(root, "testsuite", name=f"code-and-cloud.{category}")
            for item in items:
                case = ET.SubElement(suite, "testcase", name=item, classname=category, time="0")
                if category in ("drift_new", "unmanaged_new"):
                    ET.SubElement(case, "failure", message=title, type=category).text = item
            failing = len(items) if category in ("drift_new", "unmanaged_new") else 0
            _counts(suite, totals, tests=len(items), failures=failing)
    if diff.errors:
        suite = ET.SubElement(root, "testsuite", name="input-errors")
        errors = 0
        for side, error in diff.errors:
            case = ET.SubElement(
                suite, "testcase", name=f"[{side}] {error.path}", classname="input-errors", time="0"
            )
            if error.level == "error":
                errors += 1
                ET.SubElement(case, "error", message=error.message, type="InputError")
            else:
                ET.SubElement(case, "system-out").text = f"{error.level}: {error.message}"
        _counts(suite, totals, tests=len(diff.errors), errors=errors)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _counts(suite: ET.Element, totals: dict[str, int], **counts: int) -> None:
    for key in totals:
        value = counts.get(key, 0)
        suite.set(key, str(value))
        totals[key] += value
    suite.set("time", "0")


# --- Markdown ---------------------------------------------------------------------------------

MARKDOWN_ROWS = 100  # per section: a PR comment holds at most 65,536 characters
# One escaping for every Markdown output (scan and diff): scanner.report.markdown_text.
md = md_text


def render_markdown(diff: DiffResult) -> str:
    """A pull-request comment: a summary line, then one table per state (persisting folded)."""
    out = [f"### ocisec diff: {md(summary_line(diff))}", ""]
    out += [f"OLD {md_code(diff.old.label)} → NEW {md_code(diff.new.label)}", ""]
    out += [f"Failing findings: {md(trend_line(diff))}", ""]
    for state in READING_ORDER:
        entries = diff.of(state)
        if not entries:
            continue
        section = f"{HEADINGS[state]} ({len(entries)})"
        if state is State.PERSISTING:
            out += ["<details><summary>" + section + "</summary>", ""]
        else:
            out += [f"#### {section}", ""]
        out += ["| severity | rule | resource | where | message |", "|---|---|---|---|---|"]
        for e in entries[:MARKDOWN_ROWS]:
            out.append(
                f"| {e.rule.severity.value} | [{md(e.rule.id)}]({e.rule.help_uri}) "
                f"{md(heading(e.rule, e.finding))} "
                f"| {md_code(e.finding.resource.address)} | {md_code(_where(e))} | {md(e.finding.message)} |"
            )
        if len(entries) > MARKDOWN_ROWS:
            out.append(f"| | | … and {len(entries) - MARKDOWN_ROWS} more (see the JSON or HTML diff) | | |")
        out += ["", "</details>", ""] if state is State.PERSISTING else [""]
    if diff.cloud is not None:
        from scanner.report.cloud import change_sections

        for _category, title, items in change_sections(diff.cloud):
            if not items:
                continue
            out += [f"#### {md(title)} ({len(items)})", ""]
            out += [f"- {md(item)}" for item in items[:MARKDOWN_ROWS]]
            if len(items) > MARKDOWN_ROWS:
                out.append(f"- … and {len(items) - MARKDOWN_ROWS} more")
            out.append("")
    if diff.errors:
        out += ["#### Input errors", ""]
        for side, e in diff.errors:
            where = f"{e.path}:{e.line}" if e.line else e.path
            out.append(f"- {side}, {md(e.level)}: {md_code(where, cell=False)} {md(e.message)}")
        out.append("")
    return "\n".join(out)


# --- HTML -------------------------------------------------------------------------------------


def render_html(diff: DiffResult) -> str:
    """A self-contained page (same template set and guarantees as ``--format html``)."""
    from scanner.report.html import SEVERITY_COLORS, _environment, _finding_view

    redactors = {"old": Redactor.for_result(diff.old.result), "new": Redactor.for_result(diff.new.result)}

    def views(entries: list[DiffEntry]) -> list[dict[str, Any]]:
        return [_finding_view(_result(diff, e), e.finding, redactors[e.side]) for e in entries]

    def by_severity(result: ScanResult) -> dict[str, int]:
        counts = {sev.value: 0 for sev in Severity}
        for finding in result.failed:
            rule = next((r for r in result.rules if r.id == finding.rule_id), None)
            if rule is not None:
                counts[rule.severity.value] += 1
        return counts

    old_sev, new_sev = by_severity(diff.old.result), by_severity(diff.new.result)
    top = max([*old_sev.values(), *new_sev.values(), 1])
    trend = [
        {
            "label": sev.value,
            "old": old_sev[sev.value],
            "new": new_sev[sev.value],
            "old_width": round(160 * old_sev[sev.value] / top, 2),
            "new_width": round(160 * new_sev[sev.value] / top, 2),
            "color": SEVERITY_COLORS[sev],
        }
        for sev in Severity
    ]
    categories: dict[str, list[int]] = {}
    for side_index, side in enumerate((diff.old, diff.new)):
        rules = {r.id: r for r in side.result.rules}
        for finding in side.result.failed:
            category = rules[finding.rule_id].category if finding.rule_id in rules else "other"
            categories.setdefault(category, [0, 0])[side_index] += 1
    context = {
        "version": __version__,
        "old": _side_doc(diff.old),
        "new": _side_doc(diff.new),
        "counts": diff.counts(),
        "summary_line": summary_line(diff),
        "incomplete": diff.incomplete,
        "trend": trend,
        "trend_chart": _trend_chart(diff),
        "categories": [
            {"name": name, "old": o, "new": n, "delta": n - o}
            for name, (o, n) in sorted(categories.items(), key=lambda kv: (-(kv[1][1] - kv[1][0]), kv[0]))
        ],
        "sections": [
            {"state": state.value, "heading": HEADINGS[state], "findings": views(diff.of(state))}
            for state in READING_ORDER
        ],
        "cloud_sections": _cloud_sections(diff),
        "errors": [
            {
                "where": f"[{side}] " + (f"{e.path}:{e.line}" if e.line else e.path),
                "message": e.message,
                "level": e.level,
            }
            for side, e in diff.errors
        ],
    }
    return _environment().get_template("diff.html").render(**context)


def _cloud_sections(diff: DiffResult) -> list[dict[str, Any]]:
    if diff.cloud is None:
        return []
    from scanner.report.cloud import change_sections

    sections = change_sections(diff.cloud)
    return [{"id": c.replace("_", "-"), "heading": h, "lines": items} for c, h, items in sections]


TREND_WIDTH, TREND_HEIGHT, TREND_PAD = 560, 180, 36


def _trend_chart(diff: DiffResult) -> dict[str, Any]:
    """Coordinates of a line chart of failing findings per result (total and per severity)."""
    from scanner.report.html import SEVERITY_COLORS

    points = trend(diff)
    top = max([p.failing for p in points] + [1])
    step = (TREND_WIDTH - 2 * TREND_PAD) / max(len(points) - 1, 1)

    def xy(i: int, value: int) -> tuple[float, float]:
        x = TREND_PAD + i * step
        y = TREND_HEIGHT - TREND_PAD - (TREND_HEIGHT - 2 * TREND_PAD) * value / top
        return round(x, 1), round(y, 1)

    def line(values: list[int]) -> str:
        return " ".join(f"{x},{y}" for x, y in (xy(i, v) for i, v in enumerate(values)))

    series = [{"label": "all", "color": "#1f2328", "width": 3, "points": line([p.failing for p in points])}]
    for sev in Severity:
        values = [p.by_severity[sev.value] for p in points]
        if any(values):
            series.append(
                {"label": sev.value, "color": SEVERITY_COLORS[sev], "width": 1.5, "points": line(values)}
            )
    return {
        "width": TREND_WIDTH,
        "height": TREND_HEIGHT,
        "series": series,
        "marks": [
            {"x": xy(i, p.failing)[0], "y": xy(i, p.failing)[1], "value": p.failing, "time": label}
            for i, (p, label) in enumerate(zip(points, _time_labels([p.time for p in points]), strict=True))
        ],
        "base": TREND_HEIGHT - TREND_PAD,
        "left": TREND_PAD,
        "right": TREND_WIDTH - TREND_PAD,
    }


@dataclass(frozen=True)
class TrendPoint:
    """One result of a trend: when, and how many failing findings by severity."""

    label: str
    time: str  # collection time of a live audit, else when the result was produced
    failing: int
    by_severity: dict[str, int]
    unknown: int
    accepted: int


def trend(diff: DiffResult) -> list[TrendPoint]:
    """The failing-findings count of every result in ``diff.history``, oldest first."""
    points = []
    for side in diff.history:
        result = side.result
        rules = {rule.id: rule for rule in result.rules}
        by_severity = {sev.value: 0 for sev in Severity}
        for finding in result.failed:
            if finding.rule_id in rules:
                by_severity[rules[finding.rule_id].severity.value] += 1
        collected = result.metadata.get("collected_at")
        points.append(
            TrendPoint(
                label=side.label,
                time=collected if isinstance(collected, str) and collected else generated_at(result),
                failing=len(result.failed),
                by_severity=by_severity,
                unknown=len(result.by_status(Status.UNKNOWN)),
                accepted=len(result.suppressed),
            )
        )
    return points
