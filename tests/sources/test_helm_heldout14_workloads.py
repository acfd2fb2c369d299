"""Workload idioms of real charts that heldout14's first run got wrong (issue 17): where a
hostname-only spread the template writes itself is reported (cloudflare-tunnel's ``with … else``
default, skywalking's ``antiAffinity: soft`` preset, fission's router). Each fixture is shaped like
its chart (``fixtures/helm/README.md``)."""

from __future__ import annotations

from pathlib import Path

from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import findings_by_address as _findings

from scanner.model import Finding, Status


def _at(finding: Finding) -> tuple[str, int]:
    assert finding.location is not None
    return Path(finding.location.file).name, finding.location.start_line


def test_a_hostname_spread_the_template_writes_is_reported_at_the_replica_count():
    """cloudflare-tunnel: `affinity: {{ with .Values.affinity }}…{{ else }}` a hostname
    anti-affinity. The labels' convention: never a template line for a spread; a template default
    goes to the workload's replica count (values.yaml:4), as a workload with no spread at all."""
    got = _findings(FIX / "hostname-defaults", "OCI-HA-102")
    tunnel = got[("OCI-HA-102", "tunnel-stack[base]")]
    assert tunnel.status is Status.FAILED
    assert "spreads only over kubernetes.io/hostname" in tunnel.message
    assert _at(tunnel) == ("values.yaml", 4)


def test_a_preset_word_in_values_is_reported_at_the_replica_count():
    """skywalking: `oap.antiAffinity: "soft"` picks a hostname anti-affinity written in the
    template; the preset word names no topology key, so the finding is at `oap.replicas`."""
    got = _findings(FIX / "hostname-defaults", "OCI-HA-102")
    oap = got[("OCI-HA-102", "tunnel-stack/oap[base]")]
    assert oap.status is Status.FAILED
    assert _at(oap) == ("values.yaml", 12)


def test_a_hostname_topology_key_written_in_values_stays_at_its_line():
    """prod writes the anti-affinity in values: the finding is that environment's, at the
    hostname topologyKey line of values-prod.yaml (longhorn, openfaas)."""
    got = _findings(FIX / "hostname-defaults", "OCI-HA-102")
    prod = got[("OCI-HA-102", "tunnel-stack[prod]")]
    assert prod.status is Status.FAILED
    assert _at(prod) == ("values-prod.yaml", 6)


def test_a_count_read_through_default_is_reported_at_the_shared_value():
    """langfuse: `replicas: {{ .Values.app.web.replicas | default .Values.app.replicas }}` with
    `web.replicas: null` renders the shared `app.replicas: 1`: one finding per workload at that
    value's line (values.yaml:3), never at the template line that reads it."""
    got = _findings(FIX / "shared-replicas", "OCI-HA-101")
    for name in ("app.web", "app.worker"):
        finding = got[("OCI-HA-101", f"tracing/{name}[base]")]
        assert finding.status is Status.FAILED
        assert _at(finding) == ("values.yaml", 3)
    # prod sets web's own count: the `default` no longer falls back, and 3 replicas pass
    web = got[("OCI-HA-101", "tracing/app.web[prod]")]
    assert web.status is Status.PASSED
    assert _at(web) == ("values-prod.yaml", 3)


def test_one_spread_constraint_written_as_a_map_is_that_constraint():
    """cockroachdb: `statefulset.topologySpreadConstraints` is one map whose fields the template
    writes (`topologyKey: {{ .topologyKey }}` in a `with`, guarded only by a Kubernetes version
    check, which renders): its zone key spreads base over availability domains; prod's hostname
    key does not, at its line."""
    got = _findings(FIX / "map-spread", "OCI-HA-102")
    base = got[("OCI-HA-102", "ringdb/statefulset[base]")]
    assert base.status is Status.PASSED
    assert _at(base) == ("values.yaml", 10)
    prod = got[("OCI-HA-102", "ringdb/statefulset[prod]")]
    assert prod.status is Status.FAILED
    assert _at(prod) == ("values-prod.yaml", 3)


def test_a_count_read_with_dig_is_the_component_s_own():
    """fission: `replicas: {{ dig "replicas" 1 (.Values.builder | default dict) }}` reads
    `builder.replicas`: the component is `builder`, one pod at that value's line in base, two in
    prod -- not a top-level workload whose count is the whole `builder` map."""
    got = _findings(FIX / "dig-replicas", "OCI-HA-101")
    base = got[("OCI-HA-101", "faas/builder[base]")]
    assert base.status is Status.FAILED
    assert _at(base) == ("values.yaml", 7)
    assert got[("OCI-HA-101", "faas/builder[prod]")].status is Status.PASSED
    assert not [a for _, a in got if a.startswith("faas[")]


def test_a_helper_guard_that_includes_another_helper_is_evaluated():
    """fission: the tenant controller renders only when `include "faas.tenantEnabled"`, whose
    condition compares `include "faas.tenancyMode"` (a `dig` with default "static") to "static":
    off in base (no finding), on in prod (one pod, at `tenant.replicas`)."""
    got = _findings(FIX / "dig-replicas", "OCI-HA-101")
    assert ("OCI-HA-101", "faas/tenant[base]") not in got
    prod = got[("OCI-HA-101", "faas/tenant[prod]")]
    assert prod.status is Status.FAILED
    assert _at(prod) == ("values.yaml", 9)
