"""Workload idioms of real charts that heldout13's first run got wrong (issue 17): replica lines
in each branch of an ``{{ if }}`` (dapr's umbrella of vendored subcharts), a YAML comment after a
written count (kubeshark), one Deployment per item of a values list (mastodon's sidekiq workers)
and a spread the template writes when the values leave it empty (coherence-operator); and the
idioms read with them so that the code is right beyond heldout13: flux2's ``kindIs``, Go's
``index`` with literal keys (weaviate), topology keys read from values (dapr's scheduler,
elastic), placement written by a helper of the chart, guards inside a range or a placement block.
Each fixture is shaped like its chart (``fixtures/helm/README.md``)."""

from __future__ import annotations

from pathlib import Path

from helm_scan import FIX, _env, write_chart  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import findings_by_address as _findings

from scanner.model import Finding, Status
from scanner.sources.helm.components import UNKNOWN, evaluate, workload_templates


def _at(finding: Finding) -> tuple[str, int]:
    path = Path(finding.location.file)
    return f"{path.parent.name}/{path.name}", finding.location.start_line


def test_each_environment_renders_the_replicas_line_of_its_own_branch():
    """dapr: with `global.ha.enabled: false` the operator renders its own `replicaCount: 1`
    (the `else` line), the placement StatefulSet the `replicas: 1` written in its last branch."""
    got = _findings(FIX / "replica-branches", "OCI-HA-101")
    operator = got[("OCI-HA-101", "control-plane/control_operator[base]")]
    assert operator.status is Status.FAILED
    assert _at(operator) == ("control_operator/values.yaml", 1)  # the value, not the switch
    placement = got[("OCI-HA-101", "control-plane/control_placement[base]")]
    assert placement.status is Status.FAILED
    assert _at(placement) == ("templates/statefulset.yaml", 11)  # `{{- else }}` replicas: 1
    # prod turns global.ha on: the first branch (3 from global.ha.replicaCount), the second (3)
    assert got[("OCI-HA-101", "control-plane/control_operator[prod]")].status is Status.PASSED
    assert got[("OCI-HA-101", "control-plane/control_placement[prod]")].status is Status.PASSED


def test_a_values_path_under_global_names_no_component():
    got = _findings(FIX / "replica-branches", "OCI-HA-101")
    assert not [a for _, a in got if "global" in a]  # `.Values.global.ha.replicaCount` is shared


def test_a_yaml_comment_after_a_written_count_is_no_part_of_it():
    """kubeshark: `replicas: 1  # Set the desired number of replicas` is one pod, at that line."""
    got = _findings(FIX / "replica-branches", "OCI-HA-101")
    hub = got[("OCI-HA-101", "control-plane[base]")]
    assert hub.status is Status.FAILED
    assert _at(hub) == ("templates/hub-deployment.yaml", 6)
    text = "kind: Deployment\nspec:\n  replicas: 3 # three\n"
    (wt,) = workload_templates("templates/d.yaml", text, {})
    assert wt.literal_replicas == 3
    # a `#` inside a template action is the template's, not a comment
    text = 'kind: Deployment\nspec:\n  replicas: {{ .Values.count | default "#" }}\n'
    (wt,) = workload_templates("templates/d.yaml", text, {})
    assert wt.literal_replicas is None and wt.replica_paths == ["count"]


def test_a_template_ranging_over_a_values_list_renders_one_workload_per_item():
    """mastodon: `range .Values.mastodon.sidekiq.workers`, `replicas: {{ .replicas }}`."""
    got = _findings(FIX / "ranged-workloads", "OCI-HA-101", "OCI-HA-104")
    one = got[("OCI-HA-101", "social/social.jobs.workers.all-queues[base]")]
    assert one.status is Status.FAILED
    assert _at(one) == ("ranged-workloads/values.yaml", 11)  # the item's `replicas: 1`
    assert got[("OCI-HA-101", "social/social.jobs.workers.mailers[base]")].status is Status.PASSED
    # prod replaces the list: one item with three replicas, and no mailers worker at all
    assert got[("OCI-HA-101", "social/social.jobs.workers.all-queues[prod]")].status is Status.PASSED
    assert ("OCI-HA-101", "social/social.jobs.workers.mailers[prod]") not in got
    # the strategy every item's Deployment writes is still read, per item
    recreate = got[("OCI-HA-104", "social/social.jobs.workers.all-queues[base]")]
    assert recreate.status is Status.FAILED and _at(recreate) == ("ranged-workloads/values.yaml", 7)
    # no workload is invented for the chart's top level
    assert not [a for _, a in got if a.startswith("social[")]


