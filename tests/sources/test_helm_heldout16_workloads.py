"""Workload decisions heldout16/17's first runs got wrong or read two ways (issue 17): a pod
anti-affinity a template writes under branches on a value that names its field (pulsar), and a
budget switched off by a block map in values, reported at its switch line whatever the template's
shape (unleash, bitnami etcd). Each fixture is shaped like its chart (``fixtures/helm/README.md``)."""

from __future__ import annotations

from pathlib import Path

from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import findings_by_address as _findings

from scanner.model import Finding, Status
from scanner.sources.helm.components import (
    LiteralPlacement,
    PlacementTerm,
    ValuesRead,
    guard_holds,
    helper_expression,
    inline_helpers,
)

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


RANGED = FIX / "ranged-helper-guard"
_WORKERS = """{{- define "w.enabled" -}}
{{- $root := .root -}}
{{ $on := dict }}
{{- range $name, $w := $root.Values.workers }}
{{- if $w.enabled }}
{{ $_ := set $on $name $w }}
{{- end }}
{{- end }}
{{ $on | toJson }}
{{- end }}"""


def test_a_guard_helper_that_ranges_and_sets_decides_its_workload_per_environment():
    """matrix-stack: the internal cache renders only when a helper that ranges over the workers
    map and `set`s the enabled ones into a `dict` finds one (prod), or the bridge is on (bridge);
    in base every worker is off: no cache, so no single-replica finding."""
    got = _findings(RANGED, "OCI-HA-101")
    assert ("OCI-HA-101", "chat/cache[base]") not in got
    prod = got[("OCI-HA-101", "chat/cache[prod]")] if ("OCI-HA-101", "chat/cache[prod]") in got else None
    bridge = got[("OCI-HA-101", "chat/cache[bridge]")]
    assert bridge.status is Status.FAILED
    assert _at(bridge) == ("values.yaml", 20)
    # prod inherits the same line: one finding naming both environments, or its own
    assert prod is not None or "prod" in bridge.message


def test_the_ranged_helper_is_read_per_environment_and_bounded():
    helpers = {"w.enabled": _WORKERS.split("-}}", 1)[1]}
    guard = inline_helpers('(include "w.enabled" (dict "root" $) | fromJson)', helpers)
    assert guard_holds(guard, {"workers": {"a": {"enabled": False}, "b": {"enabled": False}}}) is False
    assert guard_holds(guard, {"workers": {"a": {"enabled": False}, "b": {"enabled": True}}}) is True
    assert guard_holds(guard, {"workers": {}}) is False
    # a map too large to walk: unknown, so rendered
    many = {f"w{i}": {"enabled": False} for i in range(300)}
    assert guard_holds(guard, {"workers": many}) is None


def test_a_range_of_any_other_shape_keeps_the_helper_unknown():
    printed = _WORKERS.split("-}}", 1)[1].replace("{{ $_ := set $on $name $w }}", "{{ $name }}")
    assert helper_expression("p", {"p": printed}, root="root") is None
    by_key = _WORKERS.split("-}}", 1)[1].replace("if $w.enabled", 'if eq $name "a"')
    assert helper_expression("k", {"k": by_key}, root="root") is None
    # without the caller's `(dict "root" $)`, `.root` is not the top scope: unknown
    helpers = {"w.enabled": _WORKERS.split("-}}", 1)[1]}
    guard = inline_helpers('(include "w.enabled" (dict "context" $) | fromJson)', helpers)
    assert guard_holds(guard, {"workers": {"a": {"enabled": True}}}) is None


def test_an_inlined_call_keeps_its_own_parentheses():
    """`(include "x" (dict "root" $) | fromJson)`: the opening parenthesis is the call's, the
    closing one comes after the pipe; the dict's own `)` is not the call's."""
    # (text that is no JSON, such as nothing, is helm's `{"Error": …}`: kept unknown)
    helpers = {
        "x": '{{- if .Values.a }}{"k": 1}{{- else }}{}{{- end }}',
        "y": '{{- $root := .root -}}{{- if $root.Values.a }}{"k": 1}{{- else }}{}{{- end }}',
    }
    for guard in (
        '(include "y" (dict "root" $) | fromJson)',
        'include "y" (dict "root" $) | fromJson',
        'fromJson (include "x" .)',
        'and .Values.b (include "x" . | fromJson)',
    ):
        inlined = inline_helpers(guard, helpers)
        assert inlined.count("(") == inlined.count(")"), inlined
        assert guard_holds(inlined, {"a": True, "b": True}) is True
        assert guard_holds(inlined, {"a": False, "b": True}) is False


def test_a_root_context_helper_that_reads_the_dot_values_stays_unknown():
    """Called with `(dict "root" $)`, the helper's own `.Values` is no chart value (helm fails
    on it): unknown, never read from the chart's values; through `$root` it is read."""
    bare = {"b": "{{- if .Values.on }}true{{- end }}"}
    assert guard_holds(inline_helpers('include "b" (dict "root" $)', bare), {"on": True}) is None
    assert guard_holds(inline_helpers('include "b" .', bare), {"on": True}) is True
    rooted = {"r": "{{- $root := .root -}}{{- if $root.Values.on }}true{{- end }}"}
    assert guard_holds(inline_helpers('include "r" (dict "root" $)', rooted), {"on": True}) is True
    assert guard_holds(inline_helpers('include "r" (dict "root" $)', rooted), {"on": False}) is False
