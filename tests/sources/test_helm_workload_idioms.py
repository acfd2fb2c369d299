"""Workload idioms of real charts met in issue 17's dev13 round: a strategy block written in each
branch of an ``{{ if }}`` (jaeger, groundhog2k), a variable that stands for a component's values
(VictoriaMetrics' ``$app := .Values.server``), and workloads rendered by a library chart that is
fetched from a repository (immich and the bjw-s ``common`` library)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "helm"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def _by_env(chart: Path, rules: list[str]) -> dict[tuple[str, str], object]:
    result, _ = run_scan([chart], ScanOptions(rule_ids=rules, cache_dir=None))
    return {(f.rule_id, f.resource.address): f for f in result.findings}


def _where(finding) -> tuple[str, int]:
    return Path(finding.location.file).name, finding.location.start_line


def test_each_environment_renders_the_strategy_block_of_its_own_branch():
    got = _by_env(FIXTURES / "strategy-branches", ["OCI-HA-104"])
    base = got[("OCI-HA-104", "media-server[base]")]
    assert base.status is Status.FAILED  # persistence on: the first branch's Recreate
    assert _where(base) == ("deployment.yaml", 9)
    stateless = got[("OCI-HA-104", "media-server[stateless]")]
    # persistence off: the `else` branch's rolling update, maxUnavailable 1 of 1 replica
    assert stateless.status is Status.FAILED
    assert _where(stateless) == ("deployment.yaml", 15)
    # the same branch with three replicas keeps two running
    assert got[("OCI-HA-104", "media-server[prod]")].status is Status.PASSED


def test_a_variable_bound_to_a_components_values_reads_as_that_path():
    """VictoriaMetrics: `$app := .Values.server` (or `merge (deepCopy .Values.select) ...`), then
    `replicas: {{ $app.replicaCount }}` and `kind: {{ title $mode }}` with `$mode := $app.mode`."""
    got = _by_env(FIXTURES / "values-alias", ["OCI-HA-101"])
    server = got[("OCI-HA-101", "values-alias/server[base]")]
    assert server.status is Status.FAILED  # one replica, at the value that sets it
    assert _where(server) == ("values.yaml", 7)
    assert server.resource.attributes["workload"]["kind"] == "StatefulSet"  # `title "statefulSet"`
    assert got[("OCI-HA-101", "values-alias/select[base]")].status is Status.PASSED  # 2 replicas
    # `server.enabled: false` in the `off` environment: its guard does not render the server
    assert ("OCI-HA-101", "values-alias/server[off]") not in got
    assert got[("OCI-HA-101", "values-alias/select[off]")].status is Status.PASSED


def test_title_is_sprigs_title():
    from scanner.sources.helm.components import UNKNOWN, evaluate

    assert evaluate('title "statefulSet"', {}, {}) == "StatefulSet"
    assert evaluate("title .Values.mode", {"mode": "deployment"}, {}) == "Deployment"
    assert evaluate("title .Values.mode", {"mode": 3}, {}) is UNKNOWN  # not a string


def test_only_uses_after_the_assignment_are_rewritten():
    from scanner.sources.helm.components import alias_values_variables

    text = "{{ $app.x }}\n{{- $app := .Values.server }}\nreplicas: {{ $app.replicaCount }} {{ $application.y }}\n"
    out = alias_values_variables(text)
    assert out.splitlines()[0] == "{{ $app.x }}"
    assert ".Values.server.replicaCount" in out and "$application.y" in out
    assert out.count("\n") == text.count("\n")


def test_workloads_a_fetched_library_renders_are_read_by_its_documented_values():
    """immich (heldout12): each component's values are handed to the bjw-s `common` library,
    fetched from a repository, which renders one controller per `controllers` entry."""
    result, _ = run_scan([FIXTURES / "library-chart"], ScanOptions(cache_dir=None))
    got = {(f.rule_id, f.resource.address): f for f in result.findings}
    server = got[("OCI-HA-101", "photos/server[base]")]
    assert server.status is Status.FAILED  # no `replicas`: the library's one pod
    assert _where(server) == ("values.yaml", 3)  # at the component the address names
    assert got[("OCI-HA-101", "photos/server[prod]")].status is Status.PASSED  # replicas: 3
    assert got[("OCI-HA-102", "photos/server[prod]")].status is Status.PASSED  # pod's zone spread
    worker = got[("OCI-HA-104", "photos/worker[base]")]
    assert worker.status is Status.FAILED  # `strategy: Recreate`, a word, not a map
    assert _where(worker) == ("values.yaml", 18)
    assert got[("OCI-HA-104", "photos/worker[prod]")].status is Status.PASSED  # 1 of 2 at a time
    # what the values leave to the library is its default, which is not here: unknown
    assert got[("OCI-HA-103", "photos/worker[base]")].status is Status.UNKNOWN
    workloads = {f.resource.address for f in result.findings if f.resource.kind == "helm.workload"}
    assert workloads == {f"photos/{c}[{e}]" for c in ("server", "worker") for e in ("base", "prod")}
    # so neither `cache` (enabled: false) nor the `thumbnails` CronJob
    assert not [e for e in result.errors if e.level != "note"]
    assert not [e for e in result.errors if "library" in e.message]  # judged: no note


def test_a_library_whose_values_ocisec_cannot_read_is_a_note_never_a_silent_pass():
    result, _ = run_scan([FIXTURES / "library-unknown"], ScanOptions(cache_dir=None))
    assert not [f for f in result.findings if f.resource.kind == "helm.workload"]
    notes = [e for e in result.errors if e.level == "note"]
    assert len(notes) == 1
    note = notes[0]
    assert (Path(note.path).name, note.line) == ("all.yaml", 1)
    assert "platform-lib.render" in note.message and "dependency platform-lib" in note.message
    assert "not judged" in note.message


def test_a_helper_of_the_chart_itself_or_a_library_call_with_user_values_is_no_loader():
    from scanner.sources.helm.components import library_loaders

    text = (
        '{{- define "app.all" -}}x{{- end }}\n'
        '{{- include "app.all" . }}\n'
        "{{- range .Values.extraDeploy }}\n"
        '{{ include "common.tplvalues.render" (dict "value" . "context" $) }}\n'
        "{{- end }}\n"
        'labels: {{ include "common.labels.standard" . }}\n'
    )
    assert library_loaders("templates/x.yaml", text, {"app.all": "x"}) == []


def test_the_bjw_s_library_1x_renders_one_controller_even_without_a_controller_map():
    """gabe565's charts (bjw-s common 1.x): the pod's `image`/`env` at the top, the controller's
    `replicas`/`strategy` under `controller`, and one Deployment rendered when neither is set."""
    got = _by_env(FIXTURES / "library-chart-v1", ["OCI-HA-101", "OCI-HA-104"])
    base = got[("OCI-HA-101", "pinger[base]")]
    assert base.status is Status.FAILED  # nothing set: the library's one pod
    assert base.resource.attributes["workload"]["containers"][0]["env"]  # the top-level env
    assert got[("OCI-HA-101", "pinger[prod]")].status is Status.PASSED  # controller.replicas: 2
    prod = got[("OCI-HA-104", "pinger[prod]")]
    assert prod.status is Status.FAILED  # rollingUpdate.unavailable 2 of 2 replicas
    assert _where(prod) == ("values-prod.yaml", 5)


def test_placement_rendered_by_a_helper_the_chart_does_not_have_is_unknown():
    """linkerd-control-plane: `{{ with include "linkerd.affinity" $tree }}`, a helper of its
    `partials` library, renders the zone anti-affinity that `enablePodAntiAffinity` turns on."""
    got = _by_env(FIXTURES / "placement-helper", ["OCI-HA-101", "OCI-HA-102", "OCI-HA-103"])
    ha = got[("OCI-HA-102", "mesh-control-plane[ha]")]
    assert ha.status is Status.UNKNOWN  # neither "no spread" nor a spread ocisec has seen
    assert "mesh.affinity" in ha.resource.attributes["workload"]["affinity"].reason
    assert got[("OCI-HA-103", "mesh-control-plane[ha]")].status is Status.PASSED  # the template's PDB
    assert got[("OCI-HA-101", "mesh-control-plane[base]")].status is Status.FAILED  # one replica


def test_defaults_kept_under_a_key_that_a_template_puts_back_under_values():
    """istiod: `_internal_defaults_do_not_set` holds the defaults; zzz_profile.yaml merges them under
    `.Values`. Its Deployment writes `replicas:` only without the autoscaler, whose floor is
    `autoscaleMin`; its budget renders only above a floor of one."""
    got = _by_env(FIXTURES / "values-defaults", ["OCI-HA-101", "OCI-HA-102", "OCI-HA-103"])
    floor = got[("OCI-HA-101", "meshd[base]")]
    assert floor.status is Status.FAILED  # the HPA may keep one pod: at autoscaleMin
    assert _where(floor) == ("values.yaml", 4)
    # the HPA scales out to 5 with no spread, and the budget template does not render for a
    # floor of one, whatever `pdb.minAvailable` says
    spread = got[("OCI-HA-102", "meshd[base]")]
    assert spread.status is Status.FAILED
    # no spread (the settings written empty set nothing): pointed at the workload's replica count
    assert _where(spread) == ("values.yaml", 4)
    budget = got[("OCI-HA-103", "meshd[base]")]
    assert budget.status is Status.FAILED
    assert _where(budget) == ("values.yaml", 4)
    # a value the user sets wins, at its own line
    assert got[("OCI-HA-101", "meshd[prod]")].status is Status.PASSED  # autoscaleMin: 3
    assert got[("OCI-HA-102", "meshd[prod]")].status is Status.PASSED  # the zone spread
    assert got[("OCI-HA-103", "meshd[prod]")].status is Status.PASSED  # the budget renders
    assert got[("OCI-HA-101", "meshd[fixed]")].status is Status.PASSED  # no HPA, replicaCount 2


def test_lift_defaults_keeps_each_values_line():
    from scanner.model import Location
    from scanner.sources.helm.charts import lift_defaults

    at = {n: Location("values.yaml", n, n) for n in range(1, 6)}
    data = {"_d": {"a": 1, "m": {"x": 1, "y": 2}}, "m": {"y": 3}, "b": 4}
    located = {"_d": at[1], "_d.a": at[2], "_d.m.x": at[3], "m.y": at[4], "b": at[5]}
    merged, where = lift_defaults(data, located, "_d")
    assert merged == {"a": 1, "m": {"x": 1, "y": 3}, "b": 4}
    assert where["a"] == at[2] and where["m.x"] == at[3] and where["m.y"] == at[4]
    assert lift_defaults(data, located, None) == (data, located)


def test_guards_that_compare_the_word_a_helper_prints_are_evaluated():
    """kubecost: `{{ if eq (include "frontend.deployMethod" .) "haMode" }}` around the Deployment,
    the helper an if/else-if chain of `printf` words reading `(.Values.federatedETL).primaryCluster`;
    airflow: `kind: {{ if $stateful }}StatefulSet{{ else }}Deployment{{ end }}` with
    `$local := contains "Local" .Values.executor`."""
    result, _ = run_scan([FIXTURES / "helper-guards"], ScanOptions(rule_ids=["OCI-HA-101"], cache_dir=None))
    got = {f.resource.address: f for f in result.findings}
    # singlepod by default: neither the HA frontend nor the aggregator StatefulSet renders
    assert set(got) == {
        "cost-meter/scheduler[base]",
        "cost-meter/store[base]",
        "cost-meter/frontend[ha]",
        "cost-meter[ha]",  # the one template reading no component: the chart's own
    }
    assert got["cost-meter/scheduler[base]"].resource.attributes["workload"]["kind"] == "Deployment"
    assert got["cost-meter[ha]"].resource.attributes["workload"]["kind"] == "StatefulSet"
    # vcluster: `kind: {{ include "vcluster.kind" . }}`, a helper choosing between two words
    store = got["cost-meter/store[base]"]
    assert store.resource.attributes["workload"]["kind"] == "StatefulSet"
    assert _where(store) == ("values.yaml", 16)


def test_template_expressions_of_those_guards():
    from scanner.sources.helm.components import UNKNOWN, _value_helper, evaluate

    v = {"a": {"enabled": True}, "executor": "LocalExecutor", "none": None}
    assert evaluate("or (or .Values.a.enabled .Values.agent) .Values.c", v, {}) is True
    assert evaluate("(.Values.none).primaryCluster", v, {}) is None  # the idiom reads nil safely
    assert evaluate("not (.Values.a).enabled", v, {}) is False
    assert evaluate('contains "Local" .Values.executor', v, {}) is True
    assert evaluate('ternary "x" (fail) (.Values.a.enabled)', v, {}) == "x"  # the other branch unread
    assert evaluate('ternary "x" "y" (include "h" .)', v, {}) is UNKNOWN
    chain = '{{- if eq .Values.m "ha" -}}{{- printf "ha" -}}{{- else -}}{{- printf "one" -}}{{- end -}}'
    assert evaluate(f'eq ({_value_helper(chain)}) "ha"', {"m": "ha"}, {}) is True
    assert evaluate(f'eq ({_value_helper(chain)}) "ha"', {"m": "x"}, {}) is False
    assert _value_helper('{{- if .Values.x }}name: {{ .Values.x }}{{- end }}') is None  # not one word


def test_every_loader_of_a_long_template_gets_its_own_line_and_values():
    from scanner.sources.helm.components import library_loaders

    text = '{{- $_ := get .Values "k%d" | mergeOverwrite $ctx.Values }}\n{{- include "lib.all" $ctx }}\n'
    loaders = library_loaders("templates/all.yaml", "".join(text % n for n in range(500)), {})
    assert [(x.line, x.values_key) for x in loaders[:2]] == [(2, "k0"), (4, "k1")]
    assert (loaders[-1].line, loaders[-1].values_key) == (1000, "k499")
