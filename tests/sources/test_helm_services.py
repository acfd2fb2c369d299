"""Services from chart values: the load balancer a chart's values ask for is judged by the same
rules (OCI-NET-402...406) as a rendered Service, per environment, read from the chart's templates
when they are here and from the values' conventions otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan

LB_RULES = ["OCI-NET-402", "OCI-NET-403", "OCI-NET-404", "OCI-NET-406"]

# A chart's Service template in the style of ingress-nginx's (written for this test): the type,
# annotations, source ranges and each port come from values, ports guarded by enable flags, an
# internal Service guarded by its own `enabled`, inheriting type and ports through `default`.
SERVICE_TEMPLATE = """\
{{- if .Values.gateway.service.enabled -}}
apiVersion: v1
kind: Service
metadata:
  annotations:
  {{- range $key, $value := .Values.gateway.service.annotations }}
    {{ $key }}: {{ $value | quote }}
  {{- end }}
  name: {{ include "gw.fullname" . }}
spec:
  type: {{ .Values.gateway.service.type }}
{{- if .Values.gateway.service.loadBalancerSourceRanges }}
  loadBalancerSourceRanges: {{ toYaml .Values.gateway.service.loadBalancerSourceRanges | nindent 4 }}
{{- end }}
  ports:
  {{- if .Values.gateway.service.enableHttp }}
    - name: http
      port: {{ .Values.gateway.service.ports.http }}
      targetPort: http
  {{- end }}
  {{- if .Values.gateway.service.enableHttps }}
    - name: https
      port: {{ .Values.gateway.service.ports.https }}
      targetPort: https
  {{- end }}
  {{- range $key, $value := .Values.tcp }}
    - name: {{ $key }}-tcp
      port: {{ $key }}
      targetPort: {{ $key }}-tcp
  {{- end }}
{{- end }}
---
{{- if and .Values.gateway.service.enabled .Values.gateway.service.internal.enabled }}
apiVersion: v1
kind: Service
metadata:
  annotations:
  {{- range $key, $value := .Values.gateway.service.internal.annotations }}
    {{ $key }}: {{ $value | quote }}
  {{- end }}
  name: {{ include "gw.fullname" . }}-internal
spec:
  type: {{ .Values.gateway.service.internal.type | default .Values.gateway.service.type }}
  ports:
  {{- if .Values.gateway.service.enableHttps }}
    - name: https
      port: {{ .Values.gateway.service.internal.ports.https | default .Values.gateway.service.ports.https }}
      targetPort: https
  {{- end }}
{{- end }}
"""

DEFAULTS = """\
gateway:
  replicaCount: 2
  image: {repository: example/gateway, tag: "1.2.3"}
  service:
    enabled: true
    type: LoadBalancer
    annotations: {}
    enableHttp: true
    enableHttps: true
    ports: {http: 80, https: 443}
    internal:
      enabled: false
      annotations: {}
      ports: {}
tcp: {}
"""

PRODUCTION = """\
gateway:
  service:
    annotations:
      oci.oraclecloud.com/load-balancer-type: "nlb"
      oci-network-load-balancer.oraclecloud.com/oci-network-security-groups: "ocid1.networksecuritygroup.oc1..gw"
    enableHttp: false
    internal:
      enabled: true
      annotations:
        oci.oraclecloud.com/load-balancer-type: "nlb"
        oci-network-load-balancer.oraclecloud.com/internal: "true"
        oci-network-load-balancer.oraclecloud.com/oci-network-security-groups: "ocid1.networksecuritygroup.oc1..gwi"
