"""``ocisec rules``: the rule list as a table that fits the terminal, or as JSON."""

from __future__ import annotations

import json
import shutil
import sys
from typing import Any

from scanner.model import Rule

# Below this width the resource kinds column is dropped (it is the longest and least read).
NARROW = 100


def rules_json(rules: list[Rule]) -> str:
    """Every rule as a JSON array of objects: id, severity, category, title, failure, fix,
    resources, benchmarks (benchmark, version, control, level, profile), help_uri."""
    doc = [
        {
            "id": r.id,
            "severity": r.severity.value,
            "category": r.category,
            "title": r.title,
            "failure": r.failure,
            "fix": r.fix,
            "resources": r.resource_kinds,
            "benchmarks": [dict(b) for b in r.benchmarks],
            "help_uri": r.help_uri,
        }
        for r in rules
    ]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def print_rules_table(rules: list[Rule], *, color: bool, width: int | None = None) -> None:
    """Print the rule table to stdout, as wide as the terminal (``COLUMNS`` when not a terminal,
    else 120); narrow terminals lose the resources column, titles wrap."""
    from rich.console import Console
    from rich.table import Table

    if width is None:
        width = shutil.get_terminal_size((120, 24)).columns
    wide = width >= NARROW
    table = Table(title=f"ocisec rules ({len(rules)})", expand=False)
    table.add_column("ID", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    if wide:
        table.add_column("Category", no_wrap=True)
    table.add_column("Title", overflow="fold", ratio=3)
    if wide:
        table.add_column("Resources", overflow="fold", ratio=2)
    from rich.text import Text

    for r in rules:
        row = [r.id, r.severity.value]
        if wide:
            row.append(r.category)
        row.append(r.title)
        if wide:
            row.append(", ".join(r.resource_kinds))
        # Text, not markup: a custom policy's title such as "[bold]x[/]" or "[link=...]" is shown
        # as written (policy directories may come from a pull request's configuration).
        table.add_row(*(Text(cell) for cell in row))
    from io import StringIO

    from scanner.guards.safe_text import defuse

    buffer = StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False)
    console.print(table)
    sys.stdout.write(defuse(buffer.getvalue(), "text"))  # no CI command from a policy's title


