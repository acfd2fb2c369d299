"""``ocisec audit``: a live tenancy through read-only API calls, or a snapshot replayed offline."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from scanner.cli.common import (
    BASELINE_OPTION,
    BENCHMARK_OPTION,
    CONFIG_OPTION,
    EXIT_INPUT_ERROR,
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
    report_and_exit,
    reporting_internal_errors,
    say,
    scan_setup,
)  # fmt: skip
from scanner.cli.extras import require_oci_sdk


class AuthMethod(StrEnum):
    """The oci CLI's ``--auth`` methods (docs/live-audit/auth.md)."""

    api_key = "api_key"
    instance_principal = "instance_principal"
    resource_principal = "resource_principal"
    security_token = "security_token"
    instance_obo_user = "instance_obo_user"
    oke_workload_identity = "oke_workload_identity"


@reporting_internal_errors
def audit(
    from_snapshot: Path | None = typer.Option(
        None, "--from-snapshot", help="Re-audit a snapshot file offline instead of collecting."
    ),
    snapshot_out: Path | None = typer.Option(
        None, "--snapshot-out", help="Write the collected inventory here."
    ),
    # The environment (OCI_CLI_CONFIG_FILE, OCI_CLI_PROFILE, OCI_CLI_AUTH, ...) is read by
    # scanner.sources.oci.auth, in the oci CLI's order, so that an invalid value is named there.
    config_file: Path | None = typer.Option(
        None, "--config-file", help="OCI config file (default OCI_CLI_CONFIG_FILE, then ~/.oci/config)."
    ),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile in the config file (default OCI_CLI_PROFILE, then DEFAULT)."
    ),
    auth: AuthMethod | None = typer.Option(
        None, "--auth", help="How to authenticate, as the oci CLI (default OCI_CLI_AUTH, then api_key)."
    ),
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
    benchmark: str | None = BENCHMARK_OPTION,
    skip_rule: list[str] = SKIP_RULE_OPTION,
    policies: list[Path] = POLICIES_OPTION,
    policies_only: list[Path] = POLICIES_ONLY_OPTION,
    config: Path | None = CONFIG_OPTION,
    no_config: bool = NO_CONFIG_OPTION,
    baseline: Path | None = BASELINE_OPTION,
    concurrency: int = typer.Option(16, "--concurrency", min=1, max=128, help="Parallel API calls."),
    processes: int = typer.Option(
        1,
        "--processes",
        min=1,
        max=16,
        help="Processes collecting the regions: this one and N-1 workers (each --concurrency calls).",
    ),
    print_policy: bool = typer.Option(
        False,
        "--print-policy",
        help="Print the least-privilege IAM policy the audit needs (for --policy-subject) and exit.",
    ),
    policy_subject: str = typer.Option(
        "group ocisec-auditors",
        "--policy-subject",
        help='Who --print-policy grants: "group NAME" or "dynamic-group NAME".',
    ),
    service_endpoint: str | None = typer.Option(
        None, "--service-endpoint", envvar="OCISEC_OCI_ENDPOINT", hidden=True,
        help="Send every call to this URL ({region} is replaced): for the API emulator.",
    ),
    state: list[str] = typer.Option(
        [], "--state", help="Terraform state managing the tenancy (repeatable): terraform.tfstate, "
        "`terraform show -json` output, a directory of them, or oci://NAMESPACE/BUCKET/KEY.",
    ),
    code: Path | None = typer.Option(
        None, "--code", help="Terraform configuration of the state (default: the state's directory).",
    ),
    plan: Path | None = typer.Option(
        None, "--plan", help="Compare live objects with this plan JSON instead of the configuration.",
    ),
    var_file: list[Path] = typer.Option([], "--var-file", help="Extra .tfvars file for --code (repeatable)."),
) -> None:
    """Audit a live OCI tenancy (read-only API calls), or re-audit a snapshot."""
    if print_policy:
        from scanner.workflow.audit import auditor_policy_text

        try:
            typer.echo(auditor_policy_text(policy_subject, compartment, state), nl=False)
        except ValueError as exc:
            say(f"ocisec: error: {exc}")
            raise typer.Exit(EXIT_INPUT_ERROR) from None
        return
    from scanner.workflow.audit import (
        AuditOptions,
        AuditRequest,
        AuditSetupError,
        audit_snapshot,
        obtain_snapshot,
    )
    from scanner.workflow.config import ConfigError

    if from_snapshot is None:  # live collection needs the oci SDK: the `audit` extra
        require_oci_sdk()
    # The ocisec configuration of the working directory, read (and checked) before any API call;
    # its waivers match live objects by OCID or address.
    settings, scan_options = scan_setup(
        [Path.cwd()], [], None, False, config, no_config,
        dict(select=rule, skip=skip_rule, benchmark=benchmark, policies=policies, policies_only=policies_only,
             format=fmt.value if fmt else None, fail_on=fail_on.value if fail_on else None,
             strict=strict, baseline=baseline),
    )
    try:  # unknown rule ids or parameters: said now, not after minutes of API calls
        settings.load_rules(scan_options.cache_dir)
    except ConfigError as exc:
        say(f"ocisec: error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    request = AuditRequest(
        from_snapshot=from_snapshot,
        snapshot_out=snapshot_out,
        config_file=config_file,
        profile=profile,
        auth=auth.value if auth else None,
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
        say(f"ocisec: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    options = AuditOptions(
        strict=bool(settings.strict),
        cache_dir=scan_options.cache_dir,
        settings=settings,
        baseline=scan_options.baseline,
        code_and_cloud=_code_and_cloud(state, code, plan, var_file, request),
    )
    try:
        result = audit_snapshot(snapshot, options)
    except ConfigError as exc:
        say(f"ocisec: error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    result.errors = list(scan_options.setup_errors) + result.errors  # a baseline that failed: exit 2
    report_and_exit(
        result, Format((settings.format or "text").lower()), output, Threshold(settings.fail_on or "low")
    )




def _code_and_cloud(
    states: list[str], code: Path | None, plan: Path | None, var_files: list[Path], request: object
) -> object | None:
    """The ``--state`` join, or None (``--code`` / ``--plan`` alone are a usage error)."""
    if not states:
        if code is not None or plan is not None or var_files:
            say("ocisec: error: --code, --plan and --var-file need --state")
            raise typer.Exit(EXIT_INPUT_ERROR)
        return None
    from scanner.workflow.cloud import CodeAndCloud, remote_state_reader

    fetch = remote_state_reader(request) if any(s.startswith("oci://") for s in states) else None
    return CodeAndCloud(states, code, plan, var_files, fetch)
