"""The compliance section of a report (``--benchmark cis-oci-3.0``): every recommendation of the
benchmark with its status, level, the rules that judge it and the resources that fail it, and
totals per section and per level.

Status of a recommendation, from the findings of its rules:

- ``non-compliant``: some resource fails one of its rules (accepted risks included: the auditor
  sees them, marked as accepted);
- ``unknown``: nothing fails but some result could not be decided, or nothing was judged because
  a live snapshot did not collect the kinds (under ``--strict`` undecided results count as
  failures and the status is non-compliant);
- ``manual``: no rule of this run judges it, or its only rule is a heuristic that passed (the
  benchmark leaves the judgement to an auditor);
- ``compliant``: every judged resource passes (``resources`` says how many; 0 means none of the
  kinds the rules inspect exists in the input).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scanner.model import Finding, ScanResult, Status
from scanner.model.benchmarks import Benchmark, controls_judged, coverage_of, get_benchmark

STATUSES = ("compliant", "non-compliant", "unknown", "manual")


@dataclass
class Evidence:
    """One resource that fails (or cannot be decided for) a recommendation."""

    rule_id: str
    address: str
    message: str
    location: str | None
    accepted: bool = False


@dataclass
class RecommendationResult:
    """A recommendation's outcome in one scan or audit."""

    control: str
    title: str
    section: str
    section_title: str
    level: int
    profile: str | None
    rules: list[str]
    status: str
    resources: int = 0
    passed: int = 0
    failing: list[Evidence] = field(default_factory=list)
    unknown: list[Evidence] = field(default_factory=list)
    heuristic: bool = False


@dataclass
class ComplianceReport:
    """Every recommendation of ``benchmark`` for one result, with totals."""

    benchmark: Benchmark
    recommendations: list[RecommendationResult]

    def totals(self, key: str) -> dict[str, dict[str, int]]:
        """Counts of each status per ``section`` or per ``level``."""
        out: dict[str, dict[str, int]] = {}
        for rec in self.recommendations:
            group = rec.section if key == "section" else f"Level {rec.level}"
            counts = out.setdefault(group, dict.fromkeys(STATUSES, 0))
            counts[rec.status] += 1
        return out

    @property
    def overall(self) -> dict[str, int]:
        """Counts of each status over the whole benchmark."""
        counts = Counter(rec.status for rec in self.recommendations)
        return {s: counts.get(s, 0) for s in STATUSES}


def _location(finding: Finding) -> str | None:
    loc = finding.location
    return f"{loc.file}:{loc.start_line}" if loc is not None else None


def _evidence(finding: Finding) -> Evidence:
    return Evidence(
        finding.rule_id,
        finding.resource.address,
        finding.message,
        _location(finding),
        accepted=finding.suppression is not None,
    )


def compliance_of(result: ScanResult, benchmark: str | None = None) -> ComplianceReport | None:
    """The compliance section of ``result`` for ``benchmark`` (default: the one the scan was run
    for), or None when there is none."""
    key = benchmark or result.benchmark
    if not key:
        return None
    bench = get_benchmark(key)
    judged_by: dict[str, list[str]] = {}
    heuristic: dict[str, bool] = {}
    for rule in sorted(result.rules, key=lambda r: r.id):
        for control in controls_judged(rule.benchmarks, bench):
            judged_by.setdefault(control, []).append(rule.id)
            only_heuristic = coverage_of(rule.benchmarks, bench, control) == "heuristic"
            heuristic[control] = heuristic.get(control, True) and only_heuristic
    by_rule: dict[str, list[Finding]] = {}
    missing: set[str] = set()  # kinds a live snapshot did not collect (its resources say which)
    for finding in result.findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
        if not missing:
            missing = set(finding.resource.context.get("missing_kinds") or ())
    kinds_of = {r.id: set(r.resource_kinds) for r in result.rules}
    # In code, a tenancy-level rule gives no finding for a root that declares nothing of what it
    # looks for: that says nothing about the tenancy (unknown), it is not compliance.
    in_code = "oci" not in result.source_categories
    tenancy_rules = {r.id for r in result.rules if _tenancy_level(r)}
    out: list[RecommendationResult] = []
    for rec in bench.recommendations:
        rules = judged_by.get(rec.control, [])
        findings = [f for r in rules for f in by_rule.get(r, [])]
        failing = [f for f in findings if f.status is Status.FAILED]
        unknown = [f for f in findings if f.status is Status.UNKNOWN]
        if failing or (result.strict and unknown):
            status = "non-compliant"
        elif unknown or (not findings and _undecided(rules, kinds_of, missing, in_code, tenancy_rules)):
            status = "unknown"  # undecided, or nothing judged because the kinds were not collected
        elif not rules or heuristic.get(rec.control, False):
            status = "manual"
        else:
            status = "compliant"
        out.append(
            RecommendationResult(
                control=rec.control,
                title=rec.title,
                section=rec.section,
                section_title=rec.section_title,
                level=rec.level,
                profile=rec.profile,
                rules=rules,
                status=status,
                resources=len({(f.resource.kind, f.resource.address) for f in findings}),
                passed=sum(1 for f in findings if f.status is Status.PASSED),
                failing=[_evidence(f) for f in failing],
                unknown=[_evidence(f) for f in unknown],
                heuristic=bool(rules) and heuristic.get(rec.control, False),
            )
        )
    return ComplianceReport(bench, out)