def rule_json(rule: Rule) -> str:
    """One rule in full as a JSON object (``ocisec rules show ID --format json``): what the text
    view shows, plus the parameter values in force and the examples."""
    from scanner.engine.registry import checks_of_rule

    doc = {
        "id": rule.id,
        "title": rule.title,
        "failure": rule.failure,
        "fix": rule.fix,
        "severity": rule.severity.value,
        "category": rule.category,
        "resources": rule.resource_kinds,
        "rationale": rule.rationale,
        "remediation": rule.remediation,
        "references": [dict(ref) for ref in rule.references],
        "benchmarks": [dict(b) for b in rule.benchmarks],
        "parameters": {
            k: {"value": v, "doc": rule.parameter_docs.get(k, "")} for k, v in rule.parameters.items()
        },
        "examples": dict(rule.examples),
        "checks": [{"name": name, "module": module} for name, module in checks_of_rule(rule)],
        "help_uri": rule.help_uri,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


# --- ocisec rules --benchmark ----------------------------------------------------------------------

CODE_KINDS = ("provider.", "variable", "file", "terraform_backend")


# Kinds a named check reads besides the resource it judges (joins), for ``rule_sources``.
CHECK_KINDS = {
    "tenancy_notifies_on_events": ("oci_events_rule", "oci_ons_subscription"),
    "topic_has_subscription": ("oci_ons_subscription",),
    "resource_has_service_log": ("oci_logging_log",),
}
TENANCY = "oci_identity_tenancy"


def _needed_kinds(rule: Rule) -> list[set[str]]:
    """Per judged kind, the kinds its verdict depends on: the kind itself (the tenancy stands
    for what its checks look for) and those the target's checks join."""
    from scanner.engine.registry import checks_in

    out: list[set[str]] = []
    for target in rule.targets:
        joined: set[str] = set()
        stack: list[Any] = [target.condition, target.when]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                kinds = node.get("kinds")
                if isinstance(kinds, list):
                    joined |= {str(k) for k in kinds}
                stack += list(node.values())
            elif isinstance(node, list):
                stack += node
        for name in checks_in([target.condition, target.when]):
            joined |= set(CHECK_KINDS.get(name, ()))
        for kind in target.resources:
            out.append(({kind} - {TENANCY}) | joined or {TENANCY})
    return out


def rule_sources(rule: Rule) -> list[str]:
    """The sources in which a rule can judge: ``live`` when the live collector lists every kind
    one of its targets needs (``snapshot`` when a snapshot can hold them but the collector does not list
    them all yet), ``terraform`` (HCL and plans) for OCI kinds unless the rule is tagged ``live``
    (its facts exist only in a tenancy: ages, MFA, sign-ins), ``kubernetes`` for manifests."""
    from scanner.sources.oci.mapping import USER_CREDENTIALS, live_kinds
    from scanner.sources.oci.specs import SPEC_BY_TYPE

    needed = _needed_kinds(rule)
    # A type listed per object of another (an identity domain's users and password policies) is
    # collected as that object's sub-list.
    listed_types = set(SPEC_BY_TYPE) | {r.name for spec in SPEC_BY_TYPE.values() for r in spec.related}
    collected, mapped = live_kinds(listed_types), live_kinds()
    # A user's credentials count only when the collector lists them for each user.
    listed = {r.name for r in SPEC_BY_TYPE["identity.User"].related}
    collected -= {kind for name, kind in USER_CREDENTIALS.items() if name not in listed}
    found: set[str] = set()
    if any(kinds <= collected for kinds in needed):
        found.add("live")
    elif any(kinds <= mapped for kinds in needed):
        found.add("snapshot")
    for kind in rule.resource_kinds:
        if (kind.startswith("oci_") or kind.startswith(CODE_KINDS)) and "live" not in rule.tags:
            found.add("terraform")
        if kind.startswith("k8s.") or kind.startswith("helm"):
            found.add("kubernetes")
    return sorted(found)


def benchmark_coverage(key: str, rules: list[Rule]) -> dict[str, Any]:
    """Every recommendation of benchmark ``key``: the rules that judge it, the sources that can,
    and whether it is covered; totals of covered recommendations per source."""
    from scanner.model.benchmarks import controls_judged, coverage_of, get_benchmark

    bench = get_benchmark(key)
    by_control: dict[str, list[Rule]] = {}
    for rule in rules:
        for control in controls_judged(rule.benchmarks, bench):
            by_control.setdefault(control, []).append(rule)
    recs = []
    for rec in bench.recommendations:
        judging = by_control.get(rec.control, [])
        sources = sorted({s for r in judging for s in rule_sources(r)})
        coverage = sorted({coverage_of(r.benchmarks, bench, rec.control) for r in judging})
        recs.append(
            {
                "control": rec.control,
                "title": rec.title,
                "section": rec.section_title,
                "level": rec.level,
                "profile": rec.profile,
                "rules": [r.id for r in judging],
                "sources": sources,
                "coverage": "none" if not judging else ("heuristic" if coverage == ["heuristic"] else "full"),
            }
        )
    totals = {
        source: sum(1 for r in recs if source in r["sources"])
        for source in ("live", "snapshot", "terraform", "kubernetes")
    }
    return {
        "benchmark": bench.key,
        "title": bench.title,
        "recommendations": recs,
        "covered": {"any": sum(1 for r in recs if r["rules"]), **totals},
        "total": len(recs),
    }


def benchmark_json(key: str, rules: list[Rule]) -> str:
    """``ocisec rules --benchmark KEY --format json``."""
    return json.dumps(benchmark_coverage(key, rules), indent=2, ensure_ascii=False) + "\n"


def print_benchmark_table(key: str, rules: list[Rule], *, color: bool, width: int | None = None) -> None:
    """``ocisec rules --benchmark KEY``: one row per recommendation (control, level, automated or
    manual, title, rules, sources), then how many each source covers and what is not covered."""
    from rich.console import Console
    from rich.table import Table

    doc = benchmark_coverage(key, rules)
    if width is None:
        width = shutil.get_terminal_size((120, 24)).columns
    table = Table(title=doc["title"], expand=False)
    for name in ("Control", "Level", "Assessment", "Recommendation", "Rules", "Sources"):
        table.add_column(name, overflow="fold")
    for rec in doc["recommendations"]:
        rules_text = ", ".join(rec["rules"]) or "not covered"
        if rec["coverage"] == "heuristic":
            rules_text += " (heuristic)"
        table.add_row(
            rec["control"], str(rec["level"]), rec["profile"] or "-", rec["title"], rules_text,
            ", ".join(rec["sources"]) or "-",
        )
    console = Console(file=sys.stdout, width=width, force_terminal=color, no_color=not color, highlight=False)
    console.print(table)
    covered = doc["covered"]
    console.print(
        f"{doc['benchmark']}: {covered['any']}/{doc['total']} recommendations have a rule; "
        f"live {covered['live']}/{doc['total']}, terraform {covered['terraform']}/{doc['total']}."
    )
    missing = [r["control"] for r in doc["recommendations"] if not r["rules"]]
    console.print("Not covered: " + (", ".join(missing) if missing else "none"))
