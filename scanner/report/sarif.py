"""SARIF 2.1.0 report, for GitHub code scanning and other SARIF consumers.

Only failing findings become results: code scanning opens an alert for every result, and an
undecidable value is not a defect. Unknowns are counted in ``run.properties`` instead, and
become results only under ``--strict``. Accepted risks (inline comments, waivers, baseline) are
results with ``suppressions``, so they are never lost.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scanner import __version__
from scanner.model import Finding, InputError, Rule, ScanResult, Severity, Status
from scanner.report.fingerprint import FINGERPRINT_KEY, fingerprint
from scanner.report.names import live_label
from scanner.report.paths import rebaser, source_root_of
from scanner.report.summary import heading, report_order

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/ocisec/ocisec"
SRCROOT = "%SRCROOT%"
# GitHub rejects uploads beyond 25,000 results per run; keep the most severe.
MAX_RESULTS = 25_000

# GitHub maps security-severity > 9.0 to critical, >= 7.0 high, >= 4.0 medium, else low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
PROBLEM_SEVERITY = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "recommendation",
}


# GitHub rejects SARIF uploads larger than 10 MB once gzipped.
MAX_GZIPPED_BYTES = 10 * 1024 * 1024


def render(result: ScanResult) -> str:
    """The SARIF log as indented JSON, ending in a newline; kept within GitHub's upload size
    (``MAX_GZIPPED_BYTES``) by leaving out the least severe results, with a notification."""
    log = to_log(result)
    text = json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    if len(text) <= MAX_GZIPPED_BYTES:  # gzip never grows JSON: no need to compress to know
        return text
    size = _gzipped(text)
    results = log["runs"][0]["results"]
    total = len(results) + _left_out(log)
    while size > MAX_GZIPPED_BYTES and results:
        keep = min(len(results) - 1, int(len(results) * MAX_GZIPPED_BYTES / size * 0.9))
        del results[max(keep, 0) :]
        why = "the SARIF file stays under GitHub's 10 MB (gzipped) upload limit"
        _set_truncation_notice(log, total - len(results), why)
        text = json.dumps(log, indent=2, ensure_ascii=False) + "\n"
        size = _gzipped(text)
    return text


def _gzipped(text: str) -> int:
    import gzip

    return len(gzip.compress(text.encode("utf-8"), compresslevel=6))


_TRUNCATION_ID = "ocisec/results-truncated"


def _left_out(log: dict[str, Any]) -> int:
    for note in log["runs"][0]["invocations"][0]["toolExecutionNotifications"]:
        if note.get("descriptor", {}).get("id") == _TRUNCATION_ID:
            return int(note["properties"]["leftOut"])
    return 0


def _set_truncation_notice(log: dict[str, Any], left_out: int, why: str) -> None:
    """One notification saying how many results were left out and why (replacing any earlier)."""
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    notes[:] = [n for n in notes if n.get("descriptor", {}).get("id") != _TRUNCATION_ID]
    notes.append(
        {
            "level": "warning",
            "descriptor": {"id": _TRUNCATION_ID},
            "message": {
                "text": f"{left_out} results left out (the least severe) so that {why}; "
                "see the JSON report for all."
            },
            "properties": {"leftOut": left_out},
        }
    )


def to_log(result: ScanResult) -> dict[str, Any]:
    """The SARIF log as plain data (what ``render`` serializes)."""
    rules = sorted(result.rules, key=lambda r: r.id)
    index = {rule.id: i for i, rule in enumerate(rules)}
    # result.failed is failed plus, under strict, unknown: exactly what should raise alerts.
    failing = report_order(result.failed, result)
    failing.sort(key=lambda f: -result.rule(f.rule_id).severity.rank)  # stable: file order within a severity
    # Module code reached through several callers: one result per rule and line, the callers
    # as related locations, instead of one alert per caller on the same line.
    groups = _group_by_line(failing)
    kept = groups[:MAX_RESULTS]
    rebase = rebaser(result)
    source_root = source_root_of(result)
    # Accepted risks stay in the log as suppressed results (code scanning shows them closed),
    # after the open ones and within the same cap.
    suppressed = [
        f for f in report_order(result.suppressed, result) if f.status is Status.FAILED or result.strict
    ][: max(0, MAX_RESULTS - len(kept))]
    unknown_by_rule = Counter(f.rule_id for f in result.by_status(Status.UNKNOWN))

    notifications = [_notification(error, rebase) for error in result.errors]
    if len(groups) > len(kept):
        notifications.append(
            {
                "level": "warning",
                "descriptor": {"id": _TRUNCATION_ID},
                "message": {
                    "text": f"{len(groups) - len(kept)} results left out (the least severe): SARIF "
                    f"consumers accept at most {MAX_RESULTS} per run; see the JSON report for all."
                },
                "properties": {"leftOut": len(groups) - len(kept)},
            }
        )

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "ocisec",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule) for rule in rules],
            }
        },
        "automationDetails": {"id": _automation_id(result.source_categories)},
        "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(source_root)}},
        "invocations": [
            {
                "executionSuccessful": not result.input_errors,
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": [_result(result.rule(g[0].rule_id), index[g[0].rule_id], g, rebase) for g in kept]
        + [_suppressed_result(result.rule(f.rule_id), index[f.rule_id], f, rebase) for f in suppressed]
        + [_fixed_live_result(result.rule(d.rule_id), index[d.rule_id], d, rebase)
           for d in result.drift if d.direction == "fixed_live" and d.rule_id in index],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "strict": result.strict,
            "unknown": sum(unknown_by_rule.values()),
            "unknownByRule": dict(sorted(unknown_by_rule.items())),
        },
    }
    if "code_and_cloud" in result.metadata:
        # The click-ops inventory: live objects no state manages (their findings are results too).
        run["properties"]["unmanaged"] = [
            {"kind": u.kind, "ocid": u.ocid, "name": u.name, "compartmentId": u.compartment_id,
             "failing": list(u.failing)}
            for u in result.unmanaged
        ]
        run["properties"]["drift"] = len(result.drift)
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def rule_name(title: str) -> str:
    """CamelCase identifier from a rule title: "Bucket is not public" -> "BucketIsNotPublic"."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(word[0].upper() + word[1:] for word in words)


