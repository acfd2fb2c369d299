"""The ``ocisec`` command line.

Exit codes: 0 — every input read and no failing finding at or above ``--fail-on``;
1 — failing findings; 2 — some input could not be read or parsed, or bad usage (findings from
the other inputs are still reported).
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path

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
    if os.environ.get("OCISEC_CACHE_DIR"):
        return Path(os.environ["OCISEC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ocisec"


@app.command()
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
) -> None:
    """Scan Terraform configurations and plans."""
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
    to_tty = output is None and sys.stdout.isatty()
    report = render(result, fmt.value, redactor, color=to_tty, width=120)
    if output is None:
        sys.stdout.write(report if report.endswith("\n") else report + "\n")
    else:
        try:
            output.write_text(report, encoding="utf-8")
        except OSError as exc:
            typer.echo(f"ocisec: cannot write {output}: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    for err in result.errors:
        where = f"{err.path}:{err.line}" if err.line else err.path
        typer.echo(f"ocisec: error: {where}: {err.message}", err=True)
    threshold = Severity(fail_on.value).rank
    failing = [f for f in result.failed if result.rule(f.rule_id).severity.rank >= threshold]
    if result.input_errors:
        raise typer.Exit(EXIT_INPUT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


class AuthMethod(StrEnum):
    api_key = "api_key"
    instance_principal = "instance_principal"
    resource_principal = "resource_principal"
    security_token = "security_token"


@app.command()
def audit(
    from_snapshot: Path | None = typer.Option(
        None, "--from-snapshot", help="Re-audit a snapshot file offline instead of collecting."
    ),
    snapshot_out: Path | None = typer.Option(
        None, "--snapshot-out", help="Write the collected inventory here."
    ),
    config_file: Path | None = typer.Option(
        None, "--config-file", envvar="OCI_CLI_CONFIG_FILE", help="OCI config file (default ~/.oci/config)."
    ),
    profile: str | None = typer.Option(
        None, "--profile", envvar="OCI_CLI_PROFILE", help="Profile in the config file (default DEFAULT)."
    ),
    auth: AuthMethod = typer.Option(AuthMethod.api_key, "--auth", help="How to authenticate."),
    region: list[str] = typer.Option(
        [], "--region", help="Region to audit (repeatable; default every subscribed region)."
    ),
    compartment: str | None = typer.Option(
        None, "--compartment", help="Compartment OCID: audit its whole subtree (default the tenancy)."
    ),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Report format."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
    strict: bool = typer.Option(False, "--strict", help="Treat results that cannot be decided as failures."),
    fail_on: Threshold = typer.Option(
        Threshold.low, "--fail-on", help="Lowest severity that makes the exit code 1."
    ),
    rule: list[str] = typer.Option([], "--rule", help="Run only this rule id (repeatable)."),
    policies: Path | None = typer.Option(None, "--policies", help="Directory of policy YAML files."),
    concurrency: int = typer.Option(16, "--concurrency", min=1, max=128, help="Parallel API calls."),
    processes: int = typer.Option(
        1, "--processes", min=1, max=16, help="Worker processes for the regions (each --concurrency calls)."
    ),
    service_endpoint: str | None = typer.Option(
        None, "--service-endpoint", envvar="OCISEC_OCI_ENDPOINT", hidden=True,
        help="Send every call to this URL ({region} is replaced): for the API emulator.",
    ),
) -> None:
    """Audit a live OCI tenancy (read-only API calls), or re-audit a snapshot."""
    from scanner.audit import AuditOptions, AuditRequest, AuditSetupError, audit_snapshot, obtain_snapshot

    request = AuditRequest(
        from_snapshot=from_snapshot,
        snapshot_out=snapshot_out,
        config_file=config_file,
        profile=profile,
        auth=auth.value,
        regions=list(region) or None,
        compartment=compartment,
        concurrency=concurrency,
        processes=processes,
        service_endpoint=service_endpoint,
        progress=sys.stderr.isatty(),
    )
    try:
        snapshot = obtain_snapshot(request)
    except AuditSetupError as exc:
        typer.echo(f"ocisec: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    result = audit_snapshot(
        snapshot, AuditOptions(strict=strict, policy_dir=policies, rule_ids=list(rule) or None)
    )
    _report_and_exit(result, fmt, output, fail_on)


def _report_and_exit(result, fmt: Format, output: Path | None, fail_on: Threshold) -> None:  # noqa: ANN001
    """Render, write, list errors on stderr and exit with the documented code."""
    from scanner.model import Severity
    from scanner.report import render
    from scanner.report.redact import Redactor

    to_tty = output is None and sys.stdout.isatty()
    report = render(result, fmt.value, Redactor(), color=to_tty, width=120)
    if output is None:
        sys.stdout.write(report if report.endswith("\n") else report + "\n")
    else:
        try:
            output.write_text(report, encoding="utf-8")
        except OSError as exc:
            typer.echo(f"ocisec: cannot write {output}: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    for err in result.errors:
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
