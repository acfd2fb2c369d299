"""Workloads heldout14's yugabyte chart showed (issue 17): one template ranging over a values list
of roles renders one StatefulSet per item, each picking its count in the branch its item chooses
(`{{ if eq $service.name "yb-masters" }}`) through `$useMoveOp | ternary .Values.moveOp.replicas.X
.Values.replicas.X`, its switch computed by a helper; and a pod anti-affinity a helper builds into a
variable that the template then writes (`include "yugabyte.podAntiAffinity" … | fromYaml`, merged
with the values' own affinity). Shaped like the chart: ``fixtures/helm/ranged-roles``."""

from __future__ import annotations

from pathlib import Path

from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import findings_by_address as _findings

from scanner.model import Finding, Status
from scanner.sources.helm.components import UNKNOWN, chosen_path, evaluate, workload_templates

CHART = FIX / "ranged-roles"


def _at(finding: Finding) -> tuple[str, int]:
    path = Path(finding.location.file)
    return path.name, finding.location.start_line


def test_each_item_of_the_ranged_roles_is_its_own_workload_counted_by_its_branch():
    got = _findings(CHART, "OCI-HA-101")
    # named like other ranged workloads (the list's path and the item's name), never by the
    # first path a replicas line reads (`moveOp.replicas`)
    assert not [a for _, a in got if "moveOp" in a]
    leaders = got[("OCI-HA-101", "ledgerdb/Roles.db-leaders[base]")]
    assert leaders.status is Status.PASSED and _at(leaders) == ("values.yaml", 3)  # replicas.leader
    stores = got[("OCI-HA-101", "ledgerdb/Roles.db-stores[base]")]
    assert stores.status is Status.FAILED
    assert _at(stores) == ("values.yaml", 4)  # replicas.store: 1, the choice the switch off renders
    # prod gives the stores two (moveOp's count agrees): passed, at prod's line
    prod = got[("OCI-HA-101", "ledgerdb/Roles.db-stores[prod]")]
    assert prod.status is Status.PASSED and _at(prod) == ("values-prod.yaml", 2)
    # a move in progress: the switch is a helper's result and the two counts differ -> unknown
    assert got[("OCI-HA-101", "ledgerdb/Roles.db-stores[moving]")].status is Status.UNKNOWN
    assert got[("OCI-HA-101", "ledgerdb/Roles.db-leaders[moving]")].status is Status.PASSED


def test_the_budget_the_range_renders_counts_for_each_item():
    got = _findings(CHART, "OCI-HA-103")
    assert got[("OCI-HA-103", "ledgerdb/Roles.db-leaders[base]")].status is Status.PASSED
    assert got[("OCI-HA-103", "ledgerdb/Roles.db-stores[prod]")].status is Status.PASSED


def test_an_anti_affinity_a_helper_builds_into_a_variable_is_written_by_the_template():
    got = _findings(CHART, "OCI-HA-102")
    base = got[("OCI-HA-102", "ledgerdb/Roles.db-leaders[base]")]
    assert base.status is Status.FAILED
    assert "kubernetes.io/hostname" in base.message  # read: hostname only, not "no spread"
    assert _at(base) == ("values.yaml", 3)  # at the replica count (the location convention)
    # prod's leaders give a zone anti-affinity the template merges in: spread
    assert got[("OCI-HA-102", "ledgerdb/Roles.db-leaders[prod]")].status is Status.PASSED
    # the stores' branch merges `store.affinity`, which prod leaves empty: hostname only
    stores = got[("OCI-HA-102", "ledgerdb/Roles.db-stores[prod]")]
    assert stores.status is Status.FAILED and _at(stores) == ("values-prod.yaml", 2)


def test_a_ternary_with_an_unknown_switch_is_known_only_when_both_choices_agree():
    values = {"a": 3, "b": 3, "c": 1, "on": True}
    variables = {"$x": 'include "h" . | fromYaml', "$root": "."}
    assert evaluate("$x | ternary .Values.a .Values.b", values, variables) == 3
    assert evaluate("$x | ternary .Values.a .Values.c", values, variables) is UNKNOWN
    assert evaluate("$root.Values.c", values, variables) == 1
    # the path the count renders from: the first choice when the switch holds, else the second
    assert chosen_path(".Values.on | ternary .Values.a .Values.c", values, variables) == "a"
    assert chosen_path("ternary .Values.a .Values.c (not .Values.on)", values, variables) == "c"
    assert chosen_path("$x | ternary $root.Values.a $root.Values.b", values, variables) == "b"
    assert chosen_path("$x | ternary .Values.a .Values.c", values, variables) is None
    assert chosen_path(".Values.a | default 1", values, variables) is None
    # two pipes, a third word, a choice that is no values path: not a choice between two values
    assert chosen_path("$x | not | ternary .Values.a .Values.b", values, variables) is None
    assert chosen_path("$x | ternary .Values.a .Values.b .Values.c", values, variables) is None
    assert chosen_path('$x | ternary .Values.a "3"', values, variables) is None


def test_a_range_an_inner_range_over_numbers_moves_the_dot_of_reads_the_item_by_its_variable():
    text = (
        "{{- range .Values.roles }}\n{{- $role := . -}}\n{{- range $i := until 2 }}\n"
        "kind: StatefulSet\nspec:\n  {{ if eq $role.name \"a\" }}\n  replicas: {{ .Values.replicas.a }}\n"
        "  {{ else }}\n  replicas: {{ .Values.replicas.b }}\n  {{ end }}\n{{- end }}\n{{- end }}\n"
    )
    (wt,) = workload_templates("templates/s.yaml", text, {})
    assert (wt.range_path, wt.range_names, wt.range_dot) == ("roles", ["$role"], False)
    # `.replicas` there is a field of the number, not of the item: no count read from the item
    text = "{{- range .Values.roles }}\n{{- range $i := until 2 }}\nkind: StatefulSet\nspec:\n  replicas: {{ .replicas }}\n{{- end }}\n{{- end }}\n"
    (wt,) = workload_templates("templates/s.yaml", text, {})
    assert wt.range_field is None