def test_a_range_the_dot_of_a_with_has_moved_away_from_is_not_read_per_item():
    text = (
        "{{- range .Values.workers }}\n{{- with .extra }}\nkind: Deployment\nspec:\n"
        "  replicas: {{ .replicas }}\n{{- end }}\n{{- end }}\n"
    )
    (wt,) = workload_templates("templates/d.yaml", text, {})
    assert wt.range_path is None
    text = "{{- range $i, $w := .Values.workers }}\nkind: Deployment\nspec:\n  replicas: {{ $w.count }}\n{{- end }}\n"
    (wt,) = workload_templates("templates/d.yaml", text, {})
    assert (wt.range_path, wt.range_field) == ("workers", "count")


def test_a_spread_the_template_writes_when_the_values_leave_it_empty_counts():
    """coherence-operator: `{{ if .Values.topologySpreadConstraints }}…{{ else }}` a zone spread."""
    got = _findings(FIX / "placement-defaults", "OCI-HA-102")
    assert got[("OCI-HA-102", "grid-operator[base]")].status is Status.PASSED
    # prod gives its own spread, over hosts only, and an affinity without anti-affinity: the
    # template's defaults are not rendered there
    prod = got[("OCI-HA-102", "grid-operator[prod]")]
    assert prod.status is Status.FAILED
    assert _at(prod) == ("placement-defaults/values-prod.yaml", 3)


def test_a_literal_affinity_reads_anti_affinity_terms_only():
    text = (
        "kind: Deployment\nspec:\n  template:\n    spec:\n      affinity:\n        podAffinity:\n"
        "          requiredDuringSchedulingIgnoredDuringExecution:\n"
        "            - topologyKey: topology.kubernetes.io/zone\n"
    )
    (wt,) = workload_templates("templates/d.yaml", text, {})
    assert wt.literal_placements == []  # pods drawn together over zones: no spread
    text = text.replace("podAffinity:", "podAntiAffinity:")
    (wt,) = workload_templates("templates/d.yaml", text, {})
    (block,) = wt.literal_placements
    assert block.render({}, {}) == (
        {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "topology.kubernetes.io/zone"}]
            }
        },
        [],
    )
    assert block.line == 5


def test_a_topology_key_inside_a_switch_of_its_own_counts_only_where_it_renders(tmp_path):
    """`{{ if .Values.antiAffinity.enabled }}` inside the block: off by default, no spread."""
    chart = write_chart(tmp_path, "gated", {})
    (chart / "values.yaml").write_text("replicas: 3\nantiAffinity:\n  enabled: false\n")
    (chart / "values-prod.yaml").write_text("antiAffinity:\n  enabled: true\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gated\nspec:\n"
        "  replicas: {{ .Values.replicas }}\n  template:\n    spec:\n"
        "      containers:\n        - name: g\n          image: example/g:1.0.0\n"
        "      affinity:\n        nodeAffinity: {}\n"
        "        {{- if .Values.antiAffinity.enabled }}\n        podAntiAffinity:\n"
        "          requiredDuringSchedulingIgnoredDuringExecution:\n"
        "            - topologyKey: topology.kubernetes.io/zone\n        {{- end }}\n"
    )
    got = _findings(chart, "OCI-HA-102")
    assert got[("OCI-HA-102", "gated[base]")].status is Status.FAILED
    assert got[("OCI-HA-102", "gated[prod]")].status is Status.PASSED


