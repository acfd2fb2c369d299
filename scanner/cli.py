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
from typing import TYPE_CHECKING, Any

import typer

from scanner import __version__

if TYPE_CHECKING:
    from scanner.config import Settings
    from scanner.model import InputError, Rule, ScanResult
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
    github = "github"
    markdown = "markdown"
    gitlab_sast = "gitlab-sast"
    html = "html"


class Threshold(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"

# Options that scan, audit and baseline share, declared once.
STRICT_OPTION = typer.Option(
    None, "--strict/--no-strict", envvar="OCISEC_STRICT",
    help="Treat results that cannot be decided as failures.",
)
FAIL_ON_OPTION = typer.Option(
    None, "--fail-on", case_sensitive=False, envvar="OCISEC_FAIL_ON",
    help="Lowest severity that makes the exit code 1 [default: low].",
)
RULE_OPTION = typer.Option(
    [], "--rule", envvar="OCISEC_RULE", help="Run only this rule id or glob (repeatable, comma lists)."
)
SKIP_RULE_OPTION = typer.Option(
    [], "--skip-rule", envvar="OCISEC_SKIP_RULE", help="Do not run this rule id or glob (repeatable)."
)
POLICIES_ONLY_OPTION = typer.Option(
    [], "--policies-only", help="Run only these policies, not the built-in ones (repeatable)."
)
POLICIES_OPTION = typer.Option(
    [], "--policies", envvar="OCISEC_POLICIES",
    help="Extra directory of policy YAML files, added to the built-in rules (repeatable).",
)
CONFIG_OPTION = typer.Option(
    None, "--config", envvar="OCISEC_CONFIG",
    help="Configuration file [default: .ocisec.yaml or pyproject.toml [tool.ocisec] up to the git root].",
)
NO_CONFIG_OPTION = typer.Option(False, "--no-config", help="Ignore every configuration file.")
BASELINE_OPTION = typer.Option(
    None, "--baseline", envvar="OCISEC_BASELINE",
    help="Fail only on findings not in this baseline file (ocisec baseline create).",
)
FORMAT_OPTION = typer.Option(
    None, "--format", "-f", case_sensitive=False, envvar="OCISEC_FORMAT",
    help="Report format [default: text].",
)


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
    paths: list[Path] = typer.Argument(
        ..., help="Directories, .tf/.tfvars, plan JSON, charts or manifests; - reads manifests from stdin."
    ),
    fmt: Format | None = FORMAT_OPTION,
    output: list[str] = typer.Option(
        [],
        "--output",
        "-o",
        help="Where a report goes (repeatable): FILE (in --format), FORMAT=FILE, or FORMAT for stdout; "
        "e.g. --output sarif=results.sarif --output text.",
    ),
    var_file: list[Path] = typer.Option([], "--var-file", help="Extra .tfvars file (repeatable)."),
    strict: bool | None = STRICT_OPTION,
    fail_on: Threshold | None = FAIL_ON_OPTION,
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Parse cache directory."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the parse cache."),
    rule: list[str] = RULE_OPTION,
    skip_rule: list[str] = SKIP_RULE_OPTION,
    severity: list[str] = typer.Option(
        [], "--severity", envvar="OCISEC_SEVERITY", help="Run only rules of these severities (comma lists)."
    ),
    category: list[str] = typer.Option(
        [], "--category", envvar="OCISEC_CATEGORY", help="Run only rules of these categories (comma lists)."
    ),
    policies: list[Path] = POLICIES_OPTION,
    policies_only: list[Path] = POLICIES_ONLY_OPTION,
    config: Path | None = CONFIG_OPTION,
    no_config: bool = NO_CONFIG_OPTION,
    baseline: Path | None = BASELINE_OPTION,
    workspace: str | None = typer.Option(
        None,
        "--workspace",
        envvar="TF_WORKSPACE",
        help="Terraform workspace (terraform.workspace); unknown when not given.",
    ),
    soft_fail: bool | None = typer.Option(
        None, "--soft-fail/--no-soft-fail", envvar="OCISEC_SOFT_FAIL",
        help="Exit 0 on findings (still 2 when an input could not be read).",
    ),
    source_root: Path | None = typer.Option(
        None, "--source-root", help="SARIF %SRCROOT%: paths are relative to it (default: the git root)."
    ),
    no_color: bool = typer.Option(False, "--no-color", help="No ANSI colour (also: NO_COLOR=1)."),
    with_checkov: bool = typer.Option(
        False, "--with-checkov", help="Also run Checkov (in its own environment) and merge its findings."
    ),
    checkov_bin: Path | None = typer.Option(
        None, "--checkov-bin", help="The checkov executable (default: $OCISEC_CHECKOV_BIN, else PATH)."
    ),
    limit: list[str] = typer.Option(
        [], "--limit", help="Change a work limit, NAME=N (repeatable), e.g. max_instances=50000."
    ),
    values: list[Path] = typer.Option(
        [], "--values", help="Helm values file layered on each chart's values.yaml (repeatable)."
    ),
    render_charts: bool = typer.Option(
        False, "--render", help="Also render charts with `helm template` (when helm is on PATH)."
    ),
) -> None:
    """Scan Terraform configurations and plans, Helm charts and Kubernetes manifests."""
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
    from scanner.outputs import OutputSpecError, parse_outputs, use_color
    from scanner.outputs import source_root as find_source_root
    from scanner.report import render
    from scanner.report.redact import Redactor
    from scanner.scan import scan_root

    for vf in values:
        if not vf.is_file():
            typer.echo(f"ocisec: --values {vf}: no such file", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR)
    settings, options = _scan_setup(
        paths, var_file, cache_dir, no_cache, config, no_config,
        dict(select=rule, skip=skip_rule, severities=severity, categories=category, policies=policies,
             policies_only=policies_only, format=fmt.value if fmt else None,
             fail_on=fail_on.value if fail_on else None, strict=strict, baseline=baseline,
             soft_fail=soft_fail),
    )
    options.workspace = workspace
    options.values_files = list(values)
    options.render = render_charts
    try:
        default_format = (settings.format or Format.text.value).lower()
        specs = parse_outputs(list(output), default_format, [f.value for f in Format])
    except OutputSpecError as exc:
        typer.echo(f"ocisec: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    checkov = None
    if with_checkov:
        from scanner.checkov import CheckovMissing, find_checkov

        try:
            checkov = find_checkov(checkov_bin)
        except CheckovMissing as exc:
            typer.echo(f"ocisec: --with-checkov: {exc}", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    result, secrets = _run(paths, options)
    if options.baseline is not None:
        result.metadata["baseline"] = {"file": options.baseline.path, "matched": options.baseline.matched}
    result.metadata["source_root"] = str(find_source_root(list(paths), source_root, scan_root(list(paths))))
    if checkov is not None:
        from scanner.checkov import merge_checkov, run_checkov

        merge_checkov(result, run_checkov(checkov, list(paths), Path(result.root)))
    redactor = Redactor()
    for s in secrets:
        # Short values ("true", "dev") would mangle the report; they are masked in messages anyway.
        if len(s) >= 8:
            redactor.add(s)
        redactor.add_key(s)  # as an instance key (`fe["Pw1"]`) a secret is masked whatever its length
    text_on_stdout = False
    for spec in specs:
        color = spec.path is None and use_color(no_color, sys.stdout.isatty())
        report = render(result, spec.fmt, redactor, color=color, width=_report_width(spec.path is None))
        if spec.path is None:
            try:
                sys.stdout.write(report if report.endswith("\n") or not report else report + "\n")
                sys.stdout.flush()
            except OSError as exc:  # /dev/full, a closed pipe: say so instead of a traceback
                _abandon_stdout()
                typer.echo(f"ocisec: cannot write the report: {exc.strerror or exc}", err=True)
                raise typer.Exit(EXIT_INPUT_ERROR) from None
            text_on_stdout = text_on_stdout or spec.fmt == "text"
            continue
        try:
            spec.path.write_text(report, encoding="utf-8")
        except OSError as exc:
            typer.echo(f"ocisec: cannot write {spec.path}: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    if not text_on_stdout:
        # Each error is said once: in the text report on stdout, or else here (no secret, no
        # control character).
        shown = Redactor.for_result(result)
        shown.update(redactor)
        for err in shown.scrub_result(result).errors:
            where = f"{err.path}:{err.line}" if err.line else err.path
            level = "error" if err.level == "error" else err.level
            typer.echo(f"ocisec: {level}: {where}: {err.message}", err=True)
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
    raise typer.Exit(EXIT_FINDINGS if failing and not settings.soft_fail else EXIT_OK)


def _report_width(to_stdout: bool) -> int:
    """The text report's width: the terminal's when printing to one (at least 80), else 120."""
    if to_stdout and sys.stdout.isatty():
        import shutil

        return max(80, shutil.get_terminal_size((120, 24)).columns)
    return 120


class RulesFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


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
@_reporting_internal_errors
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
    """Write every open finding (failed or unknown, not otherwise suppressed) of a scan to a
    baseline file, keyed by the SARIF fingerprints; `ocisec scan --baseline FILE` then fails only
    on findings that are not in it."""
    import json

    from scanner.baseline import baseline_document

    if bool(paths) == (from_snapshot is not None):
        typer.echo("ocisec: baseline create: give PATHs to scan, or --from-snapshot FILE", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR)
    settings, options = _scan_setup(
        paths or [Path.cwd()], var_file, cache_dir, no_cache, config, no_config,
        dict(select=rule, skip=skip_rule, policies=policies, policies_only=policies_only),
    )
    options.baseline = None  # a new baseline starts from every open finding
    if from_snapshot is not None:
        result = _audit_for_baseline(from_snapshot, settings, options.cache_dir)
    else:
        result, _ = _run(paths or [], options)
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
    from scanner.audit import AuditOptions, AuditRequest, AuditSetupError, audit_snapshot, obtain_snapshot
    from scanner.config import ConfigError

    try:
        snapshot = obtain_snapshot(AuditRequest(from_snapshot=snapshot_file))
        return audit_snapshot(snapshot, AuditOptions(cache_dir=cache_dir, settings=settings))
    except (AuditSetupError, ConfigError) as exc:
        typer.echo(f"ocisec: error: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None


class AuthMethod(StrEnum):
    api_key = "api_key"
    instance_principal = "instance_principal"
    resource_principal = "resource_principal"
    security_token = "security_token"


@app.command()
@_reporting_internal_errors
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
    fmt: Format | None = FORMAT_OPTION,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
    strict: bool | None = STRICT_OPTION,
    fail_on: Threshold | None = FAIL_ON_OPTION,
    rule: list[str] = RULE_OPTION,
    skip_rule: list[str] = SKIP_RULE_OPTION,
    policies: list[Path] = POLICIES_OPTION,
    policies_only: list[Path] = POLICIES_ONLY_OPTION,
    config: Path | None = CONFIG_OPTION,
    no_config: bool = NO_CONFIG_OPTION,
    baseline: Path | None = BASELINE_OPTION,
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
    from scanner.config import ConfigError

    # The ocisec configuration of the working directory, read (and checked) before any API call;
    # its waivers match live objects by OCID or address.
    settings, scan_options = _scan_setup(
        [Path.cwd()], [], None, False, config, no_config,
        dict(select=rule, skip=skip_rule, policies=policies, policies_only=policies_only,
             format=fmt.value if fmt else None, fail_on=fail_on.value if fail_on else None,
             strict=strict, baseline=baseline),
    )
    try:  # unknown rule ids or parameters: said now, not after minutes of API calls
        settings.load_rules(scan_options.cache_dir)
    except ConfigError as exc:
        typer.echo(f"ocisec: error: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
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
    options = AuditOptions(
        strict=bool(settings.strict),
        cache_dir=scan_options.cache_dir,
        settings=settings,
        baseline=scan_options.baseline,
    )
    try:
        result = audit_snapshot(snapshot, options)
    except ConfigError as exc:
        typer.echo(f"ocisec: error: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    _report_and_exit(
        result, Format((settings.format or "text").lower()), output, Threshold(settings.fail_on or "low")
    )


def _report_and_exit(result, fmt: Format, output: Path | None, fail_on: Threshold) -> None:  # noqa: ANN001
    """Render, write, list errors on stderr and exit with the documented code."""
    from scanner.model import Severity
    from scanner.report import render
    from scanner.report.redact import Redactor

    to_tty = output is None and sys.stdout.isatty()
    report = render(result, fmt.value, Redactor(), color=to_tty, width=120)
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
    for err in shown.scrub_result(result).errors:  # stderr too: no secret, no control character
        where = f"{err.path}:{err.line}" if err.line else err.path
        typer.echo(f"ocisec: {err.level}: {where}: {err.message}", err=True)
    threshold = Severity(fail_on.value).rank
    failing = [f for f in result.failed if result.rule(f.rule_id).severity.rank >= threshold]
    if result.input_errors:
        raise typer.Exit(EXIT_INPUT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


@rules_app.callback()
def rules_list(
    ctx: typer.Context,
    fmt: RulesFormat = typer.Option(RulesFormat.table, "--format", "-f", help="table, json or markdown."),
    no_color: bool = typer.Option(False, "--no-color", help="No ANSI colour (also: NO_COLOR=1)."),
    policies: list[Path] = POLICIES_OPTION,
    policies_only: list[Path] = typer.Option([], "--policies-only", help="Only this policy directory."),
    config: Path | None = CONFIG_OPTION,
    no_config: bool = NO_CONFIG_OPTION,
) -> None:
    """Table of every rule (as wide as the terminal), or the list as JSON or markdown: the
    built-in rules and the configuration's policy directories, with its parameter values."""
    if ctx.invoked_subcommand is not None:
        return
    rules, errors = _configured_rules(config, no_config, policies, policies_only)
    if fmt is RulesFormat.json:
        from scanner.rules_listing import rules_json

        sys.stdout.write(rules_json(rules))
    elif fmt is RulesFormat.markdown:
        from scanner.docs import rule_table

        sys.stdout.write(rule_table(rules, "docs/rules.md") + "\n")
    else:
        from scanner.outputs import use_color
        from scanner.rules_listing import print_rules_table

        print_rules_table(rules, color=use_color(no_color, sys.stdout.isatty()))
    for err in errors:
        typer.echo(f"ocisec: error: {err.path}: {err.message}", err=True)
    if errors:
        raise typer.Exit(EXIT_INPUT_ERROR)


@rules_app.command("show")
def rules_show(
    rule_id: str = typer.Argument(..., help="Rule id, e.g. OCI-ENC-001."),
    policies: list[Path] = POLICIES_OPTION,
    policies_only: list[Path] = typer.Option([], "--policies-only", help="Only this policy directory."),
    config: Path | None = CONFIG_OPTION,
    no_config: bool = NO_CONFIG_OPTION,
) -> None:
    """Full text of one rule: rationale, remediation, references, parameters (the values the
    configuration sets), examples."""
    rules, _ = _configured_rules(config, no_config, policies, policies_only)
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
    lines += ["", f"Docs: {r.help_uri}"]
    typer.echo("\n".join(lines))


def _configured_rules(
    config: Path | None, no_config: bool, policies: list[Path], policies_only: list[Path]
) -> tuple[list[Rule], list[InputError]]:
    """Every rule the configuration of the working directory makes available (its selection
    aside), with its parameter values; a bad configuration exits 2."""
    from scanner.config import ConfigError, build_settings

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


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    markdown = "markdown"
    html = "html"


@app.command()
@_reporting_internal_errors
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
) -> None:
    """Compare two results: new, fixed and persisting findings (exit 1 on new failing findings);
    earlier results add a trend."""
    from scanner.diff import DiffInputError, diff_paths
    from scanner.model import Severity
    from scanner.outputs import OutputSpecError, parse_outputs
    from scanner.report.diff_report import render as render_diff

    try:
        specs = parse_outputs(list(output), fmt.value, [f.value for f in DiffFormat])
    except OutputSpecError as exc:
        typer.echo(f"ocisec: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    if len(results) < 2:
        typer.echo("ocisec: diff: give two results to compare (OLD NEW), oldest first", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR)
    try:
        result = diff_paths(results[-2], results[-1], earlier=list(results[:-2]))
    except DiffInputError as exc:
        typer.echo(f"ocisec: diff: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    for spec in specs:
        report = render_diff(result, spec.fmt)
        if spec.path is None:
            sys.stdout.write(report if report.endswith("\n") else report + "\n")
            continue
        try:
            spec.path.write_text(report, encoding="utf-8")
        except OSError as exc:
            typer.echo(f"ocisec: cannot write {spec.path}: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    for side, err in result.errors:
        where = f"{err.path}:{err.line}" if err.line else err.path
        typer.echo(f"ocisec: {err.level}: [{side}] {where}: {err.message}", err=True)
    if result.incomplete:
        raise typer.Exit(EXIT_INPUT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if result.new_at_or_above(Severity(fail_on.value)) else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    app()