"""


def _chart(root: Path) -> Path:
    chart = root / "gateway"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: gateway\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text(DEFAULTS)
    (chart / "values-production.yaml").write_text(PRODUCTION)
    (chart / "templates" / "service.yaml").write_text(SERVICE_TEMPLATE)
    return chart


def _scan(*paths: Path):
    result, _ = run_scan(list(paths), ScanOptions(rule_ids=LB_RULES))
    assert result.errors == [], result.errors
    return result


def _by(result, rule_id: str) -> dict[str, Status]:
    return {f.resource.address: f.status for f in result.findings if f.rule_id == rule_id}


@pytest.fixture(autouse=True)
def _cache(monkeypatch, tmp_path):
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def test_template_services_per_environment(tmp_path):
    result = _scan(_chart(tmp_path))
    tls = _by(result, "OCI-NET-402")
    # base: the chart's defaults open plain port 80 on a public load balancer
    assert tls["Service/gateway/service-0[base]"] is Status.FAILED
    # production turns port 80 off: 443 passes through
    assert tls["Service/gateway/service-0[production]"] is Status.PASSED
    # the internal Service renders only in production (its `enabled` guard)
    assert "Service/gateway/service-1[base]" not in tls
    assert tls["Service/gateway/service-1[production]"] is Status.PASSED
    exposure = _by(result, "OCI-NET-406")
    assert exposure["Service/gateway/service-1[production]"] is Status.PASSED  # internal NLB
    assert exposure["Service/gateway/service-0[production]"] is Status.FAILED  # public, not allowed
    fenced = _by(result, "OCI-NET-403")
    assert fenced["Service/gateway/service-0[base]"] is Status.FAILED
    assert fenced["Service/gateway/service-0[production]"] is Status.PASSED


def test_template_service_findings_point_at_the_values_lines(tmp_path):
    result = _scan(_chart(tmp_path))
    f = next(
        f
        for f in result.findings
        if f.rule_id == "OCI-NET-406" and f.resource.address == "Service/gateway/service-0[production]"
    )
    assert f.location is not None and f.location.file.endswith("values.yaml")


def test_ranged_ports_and_source_ranges(tmp_path):
    chart = _chart(tmp_path)
    (chart / "values-partner.yaml").write_text(
        "gateway:\n  service:\n    enableHttp: false\n    loadBalancerSourceRanges: [198.51.100.0/24]\ntcp:\n  '5432': db/postgres:5432\n"
    )
    result = _scan(chart)
    # a TCP port from the `range` over .Values.tcp is plain text
    assert _by(result, "OCI-NET-402")["Service/gateway/service-0[partner]"] is Status.FAILED
    assert _by(result, "OCI-NET-403")["Service/gateway/service-0[partner]"] is Status.PASSED


def test_standalone_values_by_convention(tmp_path):
    values = tmp_path / "ingress-nginx-values.yaml"
    values.write_text(
        "controller:\n  service:\n    type: LoadBalancer\n    annotations:\n"
        "      service.beta.kubernetes.io/oci-load-balancer-internal: 'true'\n"
        "    enableHttp: false\n    ports: {https: 443}\n"
    )
    result = _scan(values)
    assert _by(result, "OCI-NET-402") == {"Service/ingress-nginx/controller-service[base]": Status.PASSED}
    assert _by(result, "OCI-NET-406") == {"Service/ingress-nginx/controller-service[base]": Status.PASSED}


def test_ports_left_to_chart_defaults_are_unknown_not_passed(tmp_path):
    values = tmp_path / "ingress-nginx-values.yaml"
    values.write_text("controller:\n  service:\n    type: LoadBalancer\n")
    result, _ = run_scan([values], ScanOptions(rule_ids=["OCI-NET-402"]))
    statuses = [f.status for f in result.findings if f.rule_id == "OCI-NET-402"]
    assert statuses == [Status.UNKNOWN]


def test_type_left_to_chart_default_is_unknown(tmp_path):
    values = tmp_path / "ingress-nginx-values.yaml"
    values.write_text("controller:\n  service:\n    annotations: {a: b}\n")
    result, _ = run_scan([values], ScanOptions(rule_ids=["OCI-NET-406"]))
    assert [f.status for f in result.findings if f.rule_id == "OCI-NET-406"] == [Status.UNKNOWN]


def test_convention_internal_service_inherits_type(tmp_path):
    values = tmp_path / "ingress-nginx-values.yaml"
    values.write_text(
        "controller:\n  service:\n    type: LoadBalancer\n    ports: {https: 443}\n    internal:\n"
        "      enabled: true\n      annotations:\n"
        "        service.beta.kubernetes.io/oci-load-balancer-internal: 'true'\n"
    )
    result = _scan(values)
    assert _by(result, "OCI-NET-406") == {
        "Service/ingress-nginx/controller-service[base]": Status.FAILED,
        "Service/ingress-nginx/controller-service-internal[base]": Status.PASSED,
    }