def test_kind_is_tells_unset_values():
    """flux2: `{{ if kindIs "invalid" .Values.helmController.replicas }}replicas: 1{{ else }}…`."""
    assert evaluate('kindIs "invalid" .Values.a.replicas', {"a": {}}, {}) is True
    assert evaluate('kindIs "invalid" .Values.a.replicas', {"a": {"replicas": "2"}}, {}) is False
    assert evaluate('kindIs "map" .Values.a', {"a": {}}, {}) is True
    # numbers are float64 or int64 to helm, depending on how they were written: not guessed
    assert evaluate('kindIs "int" .Values.a', {"a": 2}, {}) is UNKNOWN
    assert evaluate('kindIs "invalid" .Values.a', {"a": 2}, {}) is UNKNOWN


def test_a_template_ranging_over_a_values_map_renders_one_workload_per_entry(tmp_path):
    chart = write_chart(tmp_path, "fleet", {})
    (chart / "values.yaml").write_text(
        "image: ghcr.io/example/fleet:1.0.0\nservices:\n  api:\n    replicas: 3\n  worker:\n    port: 9000\n"
    )
    (chart / "templates" / "deployments.yaml").write_text(
        "{{- range $name, $svc := .Values.services }}\n---\napiVersion: apps/v1\nkind: Deployment\n"
        "metadata:\n  name: {{ $name }}\nspec:\n  replicas: {{ $svc.replicas | default 1 }}\n"
        "  template:\n    spec:\n      containers:\n        - name: {{ $name }}\n"
        "          image: {{ $.Values.image }}\n{{- end }}\n"
    )
    got = _findings(chart, "OCI-HA-101")
    assert got[("OCI-HA-101", "fleet/services.api[base]")].status is Status.PASSED
    worker = got[("OCI-HA-101", "fleet/services.worker[base]")]  # no count: the default, one
    assert worker.status is Status.FAILED
    assert worker.location.start_line == 5  # the entry whose count is left to the default


def test_a_replica_count_key_names_the_component_before_other_paths_the_branches_read(tmp_path):
    chart = write_chart(tmp_path, "web", {})
    (chart / "values.yaml").write_text(
        "image: ghcr.io/example/web:1.0.0\nreplicaCount: 1\nautoscaling:\n  enabled: false\n  minReplicas: 3\n"
    )
    (chart / "values-prod.yaml").write_text("autoscaling:\n  enabled: true\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "{{- if .Values.autoscaling.enabled }}\n  replicas: {{ .Values.autoscaling.minReplicas }}\n"
        "{{- else }}\n  replicas: {{ .Values.replicaCount }}\n{{- end }}\n"
        "  template:\n    spec:\n      containers:\n        - name: web\n          image: {{ .Values.image }}\n"
    )
    got = _findings(chart, "OCI-HA-101")
    assert not [a for _, a in got if "autoscaling" in a]  # not a component named `autoscaling`
    base = got[("OCI-HA-101", "web[base]")]
    assert base.status is Status.FAILED and base.location.start_line == 2  # replicaCount: 1
    assert got[("OCI-HA-101", "web[prod]")].status is Status.PASSED  # the first branch: 3


def test_index_with_literal_keys_reads_as_a_dotted_path():
    from scanner.sources.helm.components import index_reads_as_paths

    text = '{{- $m := index .Values "modules" "a-b" -}}\n{{ if and (index $m "on") .Values.x }}{{ (index $m "n" | int) }}'
    assert index_reads_as_paths(text) == (
        '{{- $m := .Values.modules.a-b -}}\n{{ if and $m.on .Values.x }}{{ ($m.n | int) }}'
    )
    # keys that are not literal words are left to the template
    assert index_reads_as_paths('{{ index .Values $key }}') == '{{ index .Values $key }}'


def test_index_reads_keys_with_dashes():
    """weaviate: `$module := index .Values "modules" "text2vec-contextionary"`, then
    `{{ if index $module "enabled" }}` around the module's Deployment."""
    values = {"modules": {"text2vec-contextionary": {"enabled": False, "replicas": 2}}, "l": [5]}
    assert evaluate('index .Values "modules" "text2vec-contextionary" "replicas"', values, {}) == 2
    module = {"$module": 'index .Values "modules" "text2vec-contextionary"'}
    assert evaluate('index $module "enabled"', values, module) is False
    assert evaluate('index $module "missing"', values, module) is None  # a missing key is nil
    assert evaluate('index .Values "l" 0', values, {}) == 5
    assert evaluate('index .Values "l" "x"', values, {}) is UNKNOWN


