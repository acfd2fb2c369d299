"""``ocisec rules``: the rule table, one rule in full, as text, JSON or markdown."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scanner.cli.common import (
    CONFIG_OPTION,
    EXIT_INPUT_ERROR,
    NO_CONFIG_OPTION,
    POLICIES_OPTION,
)  # fmt: skip

if TYPE_CHECKING:
    from scanner.model import InputError, Rule

rules_app = typer.Typer(help="List the rules, or show one in full.", invoke_without_command=True)


class ShowFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class RulesFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@rules_app.callback()
def rules_list(
    ctx: typer.Context,
    fmt: RulesFormat = typer.Option(RulesFormat.table, "--format", "-f", help="table, json or markdown."),
    no_color: bool = typer.Option(False, "--no-color", help="No ANSI colour (also: NO_COLOR=1)."),
    policies: list[Path] = POLICIES_OPTION,
    policies_only: list[Path] = typer.Option([], "--policies-only", help="Only this policy directory."),
    config: Path | None = CONFIG_OPTION,
    no_config: bool = NO_CONFIG_OPTION,
    benchmark: str | None = typer.Option(
        None,
        "--benchmark",
        help="List a benchmark's recommendations (cis-oci-3.0) with the rules and sources judging each.",
    ),
) -> None:
    """List every rule as a table (as wide as the terminal), JSON or markdown.

    The built-in rules and the configuration's policy directories, with its parameter values."""
    if ctx.invoked_subcommand is not None:
        return
    rules, errors = _configured_rules(config, no_config, policies, policies_only)
    if benchmark is not None:
        _benchmark(benchmark, rules, fmt, no_color)
        fmt = None  # listed
    if fmt is None:
        pass
    elif fmt is RulesFormat.json:
        from scanner.workflow.catalog import rules_json

        sys.stdout.write(rules_json(rules))
    elif fmt is RulesFormat.markdown:
        from scanner.workflow.docs import rule_table

        sys.stdout.write(rule_table(rules, "docs/rules.md") + "\n")
    else:
        from scanner.workflow.catalog import print_rules_table
        from scanner.workflow.outputs import use_color

        print_rules_table(rules, color=use_color(no_color, sys.stdout.isatty()))
    for err in errors:
        typer.echo(f"ocisec: error: {err.path}: {err.message}", err=True)
    if errors:
        raise typer.Exit(EXIT_INPUT_ERROR)


@rules_app.command("show")
def rules_show(
    rule_id: str = typer.Argument(..., help="Rule id, e.g. OCI-ENC-001."),
    fmt: ShowFormat = typer.Option(ShowFormat.text, "--format", "-f", help="text, json or markdown."),
    policies: list[Path] = POLICIES_OPTION,
    policies_only: list[Path] = typer.Option([], "--policies-only", help="Only this policy directory."),
    config: Path | None = CONFIG_OPTION,
    no_config: bool = NO_CONFIG_OPTION,
) -> None:
    """Full text of one rule: rationale, remediation, references, parameters, examples.

    Parameters show the values the configuration sets."""
    rules, _ = _configured_rules(config, no_config, policies, policies_only)
    match = [r for r in rules if r.id.lower() == rule_id.lower()]
    if not match:
        typer.echo(f"ocisec: no rule {rule_id!r}; run `ocisec rules` for the list", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR)
    r = match[0]
    if fmt is ShowFormat.json:
        from scanner.workflow.catalog import rule_json

        sys.stdout.write(rule_json(r))
        return
    if fmt is ShowFormat.markdown:
        from scanner.workflow.docs import rule_markdown

        sys.stdout.write("\n".join(rule_markdown(r)).rstrip() + "\n")
        return
    lines = [
        f"{r.id}  [{r.severity.value}]  {r.title}",
        f"Category:  {r.category}",
        f"Resources: {', '.join(r.resource_kinds)}",
        "",
        "Rationale:",
        _indent(r.rationale),
        "",
        "Remediation:",
        _indent(r.remediation),
    ]
    if r.fix:
        lines[4:4] = [f"Fails as:  {r.failure}" if r.failure else "", f"Fix:       {r.fix}", ""]
    if r.references:
        lines += ["", "References:"] + [
            f"  - {ref.get('framework', '')} {ref.get('id', '')} {ref.get('title', '')}".rstrip()
            for ref in r.references
        ]
    if r.parameters:
        lines += ["", "Parameters:"] + [
            f"  - {k} = {v!r}  {r.parameter_docs.get(k, '')}".rstrip() for k, v in r.parameters.items()
        ]
    for kind in ("fail", "pass"):
        if kind in r.examples:
            lines += [
                "",
                f"Example ({'non-compliant' if kind == 'fail' else 'compliant'}):",
                _indent(r.examples[kind]),
            ]
    from scanner.engine.registry import checks_of_rule

    used = checks_of_rule(r)
    if used:
        lines += ["", "Named checks (Python):"] + [f"  - {name} in {module}" for name, module in used]
    lines += ["", f"Docs: {r.help_uri}"]
    typer.echo("\n".join(lines))


def _benchmark(key: str, rules: list[Rule], fmt: RulesFormat, no_color: bool) -> None:
    """``ocisec rules --benchmark KEY``: coverage of the benchmark as a table or JSON."""
    from scanner.model.benchmarks import get_benchmark
    from scanner.workflow.catalog import benchmark_json, print_benchmark_table
    from scanner.workflow.outputs import use_color

    try:
        get_benchmark(key)
    except KeyError as exc:
        typer.echo(f"ocisec: error: --benchmark: {exc.args[0]}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    if fmt is RulesFormat.json:
        sys.stdout.write(benchmark_json(key, rules))
    else:
        print_benchmark_table(key, rules, color=use_color(no_color, sys.stdout.isatty()))


def _configured_rules(
    config: Path | None, no_config: bool, policies: list[Path], policies_only: list[Path]
) -> tuple[list[Rule], list[InputError]]:
    """Every rule the configuration of the working directory makes available (its selection
    aside), with its parameter values; a bad configuration exits 2."""
    from scanner.workflow.config import ConfigError, build_settings

    try:
        settings = build_settings(
            [Path.cwd()], config=config, no_config=no_config, policies=policies, policies_only=policies_only
        )
        settings.select, settings.skip, settings.categories, settings.severities = [], [], [], []
        return settings.load_rules()
    except ConfigError as exc:
        typer.echo(f"ocisec: error: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None


def _indent(text: str) -> str:
    return "\n".join("  " + ln if ln else "" for ln in text.splitlines())


