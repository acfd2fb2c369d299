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
    github = "github"
    markdown = "markdown"
    gitlab_sast = "gitlab-sast"


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
    output: list[str] = typer.Option(
        [],
        "--output",
        "-o",
        help="Where a report goes (repeatable): FILE (in --format), FORMAT=FILE, or FORMAT for stdout; "
        "e.g. --output sarif=results.sarif --output text.",
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
    soft_fail: bool = typer.Option(
        False, "--soft-fail", help="Exit 0 on findings (still 2 when an input could not be read)."
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
) -> None:
    """Scan Terraform configurations and plans."""
    from scanner.model import Severity
    from scanner.outputs import OutputSpecError, parse_outputs, use_color
    from scanner.outputs import source_root as find_source_root
    from scanner.report import render
    from scanner.report.redact import Redactor
    from scanner.scan import ScanOptions, run_scan, scan_root

    for vf in var_file:
        if not vf.is_file():
            typer.echo(f"ocisec: --var-file {vf}: no such file", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR)
    try:
        specs = parse_outputs(list(output), fmt.value, [f.value for f in Format])
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
    options = ScanOptions(
        var_files=list(var_file),
        strict=strict,
        cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
        policy_dir=policies,
        rule_ids=list(rule) or None,
    )
    result, secrets = run_scan(list(paths), options)
    result.metadata["source_root"] = str(find_source_root(list(paths), source_root, scan_root(list(paths))))
    if checkov is not None:
        from scanner.checkov import merge_checkov, run_checkov

        merge_checkov(result, run_checkov(checkov, list(paths), Path(result.root)))
    redactor = Redactor()
    for s in secrets:
        # Short values ("true", "dev") would mangle the report; they are masked in messages anyway.
        if len(s) >= 8:
            redactor.add(s)
    text_on_stdout = False
    for spec in specs:
        color = spec.path is None and use_color(no_color, sys.stdout.isatty())
        report = render(result, spec.fmt, redactor, color=color, width=_report_width(spec.path is None))
        if spec.path is None:
            sys.stdout.write(report if report.endswith("\n") or not report else report + "\n")
            text_on_stdout = text_on_stdout or spec.fmt == "text"
            continue
        try:
            spec.path.write_text(report, encoding="utf-8")
        except OSError as exc:
            typer.echo(f"ocisec: cannot write {spec.path}: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_INPUT_ERROR) from None
    if not text_on_stdout:
        # Each error is said once: in the text report on stdout, or else here.
        for err in result.errors:
            where = f"{err.path}:{err.line}" if err.line else err.path
            level = "error" if err.level == "error" else err.level
            typer.echo(redactor.scrub(f"ocisec: {level}: {where}: {err.message}"), err=True)
    threshold = Severity(fail_on.value).rank
    failing = [f for f in result.failed if result.rule(f.rule_id).severity.rank >= threshold]
    if result.input_errors:
        raise typer.Exit(EXIT_INPUT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if failing and not soft_fail else EXIT_OK)


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


@rules_app.callback()
def rules_list(
    ctx: typer.Context,
    fmt: RulesFormat = typer.Option(RulesFormat.table, "--format", "-f", help="table, json or markdown."),
    no_color: bool = typer.Option(False, "--no-color", help="No ANSI colour (also: NO_COLOR=1)."),
) -> None:
    """Table of every rule (as wide as the terminal), or the list as JSON or markdown."""
    if ctx.invoked_subcommand is not None:
        return
    from scanner.engine.policy import load_rules

    rules, errors = load_rules()
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


def _indent(text: str) -> str:
    return "\n".join("  " + ln if ln else "" for ln in text.splitlines())


if __name__ == "__main__":  # pragma: no cover
    app()
