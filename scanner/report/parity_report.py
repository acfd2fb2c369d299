"""Reports of ``ocisec parity``: text, JSON, SARIF, JUnit, Markdown (a pull-request comment),
HTML and GitHub annotations.

Every format shows the same two lists: rules that pass on a logical resource in one environment
and fail in another, and resources present in some environments only. Messages were scrubbed of
secrets and control characters when the comparison was built; ``render`` scrubs the output with
the caller's redactor too.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from scanner import __version__
from scanner.model import Location
from scanner.model.parity import ParityResult, RuleDifference
from scanner.report import render_as
from scanner.report.markdown_text import md_code
from scanner.report.markdown_text import md_text as md
from scanner.report.redact import Redactor

PARITY_SCHEMA_VERSION = "1.0"
FORMATS = ("text", "json", "sarif", "junit", "markdown", "html", "github", "gitlab-sast")
MARKDOWN_ROWS = 100
PRESENCE_RULE = "ocisec/parity-missing"


def render(result: ParityResult, fmt: str, redactor: Redactor | None = None) -> str:
    """The comparison in format ``fmt`` (one of ``FORMATS``), scrubbed with ``redactor``."""
    renderers = {
        "text": render_text,
        "json": render_json,
        "sarif": render_sarif,
        "junit": render_junit,
        "markdown": render_markdown,
        "html": render_html,
        "github": render_github,
        "gitlab-sast": render_gitlab_sast,
    }
    return render_as(renderers, result, fmt, "parity", redactor)


def _where(location: Location | None) -> str:
    return f"{location.file}:{location.start_line}" if location is not None else ""


def summary_line(result: ParityResult) -> str:
    """One line: how many environments, rule differences and presence differences."""
    envs = ", ".join(e.name for e in result.environments)
    n, p = len(result.differences), len(result.presence)
    return (
        f"{len(result.environments)} environments ({envs}): {n} rule difference{'s' * (n != 1)}, "
        f"{p} resource{'s' * (p != 1)} missing from some environment"
        + (
            f"; {len(result.input_errors)} input error{'s' * (len(result.input_errors) != 1)}"
            if result.input_errors
            else ""
        )
    )


def difference_sentence(d: RuleDifference) -> str:
    """``passes in prod, fails in dev``."""
    parts = [f"passes in {', '.join(d.passing)}", f"fails in {', '.join(d.failing)}"]
    other = [
        f"{o.environment}: {o.status.replace('_', ' ')}"
        for o in d.outcomes
        if o.status not in ("passed", "failed")
    ]
    return "; ".join(parts) + (f" ({'; '.join(other)})" if other else "")


def _title(result: ParityResult, rule_id: str) -> str:
    rule = result.rule(rule_id)
    return rule.title if rule is not None else rule_id


def _severity(result: ParityResult, rule_id: str) -> str:
    rule = result.rule(rule_id)
    return rule.severity.value if rule is not None else "low"


# --- text ---------------------------------------------------------------------------------------


def render_text(result: ParityResult) -> str:
    """Plain text: the summary, then the rule differences, the presence differences, errors."""
    out = [f"ocisec parity: {summary_line(result)}", ""]
    for e in result.environments:
        out.append(f"  {e.name:<12} {e.kind:<11} {e.path}  ({e.resources} resources)")
    out.append("")
    out.append(f"Rule differences ({len(result.differences)})")
    for d in result.differences:
        out.append(f"  [{_severity(result, d.rule_id).upper()}] {d.rule_id} {_title(result, d.rule_id)}")
        out.append(f"    {d.key} ({d.kind}): {difference_sentence(d)}")
        for o in d.outcomes:
            if o.status == "failed":
                out.append(f"      {o.environment}: {_where(o.location) or o.address}: {o.message}")
    if not result.differences:
        out.append("  none: every rule has the same outcome in every environment")
    out.append("")
    out.append(f"Present in some environments only ({len(result.presence)})")
    for p in result.presence:
        out.append(f"  {p.key} ({p.kind}): in {', '.join(p.present)}; missing from {', '.join(p.absent)}")
    if not result.presence:
        out.append("  none")
    if result.errors:
        out += ["", f"Input errors and notices ({len(result.errors)})"]
        for err in result.errors:
            where = f"{err.path}:{err.line}" if err.line else err.path
            out.append(f"  {err.level}: {where}: {err.message}")
    return "\n".join(out) + "\n"


# --- JSON ---------------------------------------------------------------------------------------


def _loc(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.file, "start_line": location.start_line, "end_line": location.end_line}


def to_document(result: ParityResult) -> dict[str, Any]:
    """The comparison as plain data."""
    return {
        "tool": {"name": "ocisec", "version": __version__},
        "kind": "parity",
        "schema_version": PARITY_SCHEMA_VERSION,
        "root": result.root,
        "name_patterns": list(result.name_patterns),
        "environments": [
            {"name": e.name, "path": e.path, "kind": e.kind, "resources": e.resources, "inputs": e.inputs}
            for e in result.environments
        ],
        "summary": {
            "rule_differences": len(result.differences),
            "presence_differences": len(result.presence),
            "errors": len(result.input_errors),
        },
        "rule_differences": [
            {
                "rule_id": d.rule_id,
                "title": _title(result, d.rule_id),
                "severity": _severity(result, d.rule_id),
                "resource": d.key,
                "kind": d.kind,
                "passing": d.passing,
                "failing": d.failing,
                "environments": [
                    {
                        "environment": o.environment,
                        "status": o.status,
                        "address": o.address,
                        "location": _loc(o.location),
                        "attribute": o.attribute,
                        "message": o.message,
                    }
                    for o in d.outcomes
                ],
            }
            for d in result.differences
        ],
        "presence_differences": [
            {
                "resource": p.key,
                "kind": p.kind,
                "present": p.present,
                "absent": p.absent,
                "locations": {env: _loc(loc) for env, loc in p.locations.items()},
            }
            for p in result.presence
        ],
        "errors": [
            {"path": e.path, "line": e.line, "level": e.level, "message": e.message} for e in result.errors
        ],
    }


def render_json(result: ParityResult) -> str:
    """The JSON document, indented, ending in a newline."""
    return json.dumps(to_document(result), indent=2, ensure_ascii=False) + "\n"


# --- SARIF --------------------------------------------------------------------------------------


def render_sarif(result: ParityResult) -> str:
    """SARIF 2.1.0: one result per failing environment of a rule difference (at its line), and
    one note per resource missing from an environment (at its line where it is present)."""
    from scanner.report.sarif import LEVEL, SARIF_SCHEMA_URI, SRCROOT, _file_uri, _root_uri

    rule_ids = sorted({d.rule_id for d in result.differences})
    rules_meta = []
    for rid in rule_ids:
        rule = result.rule(rid)
        entry: dict[str, Any] = {"id": rid, "shortDescription": {"text": _title(result, rid)}}
        if rule is not None:
            entry["helpUri"] = rule.help_uri
            entry["fullDescription"] = {"text": rule.rationale}
        rules_meta.append(entry)
    rules_meta.append(
        {"id": PRESENCE_RULE, "shortDescription": {"text": "Resource missing from an environment"}}
    )
    index = {r["id"]: i for i, r in enumerate(rules_meta)}

    def physical(location: Location | None) -> dict[str, Any] | None:
        if location is None:
            return None
        start = max(1, location.start_line)
        return {
            "artifactLocation": {"uri": _file_uri(location.file), "uriBaseId": SRCROOT},
            "region": {"startLine": start, "endLine": max(start, location.end_line)},
        }

    results: list[dict[str, Any]] = []
    for d in result.differences:
        rule = result.rule(d.rule_id)
        for o in d.outcomes:
            if o.status != "failed":
                continue
            loc: dict[str, Any] = {
                "logicalLocations": [{"fullyQualifiedName": o.address or d.key, "kind": "resource"}]
            }
            phys = physical(o.location)
            if phys:
                loc["physicalLocation"] = phys
            results.append(
                {
                    "ruleId": d.rule_id,
                    "ruleIndex": index[d.rule_id],
                    "level": LEVEL[rule.severity] if rule is not None else "warning",
                    "message": {"text": f"{d.key}: {difference_sentence(d)}. {o.message or ''}".strip()},
                    "locations": [loc],
                    "properties": {
                        "parity": True,
                        "environment": o.environment,
                        "passing": d.passing,
                        "failing": d.failing,
                        "resource": d.key,
                    },
                }
            )
    for p in result.presence:
        env, loc_ = next(iter(p.locations.items()), (None, None))
        loc = {"logicalLocations": [{"fullyQualifiedName": p.key, "kind": "resource"}]}
        phys = physical(loc_)
        if phys:
            loc["physicalLocation"] = phys
        results.append(
            {
                "ruleId": PRESENCE_RULE,
                "ruleIndex": index[PRESENCE_RULE],
                "level": "note",
                "message": {
                    "text": f"{p.key} ({p.kind}) is in {', '.join(p.present)} "
                    f"but missing from {', '.join(p.absent)}"
                },
                "locations": [loc],
                "properties": {"parity": True, "present": sorted(p.present), "absent": p.absent},
            }
        )
    log = {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ocisec",
                        "version": __version__,
                        "informationUri": "https://github.com/ocisec/ocisec",
                        "rules": rules_meta,
                    }
                },
                "automationDetails": {"id": "ocisec/parity/"},
                "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(result.root)}},
                "invocations": [
                    {
                        "executionSuccessful": not result.input_errors,
                        "toolExecutionNotifications": [
                            {
                                "level": e.level if e.level in ("error", "warning", "note") else "error",
                                "message": {"text": f"{e.path}: {e.message}"},
                            }
                            for e in result.errors
                        ],
                    }
                ],
                "results": results,
                "properties": {"environments": [e.name for e in result.environments]},
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


# --- JUnit --------------------------------------------------------------------------------------


def render_junit(result: ParityResult) -> str:
    """One test suite per kind of difference; each difference a failing test case."""
    root = ET.Element("testsuites", name="ocisec parity")
    suite = ET.SubElement(root, "testsuite", name="rule parity")
    for d in result.differences:
        case = ET.SubElement(suite, "testcase", classname=d.rule_id, name=d.key)
        failure = ET.SubElement(
            case,
            "failure",
            type=_severity(result, d.rule_id),
            message=f"{d.rule_id}: {difference_sentence(d)}",
        )
        failure.text = "\n".join(
            f"{o.environment}: {o.status} {_where(o.location)} {o.message or ''}".rstrip() for o in d.outcomes
        )
    suite.set("tests", str(len(result.differences)))
    suite.set("failures", str(len(result.differences)))
    presence = ET.SubElement(root, "testsuite", name="resource parity")
    for p in result.presence:
        case = ET.SubElement(presence, "testcase", classname=p.kind, name=p.key)
        ET.SubElement(
            case,
            "failure",
            type="presence",
            message=f"in {', '.join(p.present)}; missing from {', '.join(p.absent)}",
        )
    presence.set("tests", str(len(result.presence)))
    presence.set("failures", str(len(result.presence)))
    if result.errors:
        errs = ET.SubElement(root, "testsuite", name="input errors")
        for e in result.errors:
            case = ET.SubElement(errs, "testcase", classname="input", name=e.path)
            ET.SubElement(case, "error", message=e.message)
        errs.set("tests", str(len(result.errors)))
        errs.set("errors", str(len(result.errors)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- Markdown -----------------------------------------------------------------------------------


def render_markdown(result: ParityResult) -> str:
    """A pull-request comment: the summary, a table of rule differences with one column per
    environment, and the resources missing from some environment."""
    envs = [e.name for e in result.environments]
    mark = {
        "passed": "✅ pass",
        "failed": "❌ fail",
        "unknown": "❔ unknown",
        "absent": "— absent",
        "not_applicable": "n/a",
    }
    out = [f"### ocisec parity: {md(summary_line(result))}", ""]
    if result.differences:
        out += ["#### Rules that pass in one environment and fail in another", ""]
        out.append("| severity | rule | resource | " + " | ".join(md(e) for e in envs) + " |")
        out.append("|---|---|---|" + "---|" * len(envs))
        for d in result.differences[:MARKDOWN_ROWS]:
            by_env = {o.environment: o for o in d.outcomes}
            cells = [mark.get(by_env[e].status, by_env[e].status) if e in by_env else "" for e in envs]
            rule = result.rule(d.rule_id)
            link = f"[{d.rule_id}]({rule.help_uri})" if rule is not None else d.rule_id
            out.append(
                f"| {_severity(result, d.rule_id)} | {link} {md(_title(result, d.rule_id))} "
                f"| {md_code(d.key)} | " + " | ".join(cells) + " |"
            )
        if len(result.differences) > MARKDOWN_ROWS:
            out.append(
                f"| | … and {len(result.differences) - MARKDOWN_ROWS} more (see the JSON or HTML report) | | "
                + " | " * len(envs)
            )
        out.append("")
    else:
        out += ["Every rule has the same outcome in every environment.", ""]
    if result.presence:
        out += ["#### Present in some environments only", ""]
        out.append("| resource | kind | present in | missing from |")
        out.append("|---|---|---|---|")
        for p in result.presence[:MARKDOWN_ROWS]:
            out.append(
                f"| {md_code(p.key)} | {md_code(p.kind)} | {md(', '.join(p.present))} "
                f"| {md(', '.join(p.absent))} |"
            )
        if len(result.presence) > MARKDOWN_ROWS:
            out.append(f"| … and {len(result.presence) - MARKDOWN_ROWS} more | | | |")
        out.append("")
    if result.errors:
        out += ["#### Input errors", ""]
        for e in result.errors:
            where = f"{e.path}:{e.line}" if e.line else e.path
            out.append(f"- {e.level}: {md_code(where)} {md(e.message)}")
        out.append("")
    return "\n".join(out)


# --- HTML ---------------------------------------------------------------------------------------


def render_html(result: ParityResult) -> str:
    """A self-contained page (the report template set: autoescaped, no script)."""
    from scanner.report.html import _environment

    envs = [e.name for e in result.environments]
    rows = []
    for d in result.differences:
        by_env = {o.environment: o for o in d.outcomes}
        rows.append(
            {
                "rule_id": d.rule_id,
                "title": _title(result, d.rule_id),
                "severity": _severity(result, d.rule_id),
                "key": d.key,
                "kind": d.kind,
                "sentence": difference_sentence(d),
                "cells": [
                    {
                        "status": by_env[e].status if e in by_env else "",
                        "where": _where(by_env[e].location) if e in by_env else "",
                        "message": (by_env[e].message or "") if e in by_env else "",
                    }
                    for e in envs
                ],
            }
        )
    context = {
        "version": __version__,
        "summary_line": summary_line(result),
        "environments": result.environments,
        "env_names": envs,
        "rows": rows,
        "presence": result.presence,
        "errors": [
            {"where": f"{e.path}:{e.line}" if e.line else e.path, "message": e.message, "level": e.level}
            for e in result.errors
        ],
    }
    return _environment().get_template("parity.html").render(**context)


# --- GitHub annotations -------------------------------------------------------------------------


def render_github(result: ParityResult) -> str:
    """GitHub workflow commands: an error annotation per failing environment of a rule
    difference, a notice per missing resource."""
    from scanner.report.github import escape_data, escape_property

    lines = []
    for d in result.differences:
        for o in d.outcomes:
            if o.status != "failed":
                continue
            props = {
                "title": f"{d.rule_id} parity: {', '.join(d.failing)} differs from {', '.join(d.passing)}"
            }
            if o.location is not None:
                props = {"file": o.location.file, "line": str(max(1, o.location.start_line)), **props}
            prop_text = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
            lines.append(f"::error {prop_text}::{escape_data(f'{d.key}: {difference_sentence(d)}')}")
    for p in result.presence:
        text = f"{p.key} ({p.kind}) is in {', '.join(p.present)} but missing from {', '.join(p.absent)}"
        lines.append(
            f"::notice title={escape_property('ocisec parity: missing resource')}::{escape_data(text)}"
        )
    lines.append(f"::notice title=ocisec parity::{escape_data(summary_line(result))}")
    return "\n".join(lines) + "\n"


# --- GitLab SAST --------------------------------------------------------------------------------


def render_gitlab_sast(result: ParityResult) -> str:
    """GitLab security report: a vulnerability per failing environment of a rule difference (at
    its line), with an id stable across pipelines (rule, resource, environment)."""
    import uuid
    from datetime import UTC, datetime

    from scanner.model import Severity
    from scanner.report.gitlab_sast import _NAMESPACE, SCHEMA_URI, SCHEMA_VERSION, SEVERITY, TOOL

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    vulnerabilities = []
    for d in result.differences:
        rule = result.rule(d.rule_id)
        for o in d.outcomes:
            if o.status != "failed":
                continue
            vuln: dict[str, Any] = {
                "id": str(uuid.uuid5(_NAMESPACE, f"parity\0{d.rule_id}\0{d.key}\0{o.environment}")),
                "name": f"{_title(result, d.rule_id)}: "
                f"{', '.join(d.failing)} differs from {', '.join(d.passing)}",
                "description": f"{d.key}: {difference_sentence(d)}. {o.message or ''}".strip(),
                "severity": SEVERITY[rule.severity if rule is not None else Severity.LOW],
                "identifiers": [{"type": "ocisec_rule_id", "name": d.rule_id, "value": d.rule_id}],
                "location": {},
                "details": {"environment": {"name": "Environment", "type": "text", "value": o.environment}},
            }
            if rule is not None:
                vuln["solution"] = rule.fix or rule.remediation
                vuln["identifiers"][0]["url"] = rule.help_uri
            if o.location is not None:
                vuln["location"] = {
                    "file": o.location.file,
                    "start_line": max(1, o.location.start_line),
                    "end_line": max(1, o.location.start_line, o.location.end_line),
                }
            vulnerabilities.append(vuln)
    scan: dict[str, Any] = {
        "analyzer": TOOL,
        "scanner": TOOL,
        "type": "sast",
        "start_time": now,
        "end_time": now,
        "status": "failure" if result.input_errors else "success",
    }
    messages = [
        {"level": "warn" if e.level == "error" else "info", "value": f"{e.path}: {e.message}"}
        for e in result.errors
    ]
    messages += [
        {
            "level": "info",
            "value": f"{p.key} ({p.kind}) is in {', '.join(p.present)} "
            f"but missing from {', '.join(p.absent)}",
        }
        for p in result.presence
    ]
    if messages:
        scan["messages"] = messages
    doc = {"schema": SCHEMA_URI, "version": SCHEMA_VERSION, "scan": scan, "vulnerabilities": vulnerabilities}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