def _descriptor(rule: Rule) -> dict[str, Any]:
    tags = list(dict.fromkeys(["security", rule.category, *rule.tags]))
    return {
        "id": rule.id,
        "name": rule_name(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale or rule.title},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "tags": tags,
            # Declarative checks of written configuration: few false positives by construction.
            "precision": "high",
            "problem.severity": PROBLEM_SEVERITY[rule.severity],
        },
    }


def _reference_line(ref: dict[str, str], markdown: bool) -> str:
    label = " ".join(part for part in (ref.get("framework"), ref.get("id"), ref.get("title")) if part)
    url = ref.get("url")
    if url:
        return f"[{label}]({url})" if markdown else f"{label} <{url}>"
    return label


def _help_text(rule: Rule) -> str:
    parts = [rule.rationale, f"Remediation: {rule.remediation}"]
    if rule.references:
        parts.append("References:\n" + "\n".join(f"- {_reference_line(r, False)}" for r in rule.references))
    return "\n\n".join(p for p in parts if p)


def _help_markdown(rule: Rule) -> str:
    parts = [
        f"**{rule.title}** ({rule.severity.value})",
        rule.rationale,
        f"## Remediation\n\n{rule.remediation}",
    ]
    if rule.references:
        refs = "\n".join(f"- {_reference_line(r, True)}" for r in rule.references)
        parts.append(f"## References\n\n{refs}")
    return "\n\n".join(p for p in parts if p)


_MODULE_PATH = re.compile(r'^(?:module\.[^.\[]+(?:\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?\.)+')


def _group_by_line(findings: list[Finding]) -> list[list[Finding]]:
    """Failing findings grouped by (rule, file, line), in the order of their first member; findings
    without a file location stay alone."""
    groups: dict[tuple, list[Finding]] = {}
    for finding in findings:
        loc = finding.location
        # Only instances of one declaration reached through different module calls share a
        # result: without the module path their addresses are the same. Instances of a counted
        # or for_each resource are resources of their own, each with its own alert.
        declared = _MODULE_PATH.sub("", finding.resource.address)
        key = (finding.rule_id, loc.file, loc.start_line, declared) if loc is not None else (id(finding),)
        groups.setdefault(key, []).append(finding)
    return list(groups.values())


def _related(findings: list[Finding], rebase: Callable[[str], str]) -> list[dict[str, Any]]:
    """The module call blocks that lead to each finding of a group, once each."""
    seen: dict[tuple[str, int, int], str] = {}
    for finding in findings:
        for call in finding.related:
            seen.setdefault((call.file, call.start_line, call.end_line), finding.resource.address)
    related = []
    for i, ((file, start, end), address) in enumerate(sorted(seen.items())):
        related.append({
            "id": i,
            "physicalLocation": {
                "artifactLocation": {"uri": _file_uri(rebase(file)), "uriBaseId": SRCROOT},
                "region": {"startLine": max(1, start), "endLine": max(1, start, end)},
            },
            "message": {"text": _related_text(findings, address)},
        })
    return related


def _related_text(findings: list[Finding], address: str) -> str:
    if findings[0].resource.provenance.source == "oci":  # a managed live object's snapshot line
        return f"live object {address} in the inventory snapshot"
    return f"module call reaching {address}"


def _fixed_live_result(
    rule: Rule, rule_index: int, drift: Any, rebase: Callable[[str], str]
) -> dict[str, Any]:
    """A rule that fails in code but passes live (fixed by hand in the console): the code still
    has the problem, so it is a result at the .tf line, marked as drift."""
    location: dict[str, Any] = {
        "logicalLocations": [
            {"fullyQualifiedName": drift.ocid, "kind": "resource"},
            {"fullyQualifiedName": drift.address, "kind": "declaration"},
        ]
    }
    if drift.location is not None:
        start = max(1, drift.location.start_line)
        location["physicalLocation"] = {
            "artifactLocation": {"uri": _file_uri(rebase(drift.location.file)), "uriBaseId": SRCROOT},
            "region": {"startLine": start, "endLine": max(start, drift.location.end_line)},
        }
    file = drift.location.file if drift.location else ""
    parts = [rule.id, file, drift.address, drift.attribute or "", "fixed_live"]
    print_ = hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()
    return {
        "ruleId": rule.id,
        "ruleIndex": rule_index,
        "level": "note",
        "message": {"text": drift.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: print_},
        "properties": {
            "drift": True,
            "driftDirection": drift.direction,
            "attribute": drift.attribute,
            "codeValue": drift.code_value,
            "liveValue": drift.live_value,
            "terraformAddress": drift.address,
        },
    }


