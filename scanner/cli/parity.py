"""``ocisec parity ENV=PATH ENV=PATH ...``: rules that pass in one environment and fail in another,
and resources present in some environments only."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import typer

from scanner.cli.common import (
    CONFIG_OPTION,
    EXIT_FINDINGS,
    EXIT_INPUT_ERROR,
    EXIT_OK,
    NO_CONFIG_OPTION,
    POLICIES_ONLY_OPTION,
    POLICIES_OPTION,
    RULE_OPTION,
    SKIP_RULE_OPTION,
    Threshold,
    reporting_internal_errors,
    say,
    scan_setup,
    write_report,
)


class ParityFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    markdown = "markdown"
    html = "html"
    github = "github"
    gitlab_sast = "gitlab-sast"


@reporting_internal_errors
def parity(
    environments: list[str] = typer.Argument(
        ...,
        metavar="ENV=PATH...",
        help="Environments to compare: a Terraform root, a .tfvars file (on --root), a chart's values file"
        " (values.yaml, values-<env>.yaml) or an ocisec-inventory snapshot.",
    ),
    fmt: ParityFormat = typer.Option(ParityFormat.text, "--format", "-f", help="Report format."),
    output: list[str] = typer.Option(
        [],
        "--output",
        "-o",
        help="FILE (in --format), FORMAT=FILE or FORMAT for stdout; repeatable: several reports.",
    ),
    root: Path | None = typer.Option(
        None,
        "--root",
        help="Terraform root that .tfvars environments apply to (default: the file's directory).",
    ),
    name_pattern: list[str] = typer.Option(
        [],
        "--name-pattern",
        help="Regular expression removed from resource addresses and names before matching (repeatable),"
        " e.g. '-(dev|prod)$'. Environment names are always removed.",
    ),
    fail_on: Threshold = typer.Option(
        Threshold.low, "--fail-on", help="Lowest severity of a rule difference that makes the exit code 1."
    ),
    missing_fails: bool = typer.Option(
        False, "--missing-fails", help="A resource missing from an environment also makes the exit code 1."
    ),
    workspace: str | None = typer.Option(
        None, "--workspace", help="terraform.workspace for Terraform roots."
    ),
    chart: Path | None = typer.Option(
        None, "--chart", help="Chart that Helm values files outside a chart directory are for."
    ),
    rule: list[str] = RULE_OPTION,
    skip_rule: list[str] = SKIP_RULE_OPTION,
    policies: list[Path] = POLICIES_OPTION,
    policies_only: list[Path] = POLICIES_ONLY_OPTION,
    config: Path | None = CONFIG_OPTION,
    no_config: bool = NO_CONFIG_OPTION,
) -> None:
    """Compare environments (exit 1 when a rule passes in one and fails in another)."""
    from scanner.guards.safe_regex import RegexError, compile_policy
    from scanner.report.parity_report import render as render_parity
    from scanner.workflow.config import ConfigError
    from scanner.workflow.outputs import OutputSpecError, parse_outputs
    from scanner.workflow.parity import ParityUsageError, run_parity

    try:
        specs = parse_outputs(list(output), fmt.value, [f.value for f in ParityFormat])
    except OutputSpecError as exc:
        say(f"ocisec: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    patterns: list[re.Pattern[str]] = []
    for raw in name_pattern:
        try:
            patterns.append(compile_policy(raw))
        except (RegexError, re.error, ValueError) as exc:
            say(f"ocisec: parity: --name-pattern {raw!r}: {exc}")
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    # The working directory's configuration (rule selection, parameters, policy directories), as
    # for scan and audit: every environment is judged by the same rules.
    settings, scan_options = scan_setup(
        [Path.cwd()], [], None, True, config, no_config,
        dict(select=rule, skip=skip_rule, policies=policies, policies_only=policies_only),
    )
    try:
        rules, rule_errors = settings.load_rules(scan_options.cache_dir)
    except ConfigError as exc:
        say(f"ocisec: error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    try:
        result = run_parity(
            list(environments), rules, Path.cwd().resolve(), root, patterns, workspace, chart
        )
    except ParityUsageError as exc:
        say(f"ocisec: parity: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    result.errors[:0] = rule_errors
    for spec in specs:
        report = render_parity(result, spec.fmt)
        write_report(report, spec.path)
    from scanner.report.redact import clean_text

    for err in result.errors:
        where = f"{err.path}:{err.line}" if err.line else err.path
        say(f"ocisec: {err.level}: {clean_text(where)}: {clean_text(err.message)}")
    if result.input_errors:
        raise typer.Exit(EXIT_INPUT_ERROR)
    threshold = {"critical": 4, "high": 3, "medium": 2, "low": 1}[fail_on.value]
    failing = [
        d
        for d in result.differences
        if (rule := result.rule(d.rule_id)) is not None and rule.severity.rank >= threshold
    ]
    raise typer.Exit(EXIT_FINDINGS if failing or (missing_fails and result.presence) else EXIT_OK)
