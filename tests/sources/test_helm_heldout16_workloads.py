"""Workload decisions heldout16/17's first runs got wrong or read two ways (issue 17): a pod
anti-affinity a template writes under branches on a value that names its field (pulsar), and a
budget switched off by a block map in values, reported at its switch line whatever the template's
shape (unleash, bitnami etcd). Each fixture is shaped like its chart (``fixtures/helm/README.md``)."""

from __future__ import annotations

from pathlib import Path

from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import findings_by_address as _findings

from scanner.model import Finding, Status
from scanner.sources.helm.components import LiteralPlacement, PlacementTerm, ValuesRead

AFFINITY = FIX / "branch-anti-affinity"
BUDGETS = FIX / "budget-switches"


def _at(finding: Finding) -> tuple[str, int]:
    assert finding.location is not None
    return Path(finding.location.file).name, finding.location.start_line


def test_a_template_anti_affinity_on_hostname_is_reported_at_its_topology_key_in_values():
    """pulsar: `affinity: {anti_affinity: true, type: required…, anti_affinity_topology_key:
    kubernetes.io/hostname}` holds the chart's settings, not an affinity; the template writes a
    hostname-only anti-affinity from them: not spread over ADs, at the topology key's line."""
    got = _findings(AFFINITY, "OCI-HA-102")
    required = got[("OCI-HA-102", "streaming/coordinator[base]")]
    assert required.status is Status.FAILED
    assert "kubernetes.io/hostname" in required.message
    assert _at(required) == ("values.yaml", 10)
    # the `{{ else }}` branch: the preferred field, its own topology key line
    preferred = got[("OCI-HA-102", "streaming/storage[base]")]
    assert preferred.status is Status.FAILED
    assert _at(preferred) == ("values.yaml", 17)


def test_a_template_anti_affinity_over_zones_passes_and_one_switched_off_is_no_spread():
    got = _findings(AFFINITY, "OCI-HA-102")
    assert got[("OCI-HA-102", "streaming/coordinator[prod]")].status is Status.PASSED
    off = got[("OCI-HA-102", "streaming/storage[prod]")]
    assert off.status is Status.FAILED
    assert "sets no topology spread" in off.message
    assert _at(off) == ("values.yaml", 14)  # nothing written: at the replica count


def test_a_field_named_by_a_value_renders_only_a_field_kubernetes_knows():
    term = PlacementTerm("=x.affinity.type", ValuesRead("x.affinity.key"), [])
    block = LiteralPlacement("affinity", [term], 1, [])
    values = {
        "x": {
            "affinity": {
                "key": "topology.kubernetes.io/zone",
                "type": "requiredDuringSchedulingIgnoredDuringExecution",
            }
        }
    }
    spec, reads = block.render(values, {})
    assert spec == {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "topology.kubernetes.io/zone"}]
        }
    }
    assert reads == [
        ("podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.0.topologyKey", "x.affinity.key")
    ]
    values["x"]["affinity"]["type"] = "soonDuringScheduling"
    assert block.render(values, {}) == (None, [])


def test_a_budget_switched_off_by_a_block_map_is_reported_at_its_switch_line():
    """unleash: `podDisruptionBudget:` then a comment then `enabled: false`; bitnami etcd:
    `pdb:` then `create: false`. One reading: the line that sets the deciding value."""
    got = _findings(BUDGETS, "OCI-HA-103")
    top = got[("OCI-HA-103", "flags[base]")]
    assert top.status is Status.FAILED
    assert _at(top) == ("values.yaml", 6)
    worker = got[("OCI-HA-103", "flags/worker[base]")]
    assert worker.status is Status.FAILED
    assert _at(worker) == ("values.yaml", 12)
    assert got[("OCI-HA-103", "flags[prod]")].status is Status.PASSED
    assert got[("OCI-HA-103", "flags/worker[prod]")].status is Status.PASSED