def _result(
    rule: Rule, rule_index: int, group: list[Finding], rebase: Callable[[str], str] = lambda p: p
) -> dict[str, Any]:
    # The group's first finding speaks for it (its fingerprint keeps a single caller's alert stable).
    finding = group[0]
    address = finding.resource.address
    text = finding.message if address in finding.message else f"{finding.message} ({address})"
    # Code scanning titles an alert with the message's first sentence: what is wrong comes first.
    text = f"{heading(rule, finding)}: {text}"
    if len(group) > 1:
        text += f" Reached through {len(group)} module instances: " + ", ".join(
            f.resource.address for f in group
        )
    if finding.status is Status.UNKNOWN:
        text += " Could not be decided statically; reported because of --strict."
    logical: dict[str, Any] = {"fullyQualifiedName": address, "kind": "resource"}
    label = live_label(finding)
    if label is not None:  # a live object: its compartment path and display name
        logical["name"] = label
    location: dict[str, Any] = {"logicalLocations": [logical]}
    if finding.location is not None:
        start = max(1, finding.location.start_line)
        location["physicalLocation"] = {
            "artifactLocation": {"uri": _file_uri(rebase(finding.location.file)), "uriBaseId": SRCROOT},
            "region": {"startLine": start, "endLine": max(start, finding.location.end_line)},
        }
    props: dict[str, Any] = {"status": finding.status.value, "resourceKind": finding.resource.kind}
    provenance = finding.resource.provenance
    if provenance.source == "oci":  # live findings: where in the tenancy
        where = (("region", provenance.region), ("compartmentId", provenance.compartment_id))
        props.update({k: v for k, v in where if v})
        declared = finding.resource.context.get("terraform_address")
        if declared:  # managed: the Terraform address is a second logical location
            location["logicalLocations"].append({"fullyQualifiedName": declared, "kind": "declaration"})
            props["terraformAddress"] = declared
            props["drift"] = rule.id in finding.resource.context.get("drift_rules", ())
        elif finding.resource.context.get("unmanaged"):
            props["unmanaged"] = True
    if finding.attribute:
        props["attribute"] = finding.attribute
    if len(group) > 1:
        props["resources"] = [f.resource.address for f in group]
    out: dict[str, Any] = {
        "ruleId": rule.id,
        "ruleIndex": rule_index,
        "level": LEVEL[rule.severity],
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": props,
    }
    related = _related(group, rebase)
    if related:
        out["relatedLocations"] = related
    return out


def _suppressed_result(
    rule: Rule, rule_index: int, finding: Finding, rebase: Callable[[str], str]
) -> dict[str, Any]:
    """A result with SARIF ``suppressions``: ``inSource`` for comments, ``external`` for waivers
    and baselines (SARIF 2.1.0 §3.35)."""
    out = _result(rule, rule_index, [finding], rebase)
    sup = finding.suppression
    assert sup is not None
    entry: dict[str, Any] = {
        "kind": "inSource" if sup.kind == "in_source" else "external",
        "status": "accepted",
        "justification": sup.justification,
    }
    props = {k: v for k, v in (("origin", sup.origin), ("expires", sup.expires)) if v}
    if props:
        entry["properties"] = props
    out["suppressions"] = [entry]
    return out


def _notification(error: InputError, rebase: Callable[[str], str] = lambda p: p) -> dict[str, Any]:
    where = f"{error.path}:{error.line}" if error.line else error.path
    level = error.level if error.level in ("error", "warning", "note") else "error"
    notification: dict[str, Any] = {"level": level, "message": {"text": f"{where}: {error.message}"}}
    # A path with a colon is an API call ("oci:ListBuckets ..."), not a file under the root.
    if ":" not in error.path:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": _file_uri(rebase(error.path)), "uriBaseId": SRCROOT}
        }
        if error.line:
            physical["region"] = {"startLine": max(1, error.line)}
        notification["locations"] = [{"physicalLocation": physical}]
    return notification


def _file_uri(path: str) -> str:
    """A relative URI reference for a root-relative POSIX path (spaces and '#' escaped)."""
    return quote(path.replace("\\", "/"), safe="/")


def _root_uri(root: str) -> str:
    uri = Path(root).absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _automation_id(categories: list[str]) -> str:
    """``ocisec/terraform+helm/``: one code-scanning category per combination of sources, so
    a Terraform upload does not close the alerts of a Helm upload."""
    joined = "+".join(sorted(dict.fromkeys(categories)))
    return f"ocisec/{joined}/" if joined else "ocisec/"
