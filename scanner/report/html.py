"""Self-contained HTML report: one file, no external assets, readable offline and in a browser
with scripts disabled.

Everything that comes from the scanned inputs (addresses, display names, messages, file names)
is attacker-controlled text: a resource can be named ``<script>...``. The template engine
escapes every value (Jinja2 with autoescaping on), the page carries a Content-Security-Policy
that forbids scripts and remote loads, and charts are inline SVG built from numbers only.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from scanner.model import Finding, Rule, ScanResult, Severity, Status
from scanner.report.fingerprint import finding_file
from scanner.report.metadata import describe, generated_at, target, tool_version
from scanner.report.names import live_label
from scanner.report.redact import Redactor
from scanner.report.summary import Summary, heading, report_order

TEMPLATE = "report.html"
COLORS = {"passed": "#2e7d32", "failed": "#c62828", "unknown": "#8e6cc0"}
SEVERITY_COLORS = {
    Severity.CRITICAL: "#7b1fa2",
    Severity.HIGH: "#c62828",
    Severity.MEDIUM: "#ef6c00",
    Severity.LOW: "#0277bd",
}
BAR_WIDTH = 180  # px of a stacked compliance bar in a group table
DONUT_RADIUS = 54
HEADER_METADATA = {"tool", "version", "source"}  # already in the page header


@lru_cache(maxsize=1)
def _environment() -> Any:
    # Imported here so that text/JSON runs never pay for Jinja2.
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("scanner.report", "templates"),
        autoescape=True,  # always on: every value in the report may be hostile text
        undefined=StrictUndefined,  # a typo in the template fails the tests instead of printing ""
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(result: ScanResult) -> str:
    """The HTML report of ``result`` (already scrubbed by ``scanner.report.render``)."""
    return _environment().get_template(TEMPLATE).render(**report_context(result))


# --- what the template shows ----------------------------------------------------------------


@dataclass
class Tally:
    """Results of one group (a category, compartment, region, module or file)."""

    name: str
    passed: int = 0
    failed: int = 0
    unknown: int = 0
    resources: set[int] = field(default_factory=set)

    accepted: int = 0

    def add(self, finding: Finding) -> None:
        """Count one result; an accepted risk counts apart, as in the summary."""
        if finding.suppression is not None and finding.status is not Status.PASSED:
            self.accepted += 1
        else:
            setattr(self, finding.status.value, getattr(self, finding.status.value) + 1)
        self.resources.add(id(finding.resource))

    @property
    def compliance(self) -> float | None:
        """Share of decided results that passed, in percent; None when nothing was decided."""
        decided = self.passed + self.failed
        return None if decided == 0 else 100.0 * self.passed / decided

    def row(self) -> dict[str, Any]:
        """The table row and its stacked bar."""
        total = self.passed + self.failed + self.unknown
        bar, x = [], 0.0
        for status in ("failed", "unknown", "passed"):
            value = getattr(self, status)
            width = BAR_WIDTH * value / total if total else 0.0
            if width:
                bar.append(
                    {"x": round(x, 2), "width": round(width, 2), "color": COLORS[status], "label": status}
                )
            x += width
        pct = self.compliance
        return {
            "name": self.name,
            "resources": len(self.resources),
            "passed": self.passed,
            "failed": self.failed,
            "unknown": self.unknown,
            "accepted": self.accepted,
            "compliance": "–" if pct is None else f"{pct:.0f}%",
            "bar": bar,
        }


def _group_rows(findings: Iterable[Finding], key: Callable[[Finding], str | None]) -> list[dict[str, Any]]:
    tallies: dict[str, Tally] = {}
    for finding in findings:
        name = key(finding)
        if name is None:
            continue
        tallies.setdefault(name, Tally(name)).add(finding)
    # Worst first: the groups that need attention lead the table.
    ordered = sorted(tallies.values(), key=lambda t: (-t.failed, -t.unknown, t.name))
    return [t.row() for t in ordered]


def _compartment(finding: Finding) -> str | None:
    prov = finding.resource.provenance
    if not prov.compartment_id:
        return None
    ctx = finding.resource.context
    name = ctx.get("compartment_path") or ctx.get("compartment_name")
    return f"{name} ({prov.compartment_id})" if isinstance(name, str) and name else prov.compartment_id


def _region(finding: Finding) -> str | None:
    region = finding.resource.provenance.region or finding.resource.context.get("region")
    return region if isinstance(region, str) and region else None


def _module(finding: Finding) -> str | None:
    """``root dir · module.x`` for Terraform resources."""
    # Whole-file text scans (kind "file") belong to no module; the file table shows them.
    resource = finding.resource
    if resource.provenance.source not in ("terraform", "terraform-plan") or resource.kind == "file":
        return None
    ctx = finding.resource.context
    scope = ctx.get("scope") or posixpath.dirname(finding_file(finding) or "") or "."
    module = ctx.get("module")
    return f"{scope} · {module}" if module else f"{scope} · root module"


def groupings(result: ScanResult) -> list[dict[str, Any]]:
    """Compliance tables: by category always; by compartment and region when the resources have
    them (live audits, Terraform with a provider region); by Terraform root/module and by file
    for code scans. A grouping with a single group says nothing and is left out, except category."""
    findings = result.findings
    rules = {rule.id: rule for rule in result.rules}
    tables = [
        ("category", "Category", lambda f: rules[f.rule_id].category if f.rule_id in rules else "other"),
        ("compartment", "Compartment", _compartment),
        ("region", "Region", _region),
        ("module", "Terraform root · module", _module),
        ("file", "File", finding_file),
    ]
    out = []
    for ident, label, key in tables:
        rows = _group_rows(findings, key)
        if rows and (ident == "category" or len(rows) > 1 or ident in ("compartment", "region")):
            out.append({"id": ident, "label": label, "rows": rows})
    return out


def _donut(summary: Summary) -> list[dict[str, Any]]:
    circumference = 2 * math.pi * DONUT_RADIUS
    total = summary.passed + summary.failed + summary.unknown
    segments, offset = [], 0.0
    for status in ("passed", "failed", "unknown"):
        value = getattr(summary, status)
        if not total or not value:
            continue
        length = circumference * value / total
        segments.append(
            {
                "label": status,
                "value": value,
                "color": COLORS[status],
                "dasharray": f"{length:.2f} {circumference - length:.2f}",
                "dashoffset": f"{-offset:.2f}",
            }
        )
        offset += length
    return segments


def _severity_bars(summary: Summary) -> list[dict[str, Any]]:
    top = max(summary.by_severity.values(), default=0) or 1
    return [
        {
            "label": sev.value,
            "value": summary.by_severity[sev.value],
            "width": round(200 * summary.by_severity[sev.value] / top, 2),
            "color": SEVERITY_COLORS[sev],
        }
        for sev in Severity
    ]


def remediation_blocks(text: str) -> list[dict[str, str]]:
    """Remediation text split into prose and fenced code blocks (``` ... ```), shown as <pre>."""
    blocks: list[dict[str, str]] = []
    in_code, lines = False, []

    def flush() -> None:
        body = "\n".join(lines).strip("\n") if in_code else _unwrap(lines)
        if body.strip():
            blocks.append({"kind": "code" if in_code else "text", "body": body})

    for line in text.splitlines():
        if line.strip().startswith("```"):
            flush()
            in_code, lines = not in_code, []
            continue
        lines.append(line)
    flush()
    return blocks


_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")


def _unwrap(lines: list[str]) -> str:
    """Prose with its hard line wraps (from YAML) undone; paragraphs and list items kept."""
    out: list[str] = []
    for line in lines:
        text = line.strip()
        if out and text and out[-1] and not _LIST_ITEM.match(line):
            out[-1] += " " + text
        else:
            out.append(text)
    return "\n".join(out).strip("\n")


def _display_name(finding: Finding, redactor: Redactor) -> str | None:
    """A live object's name as a person reads it (compartment path and display name; its
    address is an OCID); scrubbed like a message."""
    if finding.resource.provenance.source in ("terraform", "terraform-plan"):
        return None
    label = live_label(finding)
    if label is not None:
        return redactor.scrub(label)
    attrs = finding.resource.attributes
    for key in ("display_name", "name"):
        value = attrs.get(key)
        if isinstance(value, str) and value and value != finding.resource.address:
            return redactor.scrub(value)
    return None


def _finding_view(result: ScanResult, finding: Finding, redactor: Redactor) -> dict[str, Any]:
    rule: Rule = result.rule(finding.rule_id)
    prov = finding.resource.provenance
    where = []
    if finding.location is not None:
        where.append(f"{finding.location.file}:{finding.location.start_line}")
    path = finding.resource.context.get("compartment_path") if prov.source == "oci" else None
    compartment = redactor.scrub(path) if isinstance(path, str) and path else prov.compartment_id
    for label, value in (("region", prov.region), ("compartment", compartment)):
        if value:
            where.append(f"{label} {value}")
    if prov.ocid and prov.ocid != finding.resource.address:
        where.append(prov.ocid)
    suppression = finding.suppression
    return {
        "rule_id": rule.id,
        "title": heading(rule, finding),  # a red card reads what is wrong, not the passing state
        "severity": rule.severity.value,
        "severity_color": SEVERITY_COLORS[rule.severity],
        "category": rule.category,
        "address": finding.resource.address,
        "kind": finding.resource.kind,
        "name": _display_name(finding, redactor),
        "where": where,
        "attribute": finding.attribute,
        "message": finding.message,
        "remediation": remediation_blocks(rule.remediation),
        "help_uri": rule.help_uri,
        "suppression": (
            None
            if suppression is None
            else suppression.justification
            + (f" (until {suppression.expires})" if suppression.expires else "")
        ),
    }


def _rule_rows(result: ScanResult) -> list[dict[str, Any]]:
    tallies = {rule.id: Tally(rule.id) for rule in result.rules}
    for finding in result.findings:
        if finding.rule_id in tallies:
            tallies[finding.rule_id].add(finding)
    rows = []
    for rule in sorted(result.rules, key=lambda r: (-tallies[r.id].failed, -r.severity.rank, r.id)):
        row = tallies[rule.id].row()
        row.update(
            title=rule.title,
            severity=rule.severity.value,
            category=rule.category,
            severity_color=SEVERITY_COLORS[rule.severity],
            help_uri=rule.help_uri,
        )
        rows.append(row)
    return rows


def _plain(value: Any) -> str:
    """A metadata value as one line of text (lists joined with commas)."""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def report_context(result: ScanResult) -> dict[str, Any]:
    """Everything the template shows, as plain values (the template does no arithmetic)."""
    summary = Summary.of(result)
    redactor = Redactor.for_result(result)
    decided = summary.passed + summary.failed
    failed = report_order(result.by_status(Status.FAILED), result)
    failed.sort(key=lambda f: -result.rule(f.rule_id).severity.rank)  # stable: file order per severity
    unknown = report_order(result.by_status(Status.UNKNOWN), result)
    errors = [
        {"where": f"{e.path}:{e.line}" if e.line else e.path, "message": e.message, "level": e.level}
        for e in result.errors
    ]
    by_source: dict[str, int] = defaultdict(int)
    for category in result.source_categories:
        by_source[category] += 1
    return {
        "target": target(result),
        "root": result.root,
        "generated_at": generated_at(result),
        "version": tool_version(),
        "strict": result.strict,
        "sources": list(by_source) or ["terraform"],
        "metadata": [
            (key, _plain(value)) for key, value in describe(result).items() if key not in HEADER_METADATA
        ],
        "summary": summary,
        "incomplete": bool(result.input_errors),
        "compliance": "–" if decided == 0 else f"{100.0 * summary.passed / decided:.0f}%",
        "donut": _donut(summary),
        "donut_radius": DONUT_RADIUS,
        "severity_bars": _severity_bars(summary),
        "groupings": groupings(result),
        "rules": _rule_rows(result),
        "findings": [_finding_view(result, f, redactor) for f in failed],
        "unknown": [_finding_view(result, f, redactor) for f in unknown],
        "accepted": [_finding_view(result, f, redactor) for f in report_order(result.suppressed, result)],
        "errors": errors,
        "colors": COLORS,
        "bar_width": BAR_WIDTH,
        "benchmark": _benchmark_view(result),
        **_code_and_cloud_view(result),
    }


def _code_and_cloud_view(result: ScanResult) -> dict[str, Any]:
    """Drift and the unmanaged inventory of an audit given ``--state`` (empty otherwise)."""
    from scanner.report.cloud import (
        DRIFT_HEADINGS,
        drift_by_direction,
        has_cloud_sections,
        unmanaged_groups,
        where,
    )

    if not has_cloud_sections(result):
        return {"code_and_cloud": False}
    return {
        "code_and_cloud": True,
        "drift_sections": [
            {"direction": direction, "heading": DRIFT_HEADINGS[direction], "rows": [
                {"rule_id": d.rule_id, "address": d.address, "ocid": d.ocid, "attribute": d.attribute or "",
                 "code_value": d.code_value, "live_value": d.live_value, "where": where(d.location)}
                for d in items]}
            for direction, items in drift_by_direction(result)
        ],
        "unmanaged_groups": [
            {"kind": kind, "compartment": comp, "rows": [
                {"name": u.name or "", "ocid": u.ocid, "failing": ", ".join(u.failing),
                 "where": where(u.location)}
                for u in items]}
            for kind, comp, items in unmanaged_groups(result)
        ],
        "unmanaged_count": len(result.unmanaged),
    }


STATUS_COLORS = {
    "compliant": "#2e7d32",
    "non-compliant": "#c62828",
    "unknown": "#8e6cc0",
    "manual": "#b35900",
}


def _benchmark_view(result: ScanResult) -> dict[str, Any] | None:
    """``--benchmark``: the auditor's part of the page: totals per section and level, then each
    recommendation with its status and evidence (the resources that fail it, with where)."""
    from scanner.model.benchmarks import SECTIONS
    from scanner.report.compliance import STATUSES, compliance_of

    report = compliance_of(result)
    if report is None:
        return None
    sections = [
        {"name": f"{key}. {SECTIONS.get(key, key)}", "counts": counts}
        for key, counts in report.totals("section").items()
    ]
    levels = [{"name": key, "counts": counts} for key, counts in sorted(report.totals("level").items())]
    return {
        "title": report.benchmark.title,
        "key": report.benchmark.key,
        "statuses": list(STATUSES),
        "status_colors": STATUS_COLORS,
        "overall": report.overall,
        "sections": sections,
        "levels": levels,
        "recommendations": report.recommendations,
    }
