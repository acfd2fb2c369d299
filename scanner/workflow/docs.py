"""Generate ``docs/rules.md`` (the reference that every rule's helpUri points at) from policies.

Run ``python -m scanner.workflow.docs > docs/rules.md``; a test keeps the committed file up to date.
"""

from __future__ import annotations

import sys

from scanner.engine.policy import load_rules
from scanner.model import Rule


def rule_table(rules: list[Rule], link_base: str = "") -> str:
    """A markdown table: id, severity, title, resource kinds (ids link to ``link_base#id``)."""
    rows = ["| id | severity | checks | resources |", "|---|---|---|---|"]
    for r in rules:
        kinds = ", ".join(f"`{k}`" for k in r.resource_kinds)
        rows.append(f"| [{r.id}]({link_base}#{r.id.lower()}) | {r.severity.value} | {r.title} | {kinds} |")
    return "\n".join(rows)


def rules_markdown(rules: list[Rule]) -> str:
    """The whole rule reference."""
    out = [
        "# ocisec rules",
        "",
        "Generated from `policies/*.yaml` by `python -m scanner.workflow.docs`; do not edit by hand.",
        "",
        rule_table(rules),
        "",
    ]
    for r in rules:
        out += rule_markdown(r)
    return "\n".join(out).rstrip() + "\n"


def rule_markdown(r: Rule) -> list[str]:
    """One rule's section of the reference (also ``ocisec rules show ID --format markdown``)."""
    head = f"**{r.title}** — severity *{r.severity.value}*, category *{r.category}*."
    out = [f"## {r.id}", "", head, ""]
    out += [f"Resources: {', '.join(f'`{k}`' for k in r.resource_kinds)}", ""]
    out += ["**Why.** " + r.rationale, "", "**Fix.**", "", r.remediation, ""]
    if r.references:
        refs = "; ".join(f"{x.get('framework', '')} {x.get('id', '')}".strip() for x in r.references)
        out += [f"References: {refs}", ""]
    if r.parameters:
        out += ["Parameters:", ""]
        for k, v in r.parameters.items():
            out.append(f"- `{k}` (default `{v!r}`): {r.parameter_docs.get(k, '')}".rstrip(": "))
        out.append("")
    for kind, label in (("fail", "Non-compliant"), ("pass", "Compliant")):
        if kind in r.examples:
            out += [f"{label}:", "", "```hcl", r.examples[kind], "```", ""]
    return out


def main() -> int:
    """Print the rule reference."""
    rules, errors = load_rules()
    for err in errors:
        print(f"error: {err.path}: {err.message}", file=sys.stderr)
    sys.stdout.write(rules_markdown(rules))
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
