"""JUnit XML report, for CI systems that show test results (GitLab, Jenkins, Azure DevOps).

One ``<testsuite>`` per rule, one ``<testcase>`` per resource the rule judged: a rule reads as a
test and its resources as cases, so "which rules fail, and where" is what CI's test view shows.
Failed findings are ``<failure>``; unknown ones ``<skipped>`` (``<failure>`` under --strict);
suppressed ones (inline comment, waiver, baseline) ``<skipped>`` with the justification;
inputs that could not be read are ``<error>`` cases in a last suite named ``input-errors``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scanner.model import Finding, InputError, Rule, ScanResult, Status
from scanner.report.summary import heading, report_order

INPUT_ERRORS_SUITE = "input-errors"


def render(result: ScanResult) -> str:
    """The JUnit XML document, with an XML declaration, ending in a newline."""
    root = ET.Element("testsuites", name="ocisec")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for rule in sorted(result.rules, key=lambda r: r.id):
        findings = report_order([f for f in result.findings if f.rule_id == rule.id], result)
        suite = _rule_suite(rule, findings, result.strict)
        root.append(suite)
        _add_counts(totals, suite)
    if result.errors:
        suite = _errors_suite(result.errors)
        root.append(suite)
        _add_counts(totals, suite)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _rule_suite(rule: Rule, findings: list[Finding], strict: bool) -> ET.Element:
    suite = ET.Element("testsuite", name=rule.id)
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("title", rule.title),
        ("severity", rule.severity.value),
        ("category", rule.category),
        ("help_uri", rule.help_uri),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    failures = skipped = 0
    for finding in findings:
        case = ET.SubElement(suite, "testcase", name=finding.resource.address, classname=rule.id, time="0")
        if finding.location is not None:
            case.set("file", finding.location.file)
            case.set("line", str(finding.location.start_line))
        if finding.suppression is not None and finding.status is not Status.PASSED:
            skipped += 1  # an accepted risk: visible, but not a failure
            sup = finding.suppression
            ET.SubElement(
                case, "skipped", message=f"suppressed ({sup.kind}, {sup.origin}): {sup.justification}"
            )
        elif finding.status is Status.FAILED or (finding.status is Status.UNKNOWN and strict):
            failures += 1
            failure = ET.SubElement(
                case, "failure", message=f"{heading(rule, finding)}: {finding.message}",
                type=_failure_type(rule, finding),
            )
            failure.text = _details(rule, finding)
        elif finding.status is Status.UNKNOWN:
            skipped += 1
            ET.SubElement(case, "skipped", message=f"could not be decided statically: {finding.message}")
    _set_counts(suite, tests=len(findings), failures=failures, errors=0, skipped=skipped)
    return suite


def _failure_type(rule: Rule, finding: Finding) -> str:
    # The severity is what CI users filter on; "unknown" marks strict-mode failures apart.
    return rule.severity.value if finding.status is Status.FAILED else f"unknown ({rule.severity.value})"


def _details(rule: Rule, finding: Finding) -> str:
    lines = [
        f"{rule.id} {heading(rule, finding)} [{rule.severity.value}]",
        f"Resource: {finding.resource.address}",
    ]
    if finding.location is not None:
        lines.append(f"Location: {finding.location.file}:{finding.location.start_line}")
    if finding.attribute:
        lines.append(f"Attribute: {finding.attribute}")
    lines += [finding.message, f"Remediation: {rule.remediation}", f"Help: {rule.help_uri}"]
    return "\n".join(lines)


def _errors_suite(errors: list[InputError]) -> ET.Element:
    suite = ET.Element("testsuite", name=INPUT_ERRORS_SUITE)
    for error in errors:
        case = ET.SubElement(suite, "testcase", name=error.path, classname=INPUT_ERRORS_SUITE, time="0")
        case.set("file", error.path)
        if error.line:
            case.set("line", str(error.line))
        where = f"{error.path}:{error.line}" if error.line else error.path
        if error.level != "error":  # a warning (e.g. a broken file beside the named ones): said, not an error
            ET.SubElement(case, "skipped", message=f"{error.level}: {error.message}")
            continue
        element = ET.SubElement(case, "error", message=error.message, type="InputError")
        element.text = f"{where}: {error.message}"
    hard = sum(1 for e in errors if e.level == "error")
    _set_counts(suite, tests=len(errors), failures=0, errors=hard, skipped=len(errors) - hard)
    return suite


def _set_counts(suite: ET.Element, **counts: int) -> None:
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", "0")


def _add_counts(totals: dict[str, int], suite: ET.Element) -> None:
    for key in totals:
        totals[key] += int(suite.get(key, "0"))
