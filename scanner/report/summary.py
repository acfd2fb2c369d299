"""Counts and ordering shared by every reporter, so all formats agree on the numbers."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import BASELINE_JUSTIFICATION, Finding, Rule, ScanResult, Severity, Status
from scanner.report.fingerprint import finding_file


@dataclass(frozen=True)
class Summary:
    """Totals of one scan. ``by_severity`` counts *failing* findings (failed, plus unknown under
    ``strict``), which is what a CI gate cares about."""

    resources: int
    files: int
    passed: int
    failed: int
    unknown: int
    errors: int
    by_severity: dict[str, int]
    strict: bool
    # Accepted risks (failed/unknown findings covered by an inline comment, waiver or baseline):
    # reported, never counted in failed/unknown. ``baselined`` is the part the baseline accepted.
    suppressed: int = 0
    baselined: int = 0
    warnings: int = 0  # notices that do not make the scan incomplete (``errors`` counts those that do)

    @classmethod
    def of(cls, result: ScanResult) -> Summary:
        """Count ``result``'s findings by status and its failing findings by severity."""
        by_status = {status: 0 for status in Status}
        for finding in result.findings:
            if finding.suppression is None or finding.status is Status.PASSED:
                by_status[finding.status] += 1
        by_severity = {sev.value: 0 for sev in Severity}
        for finding in result.failed:
            by_severity[result.rule(finding.rule_id).severity.value] += 1
        return cls(
            resources=result.resource_count,
            files=len(result.inputs),
            passed=by_status[Status.PASSED],
            failed=by_status[Status.FAILED],
            unknown=by_status[Status.UNKNOWN],
            errors=len(result.input_errors),
            by_severity=by_severity,
            strict=result.strict,
            suppressed=len(result.suppressed),
            baselined=sum(1 for f in result.suppressed if is_baselined(f)),
            warnings=len(result.errors) - len(result.input_errors),
        )

    @property
    def failing(self) -> int:
        """Findings that fail the scan: failed, plus unknown under strict."""
        return self.failed + (self.unknown if self.strict else 0)


def is_baselined(finding: Finding) -> bool:
    """Whether the baseline file (not a comment or waiver) accepted ``finding``."""
    sup = finding.suppression

    return sup is not None and sup.kind == "external" and sup.justification.startswith(BASELINE_JUSTIFICATION)


def report_order(findings: list[Finding], result: ScanResult) -> list[Finding]:
    """Findings by file and line, then most severe first: a stable order makes outputs diffable."""

    def key(finding: Finding) -> tuple:
        line = finding.location.start_line if finding.location else 0
        severity = result.rule(finding.rule_id).severity
        return (finding_file(finding) or "", line, -severity.rank, finding.rule_id, finding.resource.address)

    return sorted(findings, key=key)


# Message of the InputError for a scan path that holds nothing to scan (the text headline says so).
NOTHING_TO_SCAN = "nothing to scan"


def severity_order(findings: list[Finding], result: ScanResult) -> list[Finding]:
    """Findings most severe first, then by file and line: the order a person reads them in."""

    def key(finding: Finding) -> tuple:
        line = finding.location.start_line if finding.location else 0
        severity = result.rule(finding.rule_id).severity
        return (-severity.rank, finding_file(finding) or "", line, finding.rule_id, finding.resource.address)

    return sorted(findings, key=key)


def heading(rule: Rule, finding: Finding) -> str:
    """What a finding is headed by in every format: what is wrong (the policy's ``failure:``) for a
    failed finding, the rule's title (the passing state, what was to be decided) otherwise."""
    if finding.status is Status.FAILED:
        return rule.failure or rule.title
    return rule.title


def fail_on_threshold(result: ScanResult) -> Severity:
    """The ``--fail-on`` severity the exit code is decided with (``low`` when unset or unknown)."""
    try:
        return Severity((result.fail_on or "low").lower())
    except ValueError:
        return Severity.LOW


def gating_headline(result: ScanResult) -> str | None:
    """``4 failing at or above high (1 critical, 3 high); 8 below the threshold (5 medium, 3 low)``
    when ``--fail-on`` is above ``low`` and something fails; None otherwise (every failing finding
    gates, and the usual count says it)."""
    summary = Summary.of(result)
    threshold = fail_on_threshold(result)
    if not summary.failing or threshold is Severity.LOW:
        return None
    above = {s: n for s, n in summary.by_severity.items() if n and Severity(s).rank >= threshold.rank}
    below = {s: n for s, n in summary.by_severity.items() if n and Severity(s).rank < threshold.rank}

    def listed(counts: dict[str, int]) -> str:
        return ", ".join(f"{n} {sev}" for sev, n in counts.items())

    parts = [f"{sum(above.values())} failing at or above {threshold.value} ({listed(above)})" if above
             else f"none failing at or above {threshold.value}"]
    if below:
        parts.append(f"{sum(below.values())} below the threshold ({listed(below)})")
    return "; ".join(parts)


MAX_OFFENDING = 5  # offending lines shown at most under a text finding (a long list attribute is cut)


def snippet_key(finding: Finding) -> str | None:
    """Where a finding's source lines are kept in ``ScanResult.snippets`` (None: none to show;
    live objects point at a snapshot line, one whole JSON object, not code to read)."""
    loc = finding.location
    if loc is None or finding.resource.provenance.source == "oci":
        return None
    return f"{loc.file}:{loc.start_line}:{loc.end_line}"


def offending_lines(finding: Finding) -> tuple[int, int] | None:
    """First and last line to mark: the attribute's lines (at most ``MAX_OFFENDING``), or, when the
    attribute is missing and the finding points at the whole block, the block's first line."""
    loc = finding.location
    if loc is None:
        return None
    block = finding.resource.provenance.location
    whole_block = block is not None and (block.file, block.start_line, block.end_line) == (
        loc.file, loc.start_line, loc.end_line
    )
    if whole_block and loc.end_line > loc.start_line:
        return loc.start_line, loc.start_line
    return loc.start_line, min(max(loc.start_line, loc.end_line), loc.start_line + MAX_OFFENDING - 1)
