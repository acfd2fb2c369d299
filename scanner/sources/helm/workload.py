"""One normalized shape for a workload, whether it comes from a manifest or from chart values.

Rules about pods (replicas, spread, update strategy, environment, credentials) are written once
against the ``workload`` attribute; the sources fill it from ``spec.template.spec`` of a
Deployment or from the chart conventions (``replicaCount``, ``extraEnv``...), and point every
normalized path at the line it came from. Shape::

    workload:
      kind: Deployment | StatefulSet | DaemonSet | Pod | Job | CronJob
      replicas: 3                       # Deployment / StatefulSet; 1 when not written
      autoscaling: {enabled, minReplicas, maxReplicas}   # chart values only (manifests: an HPA)
      podDisruptionBudget: {enabled, minAvailable, maxUnavailable}   # chart values only
      strategy: {type, maxUnavailable}
      affinity: {...}
      topologySpreadConstraints: [...]
      containers: [{name, image, env: [{name, value, valueFrom}], envFrom, volumeMounts}]
      volumes: [...]
      serviceAccountName: ...
      labels: {...}                     # pod labels, for PDB selectors
      ingress_controller: true|false    # the ingress-nginx controller (checked by OCI-HA-105)
"""

from __future__ import annotations

from typing import Any


def env_entries(value: Any) -> list[tuple[dict[str, Any], str | None]]:
    """Environment variables in the shapes charts use: a list of ``{name, value|valueFrom}``, or
    a map ``NAME: value`` / ``NAME: {valueFrom: ...}``. Returns each entry with the key it came
    from (``None`` for list items, whose index is the source)."""
    out: list[tuple[dict[str, Any], str | None]] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                out.append((item, None))
    elif isinstance(value, dict):
        for name, item in value.items():
            if isinstance(item, dict):
                out.append(({"name": str(name), **item}, str(name)))
            else:
                out.append(({"name": str(name), "value": item}, str(name)))
    return out


def is_ingress_nginx_controller(labels: dict[str, Any], images: list[str]) -> bool:
    """The ingress-nginx controller, by its chart labels or its image."""
    name = str(labels.get("app.kubernetes.io/name", ""))
    component = str(labels.get("app.kubernetes.io/component", ""))
    if name == "ingress-nginx" and component in ("controller", ""):
        return True
    return any("ingress-nginx/controller" in img or "nginx-ingress-controller" in img for img in images)
