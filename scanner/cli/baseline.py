"""``ocisec baseline create``: accept today's findings so that CI fails only on new ones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scanner.cli.common import (
    CONFIG_OPTION,
    EXIT_INPUT_ERROR,
    NO_CONFIG_OPTION,
    POLICIES_OPTION,
    reporting_internal_errors,
    run_scan_or_exit,
    scan_setup,
)  # fmt: skip

if TYPE_CHECKING:
    from scanner.model import ScanResult
    from scanner.workflow.config import Settings

baseline_app = typer.Typer(help="Accept today's findings so that CI fails only on new ones.")


@baseline_app.command("create")
@reporting_internal_errors
def baseline_create(
    paths: list[Path] | None = typer.Argument(None, help="What `ocisec scan` would scan."),
    out: Path = typer.Option(Path(".ocisec-baseline.json"), "--output", "-o", help="Baseline file to write."),
    from_snapshot: Path | None = typer.Option(
        None, "--from-snapshot", help="Baseline the audit of this live-inventory snapshot instead of PATHs."
    ),
    var_file: list[Path] = typer.Option([], "--var-file", help="Extra .tfvars file (repeatable)."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Parse cache directory."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the parse cache."),
    rule: list[str] = typer.Option([], "--rule", envvar="OCISEC_RULE", help="Only this rule (repeatable)."),
    skip_rule: list[str] = typer.Option([], "--skip-rule", envvar="OCISEC_SKIP_RULE", help="Not this rule."),
    policies: list[Path] = POLICIES_OPTION,
    policies_only: list[Path] = typer.Option([], "--policies-only", help="Only this policy directory."),
    config: Path | None = CONFIG_OPTION,
    no_config: bool = NO_CONFIG_OPTION,
) -> None:
    """Write today's open findings to a baseline file; scans given it fail only on new ones.

    Every failed or unknown finding that no comment or waiver accepts is keyed by its SARIF
    fingerprint; `ocisec scan --baseline FILE` then fails only on findings not in it."""
    import json

    from scanner.workflow.baseline import baseline_document

    if bool(paths) == (from_snapshot is not None):
        typer.echo("ocisec: baseline create: give PATHs to scan, or --from-snapshot FILE", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR)
    settings, options = scan_setup(
        paths or [Path.cwd()], var_file, cache_dir, no_cache, config, no_config,
        dict(select=rule, skip=skip_rule, policies=policies, policies_only=policies_only),
    )
    options.baseline = None  # a new baseline starts from every open finding
    if from_snapshot is not None:
        result = _audit_for_baseline(from_snapshot, settings, options.cache_dir)
    else:
        result, _ = run_scan_or_exit(paths or [], options)
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


def _audit_for_baseline(snapshot_file: Path, settings: Settings, cache_dir: Path | None) -> ScanResult:
    """The audit of a snapshot, for ``baseline create --from-snapshot``."""
    from scanner.workflow.audit import (
        AuditOptions,
        AuditRequest,
        AuditSetupError,
        audit_snapshot,
        obtain_snapshot,
    )
    from scanner.workflow.config import ConfigError

    try:
        snapshot = obtain_snapshot(AuditRequest(from_snapshot=snapshot_file))
        return audit_snapshot(snapshot, AuditOptions(cache_dir=cache_dir, settings=settings))
    except (AuditSetupError, ConfigError) as exc:
        typer.echo(f"ocisec: error: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None