def test_a_module_switched_off_through_index_renders_no_workload(tmp_path):
    chart = write_chart(tmp_path, "vector", {})
    (chart / "values.yaml").write_text(
        "modules:\n  text2vec-small:\n    enabled: false\n    replicas: 1\n"
        "  text2vec-large:\n    enabled: true\n    replicas: 1\n"
    )
    for name in ("small", "large"):
        (chart / "templates" / f"{name}-deployment.yaml").write_text(
            f'{{{{- $module := index .Values "modules" "text2vec-{name}" -}}}}\n'
            '{{ if index $module "enabled" }}\napiVersion: apps/v1\nkind: Deployment\n'
            f"metadata:\n  name: {name}\nspec:\n"
            '  replicas: {{ index $module "replicas" }}\n'
            "  template:\n    spec:\n      containers:\n        - name: m\n          image: example/m:1.0.0\n"
            "{{ end }}\n"
        )
    got = _findings(chart, "OCI-HA-101")
    assert [f.status for f in got.values()] == [Status.FAILED]  # only the module switched on
    (large,) = got.values()
    assert large.resource.address == "vector/modules.text2vec-large[base]"
    # `index $module "replicas"` reads modules.text2vec-large.replicas: at the value's line
    assert (Path(large.location.file).name, large.location.start_line) == ("values.yaml", 7)


def test_a_topology_key_the_template_reads_from_values_is_judged_per_environment(tmp_path):
    """dapr's scheduler: a preferred pod anti-affinity written in the template on
    `topologyKey: {{ .Values.global.ha.topologyKey }}`."""
    chart = write_chart(tmp_path, "sched", {})
    (chart / "values.yaml").write_text("ha:\n  topologyKey: topology.kubernetes.io/zone\n")
    (chart / "values-hosts.yaml").write_text("ha:\n  topologyKey: kubernetes.io/hostname\n")
    (chart / "templates" / "statefulset.yaml").write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: sched\nspec:\n  replicas: 3\n"
        "  template:\n    spec:\n      containers:\n        - name: s\n          image: example/s:1.0.0\n"
        "      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n"
        "          - weight: 100\n            podAffinityTerm:\n"
        "              topologyKey: {{ .Values.ha.topologyKey }}\n"
    )
    got = _findings(chart, "OCI-HA-102")
    assert got[("OCI-HA-102", "sched[base]")].status is Status.PASSED
    hosts = got[("OCI-HA-102", "sched[hosts]")]
    assert hosts.status is Status.FAILED  # spread over hosts only, at the value that says so
    assert (Path(hosts.location.file).name, hosts.location.start_line) == ("values-hosts.yaml", 2)


def test_a_placement_a_helper_of_the_chart_writes_is_read(tmp_path):
    """`affinity: {{- include "app.affinity" . | nindent 8 }}` with the helper in _helpers.tpl
    writing a preferred zone anti-affinity when the values give none."""
    chart = write_chart(tmp_path, "app", {})
    (chart / "values.yaml").write_text("replicaCount: 3\nimage: example/app:1.0.0\naffinity: {}\n")
    (chart / "templates" / "_helpers.tpl").write_text(
        '{{- define "app.affinity" -}}\n{{- if .Values.affinity }}\n{{- toYaml .Values.affinity }}\n'
        "{{- else }}\npodAntiAffinity:\n  preferredDuringSchedulingIgnoredDuringExecution:\n"
        "    - weight: 100\n      podAffinityTerm:\n        topologyKey: topology.kubernetes.io/zone\n"
        "{{- end }}\n{{- end }}\n"
    )
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n"
        "  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n"
        "      affinity:\n        {{- include \"app.affinity\" . | nindent 8 }}\n"
        "      containers:\n        - name: app\n          image: {{ .Values.image }}\n"
    )
    (chart / "templates" / "deployment.yaml").write_text(deployment)
    assert _findings(chart, "OCI-HA-102")[("OCI-HA-102", "app[base]")].status is Status.PASSED
    # the same helper called on the key's line
    one_line = deployment.replace('affinity:\n        {{- include', 'affinity: {{- include')
    (chart / "templates" / "deployment.yaml").write_text(one_line)
    assert _findings(chart, "OCI-HA-102")[("OCI-HA-102", "app[base]")].status is Status.PASSED
    # a helper that writes nothing with a topology key leaves the workload unspread
    (chart / "templates" / "_helpers.tpl").write_text('{{- define "app.affinity" -}}\n{}\n{{- end }}\n')
    assert _findings(chart, "OCI-HA-102")[("OCI-HA-102", "app[base]")].status is Status.FAILED


