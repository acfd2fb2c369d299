"""Workload decisions heldout15's first run got wrong (issue 17): guards decided by what a named
template returns (rocketchat, kubescape-operator, splunk-otel-collector) and counts a library
helper reads inside ``{{ with .Values.X }}`` from a dict context (matrix-stack). Each fixture is
shaped like its chart (``fixtures/helm/README.md``)."""

from __future__ import annotations

from pathlib import Path

from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import findings_by_address as _findings

from scanner.model import Finding, Status
from scanner.sources.helm.components import guard_holds, helper_expression, inline_helpers


def _at(finding: Finding) -> tuple[str, int]:
    assert finding.location is not None
    return Path(finding.location.file).name, finding.location.start_line


def test_a_helper_that_prints_a_value_switches_its_workload_off():
    """rocketchat: `eq (include "…streamHub.enabled" .) "true"`, the helper printing
    `.Values.microservices.streamHub.enabled` when it is set: off in base, on in prod."""
    got = _findings(FIX / "helper-rendered", "OCI-HA-101")
    assert ("OCI-HA-101", "chatops/stream-hub-deployment[base]") not in got
    prod = got[("OCI-HA-101", "chatops/stream-hub-deployment[prod]")]
    assert prod.status is Status.FAILED
    assert _at(prod) == ("stream-hub-deployment.yaml", 7)


def test_a_helper_that_writes_yaml_read_back_with_fromyaml_decides_each_component():
    """kubescape: `$components := fromYaml (include "components" .)`, itself reading another
    helper's YAML: the synchronizer renders only where `server` is set (prod), the exporter
    wherever its capability is enabled."""
    got = _findings(FIX / "helper-rendered", "OCI-HA-101")
    assert ("OCI-HA-101", "chatops/synchronizer-deployment[base]") not in got
    assert got[("OCI-HA-101", "chatops/synchronizer-deployment[prod]")].status is Status.FAILED
    assert got[("OCI-HA-101", "chatops/exporter-deployment[base]")].status is Status.FAILED


def test_a_helper_of_helpers_switches_a_workload_on_and_its_count_is_chosen_in_the_template():
    """splunk: `clusterReceiverEnabled` ands other helpers' answers (events alone switch it on);
    `replicas: {{ if eq .Values.distribution "eks/fargate" }} 2 {{ else }} 1 {{ end }}` is one
    replica here, at that template line."""
    got = _findings(FIX / "helper-rendered", "OCI-HA-101")
    receiver = got[("OCI-HA-101", "chatops/cluster-receiver-deployment[base]")]
    assert receiver.status is Status.FAILED
    assert _at(receiver) == ("cluster-receiver-deployment.yaml", 7)


def test_a_helper_that_includes_itself_stays_unknown_and_renders():
    """A hostile helper calling itself: followed a bounded number of levels, then unknown, so its
    workload is judged as rendered (today's behaviour), quickly."""
    got = _findings(FIX / "helper-rendered", "OCI-HA-101")
    assert got[("OCI-HA-101", "chatops/loop-deployment[base]")].status is Status.FAILED
    helpers = {"loop": '{{- if eq (include "loop" .) "true" -}}true{{- end -}}'}
    guard = inline_helpers('eq (include "loop" .) "true"', helpers)
    assert guard_holds(guard, {}) is None
    assert len(guard) < 64 * 1024


def test_a_helper_that_doubles_itself_is_cut_at_the_size_bound():
    """Two includes of the next level in each helper: the expression would double per level;
    a level past the size bound is left as an `include` (unknown), so the whole stays bounded."""
    body = (
        '{{- if and (eq (include "h" .) "true") (eq (include "h" .) "true") -}}' + "x" * 9000 + "{{- end -}}"
    )
    helpers = {"h": body}
    expr = helper_expression("h", helpers)
    assert expr is None or len(expr) <= 64 * 1024
    assert guard_holds(inline_helpers('eq (include "h" .) "true"', helpers), {}) is None


def test_helpers_with_blocks_that_change_the_dot_or_maps_are_unknown():
    """`range`, `with` and functions that change a map in place are not followed."""
    assert helper_expression("r", {"r": "{{ range .Values.x }}a{{ end }}"}) is None
    assert helper_expression("s", {"s": '{{ $_ := set .Values "a" 1 }}true'}) is None
    assert guard_holds(inline_helpers('include "missing" .', {}), {}) is None


