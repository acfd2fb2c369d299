"""``ocisec diff``: new, fixed and persisting findings between two results, with a trend."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from scanner.cli.common import (
    EXIT_FINDINGS,
    EXIT_INPUT_ERROR,
    EXIT_OK,
    Threshold,
    reporting_internal_errors,
    say,
    write_report,
)


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    markdown = "markdown"
    html = "html"


@reporting_internal_errors
def diff(
    results: list[Path] = typer.Argument(
        ...,
        metavar="[EARLIER...] OLD NEW",
        help="JSON results (--format json) or ocisec-inventory snapshots, oldest first: the last two"
        " are compared; more before them extend the trend (R1 R2 ... OLD NEW).",
    ),
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f", help="Report format."),
    output: list[str] = typer.Option(
        [],
        "--output",
        "-o",
        help="FILE (in --format), FORMAT=FILE or FORMAT for stdout; repeatable: one diff, several reports.",
    ),
    fail_on: Threshold = typer.Option(
        Threshold.low, "--fail-on", help="Lowest severity of a NEW finding that makes the exit code 1."
    ),
    state: list[str] = typer.Option(
        [], "--state", help="Terraform state for snapshot sides (repeatable): drift and unmanaged objects.",
    ),
    code: Path | None = typer.Option(None, "--code", help="Terraform configuration of --state."),
    plan: Path | None = typer.Option(None, "--plan", help="Compare snapshot sides with this plan instead."),
) -> None:
    """Compare two results: new, fixed and persisting findings (exit 1 on new failing findings).

    Earlier results given before OLD add a trend."""
    from scanner.model import Severity
    from scanner.report.diff_report import render as render_diff
    from scanner.workflow.diff import DiffInputError, diff_paths
    from scanner.workflow.outputs import OutputSpecError, parse_outputs

    try:
        specs = parse_outputs(list(output), fmt.value, [f.value for f in DiffFormat])
    except OutputSpecError as exc:
        say(f"ocisec: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    if len(results) < 2:
        say("ocisec: diff: give two results to compare (OLD NEW), oldest first")
        raise typer.Exit(EXIT_INPUT_ERROR)
    options = None
    if state:  # snapshot sides are audited with the state joined, as `ocisec audit --state` does
        from scanner.workflow.audit import AuditOptions
        from scanner.workflow.cloud import CodeAndCloud

        options = AuditOptions(code_and_cloud=CodeAndCloud(list(state), code, plan))
    elif code is not None or plan is not None:
        say("ocisec: diff: --code and --plan need --state")
        raise typer.Exit(EXIT_INPUT_ERROR)
    try:
        result = diff_paths(results[-2], results[-1], options, earlier=list(results[:-2]))
    except DiffInputError as exc:
        say(f"ocisec: diff: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    for spec in specs:
        report = render_diff(result, spec.fmt)
        write_report(report, spec.path)
    for side, err in result.errors:
        where = f"{err.path}:{err.line}" if err.line else err.path
        say(f"ocisec: {err.level}: [{side}] {where}: {err.message}")
    if result.incomplete:
        raise typer.Exit(EXIT_INPUT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if result.new_at_or_above(Severity(fail_on.value)) else EXIT_OK)