def _tenancy_level(rule: Any) -> bool:
    """A rule about the tenancy as a whole, or one that code judges only in roots that hold what
    it looks for (``tenancy_judged``): in code, no finding of it is no answer."""
    if rule.resource_kinds == ["oci_identity_tenancy"]:
        return True
    return any(_calls(t.when, "tenancy_judged") for t in rule.targets)


def _calls(condition: Any, name: str) -> bool:
    """Whether a declarative condition calls the named check ``name`` anywhere."""
    if isinstance(condition, dict):
        return condition.get("check") == name or any(_calls(v, name) for v in condition.values())
    if isinstance(condition, list):
        return any(_calls(v, name) for v in condition)
    return False


def _undecided(
    rules: list[str], kinds_of: dict[str, set[str]], missing: set[str], in_code: bool, tenancy: set[str]
) -> bool:
    """No finding, but not compliance either: the kinds were not collected, or (in code) a
    tenancy-level rule found nothing of what it looks for in the scanned roots."""
    return any(kinds_of[r] & missing for r in rules) or (in_code and bool(set(rules) & tenancy))


def compliance_document(report: ComplianceReport) -> dict[str, Any]:
    """The section as plain data (the JSON report's ``compliance``)."""
    return {
        "benchmark": report.benchmark.key,
        "title": report.benchmark.title,
        "summary": report.overall,
        "by_section": report.totals("section"),
        "by_level": report.totals("level"),
        "recommendations": [
            {
                "control": r.control,
                "title": r.title,
                "section": r.section,
                "level": r.level,
                "profile": r.profile,
                "status": r.status,
                "rules": r.rules,
                "resources": r.resources,
                "passed": r.passed,
                "heuristic": r.heuristic,
                "failing": [_evidence_document(e) for e in r.failing],
                "unknown": [_evidence_document(e) for e in r.unknown],
            }
            for r in report.recommendations
        ],
    }


def _evidence_document(e: Evidence) -> dict[str, Any]:
    return {
        "rule_id": e.rule_id,
        "resource": e.address,
        "message": e.message,
        "location": e.location,
        "accepted": e.accepted,
    }


def compliance_markdown(report: ComplianceReport, *, escape: Any = str, max_evidence: int = 5) -> str:
    """The section as markdown: totals per section and level, then one row per recommendation.
    ``escape`` makes input-controlled text safe for the surrounding markdown."""
    overall = report.overall
    lines = [
        f"### Compliance: {escape(report.benchmark.title)}",
        "",
        " · ".join(f"**{overall[s]}** {s}" for s in STATUSES),
        "",
        "| Section | " + " | ".join(STATUSES) + " |",
        "|---|" + "---:|" * len(STATUSES),
    ]
    from scanner.model.benchmarks import SECTIONS

    for section, counts in report.totals("section").items():
        name = f"{section}. {SECTIONS.get(section, section)}"
        lines.append(f"| {name} | " + " | ".join(str(counts[s]) for s in STATUSES) + " |")
    for level, counts in sorted(report.totals("level").items()):
        lines.append(f"| {level} | " + " | ".join(str(counts[s]) for s in STATUSES) + " |")
    lines += ["", "| Control | Level | Status | Recommendation | Rules | Failing resources |"]
    lines.append("|---|---|---|---|---|---|")
    for r in report.recommendations:
        shown = [
            f"`{escape(e.address)}`" + (" (accepted)" if e.accepted else "") for e in r.failing[:max_evidence]
        ]
        if len(r.failing) > max_evidence:
            shown.append(f"and {len(r.failing) - max_evidence} more")
        lines.append(
            f"| {r.control} | {r.level} | {r.status} | {escape(r.title)} | {', '.join(r.rules) or '—'} | "
            f"{'<br>'.join(shown) or '—'} |"
        )
    return "\n".join(lines) + "\n"
