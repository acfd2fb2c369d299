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
from typing import TYPE_CHECKING, Any

import typer

from scanner import __version__

if TYPE_CHECKING:
    from scanner.config import Settings
    from scanner.model import ScanResult
    from scanner.scan import ScanOptions

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
    fmt: Format | None = typer.Option(
        None, "--format", "-f", case_sensitive=False, envvar="OCISEC_FORMAT",
        help="Report format [default: text].",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
    var_file: list[Path] = typer.Option([], "--var-file", help="Extra .tfvars file (repeatable)."),
    strict: bool | None = typer.Option(
        None, "--strict/--no-strict", envvar="OCISEC_STRICT",
        help="Treat results that cannot be decided as failures.",
    ),
    fail_on: Threshold | None = typer.Option(
        None, "--fail-on", case_sensitive=False, envvar="OCISEC_FAIL_ON",
        help="Lowest severity that makes the exit code 1 [default: low].",
    ),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Parse cache directory."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the parse cache."),
    rule: list[str] = typer.Option(
        [], "--rule", envvar="OCISEC_RULE", help="Run only this rule id or glob (repeatable, comma lists)."
    ),
    skip_rule: list[str] = typer.Option(
        [], "--skip-rule", envvar="OCISEC_SKIP_RULE", help="Do not run this rule id or glob (repeatable)."
    ),
    severity: list[str] = typer.Option(
        [], "--severity", envvar="OCISEC_SEVERITY", help="Run only rules of these severities (comma lists)."
    ),
    category: list[str] = typer.Option(
        [], "--category", envvar="OCISEC_CATEGORY", help="Run only rules of these categories (comma lists)."
    ),
    policies: list[Path] = typer.Option(
        [], "--policies", envvar="OCISEC_POLICIES", help="Extra directory of policy YAML files, added to "
        "the built-in rules (repeatable).",
    ),
    policies_only: list[Path] = typer.Option(
        [], "--policies-only", help="Run only these policies, not the built-in ones (repeatable)."
    ),
    config: Path | None = typer.Option(
        None, "--config", envvar="OCISEC_CONFIG",
        help="Configuration file [default: .ocisec.yaml or pyproject.toml [tool.ocisec] up to the git root].",
    ),
    no_config: bool = typer.Option(False, "--no-config", help="Ignore every configuration file."),
    baseline: Path | None = typer.Option(
        None, "--baseline", envvar="OCISEC_BASELINE",
        help="Fail only on findings not in this baseline file (ocisec baseline create).",
    ),
    workspace: str | None = typer.Option(
        None,
        "--workspace",
        envvar="TF_WORKSPACE",
        help="Terraform workspace (terraform.workspace); unknown when not given.",
    ),
) -> None:
    """Scan Terraform configurations and plans."""
    from scanner.model import Severity
    from scanner.report import render
    from scanner.report.redact import Redactor

    settings, options = _scan_setup(
        paths, var_file, cache_dir, no_cache, config, no_config,
        dict(select=rule, skip=skip_rule, severities=severity, categories=category, policies=policies,
             policies_only=policies_only, format=fmt.value if fmt else None,
             fail_on=fail_on.value if fail_on else None, strict=strict, baseline=baseline),
    )
    options.workspace = workspace
    result, secrets = _run(paths, options)
    if options.baseline is not None:
        result.metadata["baseline"] = {"file": options.baseline.path, "matched": options.baseline.matched}
    redactor = Redactor()
    for s in secrets:
        # Short values ("true", "dev") would mangle the report; they are masked in messages anyway.
        if len(s) >= 8:
            redactor.add(s)
    to_tty = output is None and sys.stdout.isatty()
    report = render(result, (settings.format or Format.text.value).lower(), redactor, color=to_tty, width=120)
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
        typer.echo(f"ocisec: {err.level}: {where}: {err.message}", err=True)
    if options.baseline is not None:
        typer.echo(
            f"ocisec: {options.baseline.matched} finding(s) baselined by {options.baseline.path}; "
            f"{len(result.failed)} new",
            err=True,
        )
    threshold = Severity(settings.fail_on or Threshold.low.value).rank
    failing = [f for f in result.failed if result.rule(f.rule_id).severity.rank >= threshold]
    if result.input_errors:
        raise typer.Exit(EXIT_INPUT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


def _scan_setup(
    paths: list[Path],
    var_file: list[Path],
    cache_dir: Path | None,
    no_cache: bool,
    config: Path | None,
    no_config: bool,
    flags: dict[str, Any],
) -> tuple[Settings, ScanOptions]:
    """Settings (file < environment < flags) and ScanOptions shared by ``scan`` and
    ``baseline create``; bad usage or configuration exits 2 with a message naming the file."""
    from scanner.baseline import BaselineError, load_baseline
    from scanner.config import ConfigError, build_settings
    from scanner.scan import ScanOptions

    for vf in var_file:
        if not vf.is_file():
            typer.echo(f"ocisec: --var-file {vf}: no such file", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR)
    cache = None if no_cache else (cache_dir or default_cache_dir())
    try:
        settings = build_settings(list(paths), config=config, no_config=no_config, cache_dir=cache, **flags)
        accepted = load_baseline(settings.baseline) if settings.baseline is not None else None
    except (ConfigError, BaselineError) as exc:
        typer.echo(f"ocisec: error: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    if settings.format is not None and settings.format.lower() not in {f.value for f in Format}:
        typer.echo(
            f"ocisec: error: {settings.where}: format: {settings.format!r} is not one of "
            f"{', '.join(f.value for f in Format)}",
            err=True,
        )
        raise typer.Exit(EXIT_INPUT_ERROR)
    options = ScanOptions(
        var_files=list(var_file),
        strict=bool(settings.strict),
        cache_dir=cache,
        settings=settings,
        baseline=accepted,
    )
    return settings, options


def _run(paths: list[Path], options: ScanOptions) -> tuple[ScanResult, set[str]]:
    """``run_scan`` with configuration errors found while loading rules turned into exit 2."""
    from scanner.config import ConfigError
    from scanner.scan import run_scan

    try:
        return run_scan(list(paths), options)
    except ConfigError as exc:
        typer.echo(f"ocisec: error: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None


baseline_app = typer.Typer(help="Accept today's findings so that CI fails only on new ones.")
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("create")
def baseline_create(
    paths: list[Path] = typer.Argument(..., help="What `ocisec scan` would scan."),
    out: Path = typer.Option(Path(".ocisec-baseline.json"), "--output", "-o", help="Baseline file to write."),
    var_file: list[Path] = typer.Option([], "--var-file", help="Extra .tfvars file (repeatable)."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Parse cache directory."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the parse cache."),
    rule: list[str] = typer.Option([], "--rule", envvar="OCISEC_RULE", help="Only this rule (repeatable)."),
    skip_rule: list[str] = typer.Option([], "--skip-rule", envvar="OCISEC_SKIP_RULE", help="Not this rule."),
    policies: list[Path] = typer.Option([], "--policies", envvar="OCISEC_POLICIES", help="Extra policies."),
    policies_only: list[Path] = typer.Option([], "--policies-only", help="Only this policy directory."),
    config: Path | None = typer.Option(None, "--config", envvar="OCISEC_CONFIG", help="Configuration file."),
    no_config: bool = typer.Option(False, "--no-config", help="Ignore every configuration file."),
) -> None:
    """Write every open finding (failed or unknown, not otherwise suppressed) of a scan to a
    baseline file, keyed by the SARIF fingerprints; `ocisec scan --baseline FILE` then fails only
    on findings that are not in it."""
    import json

    from scanner.baseline import baseline_document

    _, options = _scan_setup(
        paths, var_file, cache_dir, no_cache, config, no_config,
        dict(select=rule, skip=skip_rule, policies=policies, policies_only=policies_only),
    )
    options.baseline = None  # a new baseline starts from every open finding
    result, _ = _run(paths, options)
    for err in result.errors:
        where = f"{err.path}:{err.line}" if err.line else err.path
        typer.echo(f"ocisec: {err.level}: {where}: {err.message}", err=True)
    if result.input_errors:
        typer.echo("ocisec: baseline not written: some inputs could not be read", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR)
    doc = baseline_document(result.findings)
    try:
        out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        typer.echo(f"ocisec: cannot write {out}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    typer.echo(f"ocisec: wrote {out} with {len(doc['findings'])} finding(s)")


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
