"""What every command shares: exit codes, the report formats, options declared once, the settings
and scan setup of ``scan``, ``audit`` and ``baseline``, and writing a report then exiting."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from scanner.model import ScanResult
    from scanner.workflow.config import Settings
    from scanner.workflow.scan import ScanOptions

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT_ERROR = 0, 1, 2
EXIT_INTERNAL_ERROR = 3
ISSUES_URL = "https://github.com/ocisec/ocisec/issues"


def say(message: str) -> None:
    """One line on stderr. Every message ocisec writes there goes through here: messages quote
    file names, keys and exception texts from the input, and a CI runner reads stderr for
    workflow commands too, so control characters and line breaks are shown as ``\\uXXXX`` and
    no line can start a command (``tests/test_output_injection.py`` holds the CLI to it)."""
    from scanner.guards.safe_text import clean_line, defuse

    typer.echo(defuse(clean_line(message)), err=True)


def show(text: str) -> None:
    """Text for stdout that is not a rendered report (``rules show``, confirmations): control
    characters escaped and no CI command line, line breaks kept (policies are input too)."""
    from scanner.guards.safe_text import clean_text, defuse

    typer.echo(defuse(clean_text(text)))


def reporting_internal_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Turn an unexpected exception into one line on stderr and exit 3, never a traceback and
    never exit 1 (which means "findings") without a report. ``OCISEC_DEBUG=1`` re-raises."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt):
            raise
        except RecursionError:
            # Only input nests this deep: bad input (exit 2), said as such. Every reader bounds
            # nesting itself (max_depth), so this is the last guard, not the usual path.
            if os.environ.get("OCISEC_DEBUG"):
                raise
            say(
                "ocisec: error: an input is nested too deeply to process "
                f"(max_depth={_max_depth()}); if no file is, please report it at {ISSUES_URL}"
            )
            raise typer.Exit(EXIT_INPUT_ERROR) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("OCISEC_DEBUG"):
                raise
            where = ""
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
            say(
                f"ocisec: internal error: {type(exc).__name__}{where}; "
                f"please report it at {ISSUES_URL} (OCISEC_DEBUG=1 shows the traceback)"
            )
            raise typer.Exit(EXIT_INTERNAL_ERROR) from None

    return run


def _max_depth() -> int:
    from scanner.guards.limits import LIMITS

    return LIMITS.max_depth


def abandon_stdout() -> None:
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
    gitlab_codequality = "gitlab-codequality"
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
    help="Lowest severity that makes the exit code 1 (default: low).",
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
    help="Configuration file (default: .ocisec.yaml, or the tool.ocisec table of pyproject.toml, "
    "up to the git root).",
)
NO_CONFIG_OPTION = typer.Option(False, "--no-config", help="Ignore every configuration file.")
BENCHMARK_OPTION = typer.Option(
    None,
    "--benchmark",
    help="Run only the rules of a benchmark (cis-oci-3.0, cis-oci-2.0) and add its compliance section.",
)
BASELINE_OPTION = typer.Option(
    None, "--baseline", envvar="OCISEC_BASELINE",
    help="Fail only on findings not in this baseline file (ocisec baseline create).",
)
FORMAT_OPTION = typer.Option(
    None, "--format", "-f", case_sensitive=False, envvar="OCISEC_FORMAT",
    help="Report format (default: text).",
)


def default_cache_dir() -> Path:
    """``$OCISEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/ocisec``, else ``~/.cache/ocisec``."""
    from scanner.guards.cache import default_directory

    return default_directory()


def report_width(to_stdout: bool) -> int:
    """The text report's width: the terminal's when printing to one (at least 80), else 120."""
    if to_stdout and sys.stdout.isatty():
        import shutil

        return max(80, shutil.get_terminal_size((120, 24)).columns)
    return 120


def scan_setup(
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
    from scanner.model import InputError
    from scanner.workflow.baseline import BaselineError, load_baseline
    from scanner.workflow.config import ConfigError, build_settings
    from scanner.workflow.scan import ScanOptions

    for vf in var_file:
        if not vf.is_file():
            say(f"ocisec: --var-file {vf}: no such file")
            raise typer.Exit(EXIT_INPUT_ERROR)
    cache = None if no_cache else (cache_dir or default_cache_dir())
    try:
        settings = build_settings(list(paths), config=config, no_config=no_config, cache_dir=cache, **flags)
    except ConfigError as exc:
        say(f"ocisec: error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    setup_errors: list[InputError] = []
    accepted = None
    if settings.baseline is not None:
        try:
            accepted = load_baseline(settings.baseline)
        except BaselineError as exc:
            # One input of several: said as an input error (exit 2) while every finding is still
            # reported, none of them baselined.
            setup_errors.append(InputError(str(settings.baseline), f"baseline not applied: {exc}"))
    if settings.format is not None and settings.format.lower() not in {f.value for f in Format}:
        say(
            f"ocisec: error: {settings.where}: format: {settings.format!r} is not one of "
            f"{', '.join(f.value for f in Format)}"
        )
        raise typer.Exit(EXIT_INPUT_ERROR)
    options = ScanOptions(
        var_files=list(var_file),
        strict=bool(settings.strict),
        cache_dir=cache,
        settings=settings,
        baseline=accepted,
        setup_errors=setup_errors,
    )
    return settings, options


def write_report(report: str, path: Path | None) -> None:
    """Write one rendered report to ``path``, or to stdout when ``path`` is None, ending with one
    newline. A report that cannot be written (a full disk, a closed pipe) is said on stderr and
    exits 2 instead of a traceback. Every command writes its reports through here."""
    if path is None:
        try:
            sys.stdout.write(report if report.endswith("\n") or not report else report + "\n")
            sys.stdout.flush()
        except OSError as exc:  # /dev/full, a closed pipe
            abandon_stdout()
            say(f"ocisec: cannot write the report: {exc.strerror or exc}")
            raise typer.Exit(EXIT_INPUT_ERROR) from None
        return
    try:
        path.write_text(report, encoding="utf-8")
    except OSError as exc:
        say(f"ocisec: cannot write {path}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None


def run_scan_or_exit(paths: list[Path], options: ScanOptions) -> tuple[ScanResult, set[str]]:
    """``run_scan`` with configuration errors found while loading rules turned into exit 2."""
    from scanner.workflow.config import ConfigError
    from scanner.workflow.scan import run_scan

    try:
        return run_scan(list(paths), options)
    except ConfigError as exc:
        say(f"ocisec: error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None


def report_and_exit(result, fmt: Format, output: Path | None, fail_on: Threshold) -> None:  # noqa: ANN001
    """Render, write, list errors on stderr and exit with the documented code."""
    from scanner.model import Severity
    from scanner.report import render
    from scanner.report.redact import Redactor

    to_tty = output is None and sys.stdout.isatty()
    result.fail_on = fail_on.value
    report = render(result, fmt.value, Redactor(), color=to_tty, width=120)
    write_report(report, output)
    shown = Redactor.for_result(result)
    for err in shown.scrub_errors(result.errors):  # stderr too: no secret, no control character
        where = f"{err.path}:{err.line}" if err.line else err.path
        say(f"ocisec: {err.level}: {where}: {err.message}")
    threshold = Severity(fail_on.value).rank
    failing = [f for f in result.failed if result.rule(f.rule_id).severity.rank >= threshold]
    if result.input_errors:
        raise typer.Exit(EXIT_INPUT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


