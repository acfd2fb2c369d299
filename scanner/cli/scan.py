"""``ocisec scan``: Terraform, plans, Helm charts and Kubernetes manifests, in every report format."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from scanner.cli.common import (
    BASELINE_OPTION,
    BENCHMARK_OPTION,
    CONFIG_OPTION,
    EXIT_FINDINGS,
    EXIT_INPUT_ERROR,
    EXIT_OK,
    FAIL_ON_OPTION,
    FORMAT_OPTION,
    NO_CONFIG_OPTION,
    POLICIES_ONLY_OPTION,
    POLICIES_OPTION,
    RULE_OPTION,
    SKIP_RULE_OPTION,
    STRICT_OPTION,
    Format,
    Threshold,
    report_width,
    reporting_internal_errors,
    run_scan_or_exit,
    say,
    scan_setup,
    write_report,
)  # fmt: skip


@reporting_internal_errors
def scan(
    paths: list[Path] = typer.Argument(
        None,
        help="Directories, .tf/.tfvars, plan JSON, charts or manifests; - reads manifests from stdin "
        "(default: the current directory).",
        show_default=False,
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
    benchmark: str | None = BENCHMARK_OPTION,
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
    compact: bool = typer.Option(
        False, "--compact", help="Text report without the offending source lines under each finding."
    ),
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
    from scanner.guards.limits import LIMITS

    for problem in LIMITS.load_environment():
        say(f"ocisec: {problem}")
        raise typer.Exit(EXIT_INPUT_ERROR)
    for item in limit:
        name, _, value = item.partition("=")
        try:
            LIMITS.set(name.strip(), int(value))
        except ValueError as exc:
            say(f"ocisec: --limit {item}: {exc}")
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    from scanner.model import Severity
    from scanner.report import render
    from scanner.report.redact import Redactor
    from scanner.workflow.outputs import OutputSpecError, parse_outputs, use_color
    from scanner.workflow.outputs import source_root as find_source_root
    from scanner.workflow.scan import scan_root

    paths = list(paths or [Path(".")])  # `ocisec scan` alone scans the current directory
    for vf in values:
        if not vf.is_file():
            say(f"ocisec: --values {vf}: no such file")
            raise typer.Exit(EXIT_INPUT_ERROR)
    settings, options = scan_setup(
        paths, var_file, cache_dir, no_cache, config, no_config,
        dict(select=rule, skip=skip_rule, benchmark=benchmark, severities=severity, categories=category,
             policies=policies, policies_only=policies_only, format=fmt.value if fmt else None,
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
        say(f"ocisec: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    checkov = None
    if with_checkov:
        from scanner.workflow.checkov import CheckovMissing, find_checkov

        try:
            checkov = find_checkov(checkov_bin)
        except CheckovMissing as exc:
            say(f"ocisec: --with-checkov: {exc}")
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    result, secrets = run_scan_or_exit(paths, options)
    if options.baseline is not None:
        result.metadata["baseline"] = {"file": options.baseline.path, "matched": options.baseline.matched}
    result.metadata["source_root"] = str(find_source_root(list(paths), source_root, scan_root(list(paths))))
    if checkov is not None:
        from scanner.workflow.checkov import merge_checkov, run_checkov

        merge_checkov(result, run_checkov(checkov, list(paths), Path(result.root)))
    result.fail_on = settings.fail_on or Threshold.low.value
    if not compact and any(spec.fmt == "text" for spec in specs):
        from scanner.workflow.snippets import attach_snippets

        attach_snippets(result)
    redactor = Redactor()
    for s in secrets:
        # Short values ("true", "dev") would mangle the report; they are masked in messages anyway.
        if len(s) >= 8:
            redactor.add(s)
        redactor.add_key(s)  # as an instance key (`fe["Pw1"]`) a secret is masked whatever its length
    text_on_stdout = False
    for spec in specs:
        color = spec.path is None and use_color(no_color, sys.stdout.isatty())
        report = render(
            result, spec.fmt, redactor, color=color, width=report_width(spec.path is None), compact=compact
        )
        write_report(report, spec.path)
        text_on_stdout = text_on_stdout or (spec.path is None and spec.fmt == "text")
    if not text_on_stdout:
        # Each error is said once: in the text report on stdout, or else here (no secret, no
        # control character).
        shown = Redactor.for_result(result)
        shown.update(redactor)
        for err in shown.scrub_errors(result.errors):
            where = f"{err.path}:{err.line}" if err.line else err.path
            level = "error" if err.level == "error" else err.level
            say(f"ocisec: {level}: {where}: {err.message}")
    if options.baseline is not None and not text_on_stdout:  # the text report says it already
        say(
            f"ocisec: {options.baseline.matched} finding(s) baselined by {options.baseline.path}; "
            f"{len(result.failed)} new"
        )
    threshold = Severity(settings.fail_on or Threshold.low.value).rank
    failing = [f for f in result.failed if result.rule(f.rule_id).severity.rank >= threshold]
    if result.input_errors:
        raise typer.Exit(EXIT_INPUT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if failing and not settings.soft_fail else EXIT_OK)