def test_an_if_inside_a_range_keeps_the_item_as_the_dot():
    text = (
        "{{- range .Values.workers }}\n{{- if .enabled }}\nkind: Deployment\nspec:\n"
        "  replicas: {{ .replicas }}\n{{- end }}\n{{- end }}\n"
    )
    (wt,) = workload_templates("templates/d.yaml", text, {})
    assert (wt.range_path, wt.range_field) == ("workers", "replicas")


def test_an_item_switched_off_inside_a_range_renders_no_workload(tmp_path):
    chart = write_chart(tmp_path, "pool", {})
    (chart / "values.yaml").write_text(
        "image: example/w:1.0.0\nworkers:\n  - name: fast\n    enabled: true\n    replicas: 1\n"
        "  - name: slow\n    enabled: false\n    replicas: 1\n"
    )
    (chart / "templates" / "workers.yaml").write_text(
        "{{- range .Values.workers }}\n{{- if .enabled }}\n---\napiVersion: apps/v1\nkind: Deployment\n"
        "metadata:\n  name: {{ .name }}\nspec:\n  replicas: {{ .replicas }}\n"
        "  template:\n    spec:\n      containers:\n        - name: w\n          image: {{ $.Values.image }}\n"
        "{{- end }}\n{{- end }}\n"
    )
    got = _findings(chart, "OCI-HA-101")
    assert got[("OCI-HA-101", "pool/workers.fast[base]")].status is Status.FAILED
    assert ("OCI-HA-101", "pool/workers.slow[base]") not in got  # `enabled: false`: not rendered


def test_item_reads_leave_other_reads_alone():
    from scanner.sources.helm.components import _item_reads

    guard = 'and .enabled (eq $w.kind "x") .Values.on (.Values.m).k .Release.Name (eq .n "a.b")'
    assert _item_reads(guard, "w.0") == (
        'and .Values.w.0.enabled (eq $w.kind "x") .Values.on (.Values.m).k .Release.Name (eq .Values.w.0.n "a.b")'
    )


def test_a_count_written_inside_a_with_reads_the_value_the_with_names():
    text = (
        "kind: Deployment\nspec:\n{{- with .Values.web.replicas }}\n  replicas: {{ . }}\n{{- end }}\n"
    )
    (wt,) = workload_templates("templates/d.yaml", text, {})
    assert wt.replica_paths == ["web.replicas"] and wt.replicas_expr is None
    text = "kind: Deployment\nspec:\n{{- with .Values.web }}\n  replicas: {{ .count }}\n{{- end }}\n"
    (wt,) = workload_templates("templates/d.yaml", text, {})
    assert wt.replica_paths == ["web.count"]
    # an `if` inside the `with` keeps its dot; a `range` inside it moves the dot again
    text = "kind: Deployment\nspec:\n{{- with .Values.web }}{{ if .on }}\n  replicas: {{ .count }}\n{{ end }}{{ end }}\n"
    (wt,) = workload_templates("templates/d.yaml", text, {})
    assert wt.replica_paths == ["web.count"]
    text = "kind: Deployment\nspec:\n{{- with .Values.web }}{{ range .xs }}\n  replicas: {{ .count }}\n{{ end }}{{ end }}\n"
    (wt,) = workload_templates("templates/d.yaml", text, {})
    assert wt.replica_paths == []
