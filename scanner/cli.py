"""The ``ocisec`` command line.

Exit codes: 0 — every input read and no failing finding at or above ``--fail-on``;
1 — failing findings; 2 — some input could not be read or parsed, or bad usage (findings from
the other inputs are still reported); 3 — internal error (one line on stderr, please report).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from scanner import __version__

app = typer.Typer(
    name="ocisec",
    help="Policy and compliance scanner for Oracle Cloud Infrastructure (Terraform, plans).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="List the rules, or show one in full.", invoke_without_command=True)
app.add_typer(rules_app, name="rules")

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT_ERROR = 0, 1, 2
EXIT_INTERNAL_ERROR = 3
ISSUES_URL = "https://github.com/ocisec/ocisec/issues"


def _reporting_internal_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Turn an unexpected exception into one line on stderr and exit 3, never a traceback and
    never exit 1 (which means "findings") without a report. ``OCISEC_DEBUG=1`` re-raises."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt):
            raise
        except RecursionError:
            if os.environ.get("OCISEC_DEBUG"):
                raise
            typer.echo(
                "ocisec: internal error: input nested too deeply to process; "
                f"please report it at {ISSUES_URL}",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL_ERROR) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("OCISEC_DEBUG"):
                raise
            where = ""
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
            typer.echo(
                f"ocisec: internal error: {type(exc).__name__}{where}; "
                f"please report it at {ISSUES_URL} (OCISEC_DEBUG=1 shows the traceback)",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL_ERROR) from None

    return run


def _abandon_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


class Threshold(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ocisec {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """ocisec: scan OCI Terraform and plans for encryption, secrets, rotation, HA and IAM issues."""


def default_cache_dir() -> Path:
    """``$OCISEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/ocisec``, else ``~/.cache/ocisec``."""
    from scanner.cache import default_directory

    return default_directory()


@app.command()
@_reporting_internal_errors
def scan(
    paths: list[Path] = typer.Argument(..., help="Directories, .tf/.tfvars files or plan JSON files."),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Report format."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
    var_file: list[Path] = typer.Option([], "--var-file", help="Extra .tfvars file (repeatable)."),
    strict: bool = typer.Option(False, "--strict", help="Treat results that cannot be decided as failures."),
    fail_on: Threshold = typer.Option(
        Threshold.low, "--fail-on", help="Lowest severity that makes the exit code 1."
    ),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Parse cache directory."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the parse cache."),
    rule: list[str] = typer.Option([], "--rule", help="Run only this rule id (repeatable)."),
    policies: Path | None = typer.Option(None, "--policies", help="Directory of policy YAML files."),
    limit: list[str] = typer.Option(
        [], "--limit", help="Change a work limit, NAME=N (repeatable), e.g. max_instances=50000."
    ),
) -> None:
    """Scan Terraform configurations and plans."""
    from scanner.limits import LIMITS

    for problem in LIMITS.load_environment():
        typer.echo(f"ocisec: {problem}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR)
    for item in limit:
        name, _, value = item.partition("=")
        try:
            LIMITS.set(name.strip(), int(value))
        except ValueError as exc:
            typer.echo(f"ocisec: --limit {item}: {exc}", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    from scanner.model import Severity
    from scanner.report import render
    from scanner.report.redact import Redactor
    from scanner.scan import ScanOptions, run_scan

    for vf in var_file:
        if not vf.is_file():
            typer.echo(f"ocisec: --var-file {vf}: no such file", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR)
    options = ScanOptions(
        var_files=list(var_file),
        strict=strict,
        cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
        policy_dir=policies,
        rule_ids=list(rule) or None,
    )
    result, secrets = run_scan(list(paths), options)
    redactor = Redactor()
    for s in secrets:
        # Short values ("true", "dev") would mangle the report; they are masked in messages anyway.
        if len(s) >= 8:
            redactor.add(s)
        redactor.add_key(s)  # as an instance key (`fe["Pw1"]`) a secret is masked whatever its length
    to_tty = output is None and sys.stdout.isatty()
    report = render(result, fmt.value, redactor, color=to_tty, width=120)
    if output is None:
        try:
            sys.stdout.write(report if report.endswith("\n") else report + "\n")
            sys.stdout.flush()
        except OSError as exc:  # /dev/full, a closed pipe: say so instead of a traceback
            _abandon_stdout()
            typer.echo(f"ocisec: cannot write the report: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    else:
        try:
            output.write_text(report, encoding="utf-8")
        except OSError as exc:
            typer.echo(f"ocisec: cannot write {output}: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    shown = Redactor.for_result(result)
    shown.update(redactor)
    for err in shown.scrub_result(result).errors:  # stderr too: no secret, no control character
        where = f"{err.path}:{err.line}" if err.line else err.path
        typer.echo(f"ocisec: error: {where}: {err.message}", err=True)
    threshold = Severity(fail_on.value).rank
    failing = [f for f in result.failed if result.rule(f.rule_id).severity.rank >= threshold]
    if result.input_errors:
        raise typer.Exit(EXIT_INPUT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


@rules_app.callback()
def rules_list(ctx: typer.Context) -> None:
    """Table of every rule."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.console import Console
    from rich.table import Table

    from scanner.engine.policy import load_rules

    rules, errors = load_rules()
    table = Table(title=f"ocisec rules ({len(rules)})")
    for col in ("ID", "Severity", "Category", "Title", "Resources"):
        table.add_column(col, overflow="fold")
    for r in rules:
        table.add_row(r.id, r.severity.value, r.category, r.title, ", ".join(r.resource_kinds))
    Console(width=160).print(table)
    for err in errors:
        typer.echo(f"ocisec: error: {err.path}: {err.message}", err=True)
    if errors:
        raise typer.Exit(EXIT_INPUT_ERROR)


@rules_app.command("show")
def rules_show(rule_id: str = typer.Argument(..., help="Rule id, e.g. OCI-ENC-001.")) -> None:
    """Full text of one rule: rationale, remediation, references, parameters, examples."""
    from scanner.engine.policy import load_rules

    rules, _ = load_rules()
    match = [r for r in rules if r.id.lower() == rule_id.lower()]
    if not match:
        typer.echo(f"ocisec: no rule {rule_id!r}; run `ocisec rules` for the list", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR)
    r = match[0]
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
    lines += ["", f"Docs: {r.help_uri}"]
    typer.echo("\n".join(lines))


def _indent(text: str) -> str:
    return "\n".join("  " + ln if ln else "" for ln in text.splitlines())


if __name__ == "__main__":  # pragma: no cover
    app()