def test_a_count_read_inside_with_by_a_library_helper_points_at_the_values_line():
    """matrix-stack: inside `{{ with .Values.web }}`, `include "…commonSpec" (dict "root" $
    "context" (dict … "componentValues" .))` whose body writes `replicas: {{ .replicas }}` under
    `with .context` / `with .componentValues`: the count is `web.replicas`, at its line."""
    got = _findings(FIX / "with-dict-context", "OCI-HA-101")
    web = got[("OCI-HA-101", "webchat/web[base]")]
    assert web.status is Status.FAILED
    assert _at(web) == ("values.yaml", 5)
    assert got[("OCI-HA-101", "webchat/web[prod]")].status is Status.PASSED
    # a nested `with .sfu` inside `with $.Values.rtc`
    sfu = got[("OCI-HA-101", "webchat/rtc.sfu[base]")]
    assert _at(sfu) == ("values.yaml", 13)


def test_a_guard_inside_with_reads_that_map():
    """`{{ with $.Values.hooks }}{{ if .enabled }}`: `hooks.enabled: false`, nothing renders."""
    got = _findings(FIX / "with-dict-context", "OCI-HA-101")
    assert not any("hooks" in address for _, address in got)


def test_a_helper_printing_an_empty_setting_is_unknown_and_its_workload_renders():
    """bitnami ghost: `{{ if include "ghost.host" . }}`, the host helper printing
    `.Values.service.loadBalancerIP | default ""` (left for the install to give): unknown, so the
    Deployment is judged as it runs once installed, not as switched off."""
    helpers = {
        "host": "{{- if .Values.ghostHost -}}{{- .Values.ghostHost -}}{{- else -}}"
        '{{- .Values.service.loadBalancerIP | default "" -}}{{- end -}}'
    }
    guard = inline_helpers('include "host" .', helpers)
    assert guard_holds(guard, {"ghostHost": "", "service": {"loadBalancerIP": ""}}) is None
    assert guard_holds(guard, {"ghostHost": "blog.example.com"}) is True
    # a boolean helper printing nothing when off is off
    flag = inline_helpers('include "on" .', {"on": "{{- if .Values.a -}}true{{- end -}}"})
    assert guard_holds(flag, {"a": False}) is False


def test_a_count_no_values_file_sets_is_one_pod_at_the_template_line():
    """mailu: `replicas: {{ .Values.clamav.replicaCount }}` with no such key: it renders empty,
    Kubernetes' default of one pod, reported at that template line (not the `clamav:` map)."""
    got = _findings(FIX / "count-settings", "OCI-HA-101")
    clamav = got[("OCI-HA-101", "mailstack/clamav[base]")]
    assert clamav.status is Status.FAILED
    assert _at(clamav) == ("clamav-statefulset.yaml", 8)


def test_a_budget_switched_off_by_a_number_points_at_that_setting():
    """neuvector: the budget renders only when `gt (int .Values.controller.disruptionbudget) 0`;
    `disruptionbudget: 0` is the line that says why there is none (not the replica count);
    prod's 2 renders it."""
    got = _findings(FIX / "count-settings", "OCI-HA-103")
    base = got[("OCI-HA-103", "mailstack/controller[base]")]
    assert base.status is Status.FAILED
    assert _at(base) == ("values.yaml", 7)
    assert got[("OCI-HA-103", "mailstack/controller[prod]")].status is Status.PASSED


def test_a_component_named_by_flat_keys_is_judged_with_its_own_placement():
    """scylla-operator: the webhook server reads `webhookServerReplicas` and, through
    `{{ with .Values.webhookServerAffinity }}` before `affinity:`, a hostname-only spread: a
    component of its own (not the operator, whose zone spread passes), failing at the hostname
    topologyKey line."""
    got = _findings(FIX / "flat-component-keys", "OCI-HA-102")
    assert got[("OCI-HA-102", "dboperator[base]")].status is Status.PASSED
    webhook = got[("OCI-HA-102", "dboperator/webhookServer[base]")]
    assert webhook.status is Status.FAILED
    assert _at(webhook) == ("values.yaml", 16)


def test_hostile_helpers_are_bounded_in_size_depth_and_work():
    """Variables doubling each other, `if`s nested past Python's stack, and a fan of helpers each
    including all the others: each reading stays unknown (or small) and finishes, never a crash."""
    doubling = "".join(f"{{{{- $v{i + 1} := and $v{i} $v{i} -}}}}" for i in range(40))
    doubling = "{{- $v0 := .Values.a -}}" + doubling + "{{ $v40 }}"
    assert helper_expression("d", {"d": doubling}) is None
    nested = "{{ if .Values.a }}" * 5000 + "x" + "{{ end }}" * 5000
    assert helper_expression("n", {"n": nested}) is None
    fan = {f"h{i}": " ".join(f'{{{{ include "h{j}" . }}}}' for j in range(60)) for i in range(60)}
    expr = helper_expression("h0", fan)
    assert expr is None or len(expr) <= 64 * 1024
    assert guard_holds(inline_helpers('include "h0" .', fan), {}) is None
