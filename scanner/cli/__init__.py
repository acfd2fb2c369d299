"""The ``ocisec`` command line: one module per command, their shared options in ``common``.

Exit codes: 0 — every input read and no failing finding at or above ``--fail-on``;
1 — failing findings; 2 — some input could not be read or parsed, or bad usage (findings from
the other inputs are still reported); 3 — internal error (one line on stderr, please report).
"""

from __future__ import annotations

import typer

from scanner.cli.audit import audit
from scanner.cli.baseline import baseline_app
from scanner.cli.diff import diff
from scanner.cli.parity import parity
from scanner.cli.rules import rules_app
from scanner.cli.scan import scan

app = typer.Typer(
    name="ocisec",
    help="Policy and compliance scanner for Oracle Cloud Infrastructure: Terraform (HCL and .tf.json), "
    "Terraform plan JSON, Helm charts and their values per environment, Kubernetes manifests, and live "
    "tenancies through read-only API calls (ocisec audit, with the audit extra). "
    "One rule set serves them all.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from scanner.cli.version import version_line

        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """ocisec: OCI encryption, secrets, rotation, HA and IAM rules over code, charts and live tenancies."""
    _fewer_collections()


# Objects allocated between two collections of the youngest generation (CPython's default: 700).
GC_YOUNG_THRESHOLD = 50_000


def _fewer_collections() -> None:
    """Collect cycles less often: a scan builds hundreds of thousands of small, long-lived
    objects (parsed YAML and HCL, resources, findings), and at the default threshold the cycle
    collector ran about 450 times on the Helm benchmark, re-walking them for a tenth of its time
    and freeing almost nothing. Memory still goes back at once (reference counting); cycles
    wait a little longer. Never lowers a threshold someone set higher."""
    import gc

    young, middle, old = gc.get_threshold()
    if 0 < young < GC_YOUNG_THRESHOLD:
        gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)



app.command()(scan)
app.command()(audit)
app.add_typer(baseline_app, name="baseline")
app.add_typer(rules_app, name="rules")
app.command()(diff)
app.command()(parity)
