"""``ocisec rules``: the rule list as a table that fits the terminal, or as JSON."""

from __future__ import annotations

import json
import shutil
import sys

from scanner.model import Rule

# Below this width the resource kinds column is dropped (it is the longest and least read).
NARROW = 100


def rules_json(rules: list[Rule]) -> str:
    """Every rule as a JSON array of objects: id, severity, category, title, failure, fix,
    resources, help_uri."""
    doc = [
        {
            "id": r.id,
            "severity": r.severity.value,
            "category": r.category,
            "title": r.title,
            "failure": r.failure,
            "fix": r.fix,
            "resources": r.resource_kinds,
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
    for r in rules:
        row = [r.id, r.severity.value]
        if wide:
            row.append(r.category)
        row.append(r.title)
        if wide:
            row.append(", ".join(r.resource_kinds))
        table.add_row(*row)
    console = Console(file=sys.stdout, width=width, force_terminal=color, no_color=not color, highlight=False)
    console.print(table)


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
        "parameters": {
            k: {"value": v, "doc": rule.parameter_docs.get(k, "")} for k, v in rule.parameters.items()
        },
        "examples": dict(rule.examples),
        "checks": [{"name": name, "module": module} for name, module in checks_of_rule(rule)],
        "help_uri": rule.help_uri,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
