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


# NGINX Inc's NGINX Ingress Controller: `nginx/nginx-ingress` and, for NGINX Plus,
# `private-registry.nginx.com/nginx-ic/nginx-plus-ingress` (the images its chart's values name)
_NGINX_INC_IMAGES = ("nginx-ingress", "nginx-plus-ingress")


def is_ingress_nginx_controller(labels: dict[str, Any], images: list[str]) -> bool:
    """An NGINX ingress controller, by its chart labels or its image: the community's
    ingress-nginx controller, or NGINX Inc's NGINX Ingress Controller (every request passes
    either, so OCI-HA-105 judges both)."""
    name = str(labels.get("app.kubernetes.io/name", ""))
    component = str(labels.get("app.kubernetes.io/component", ""))
    if name == "ingress-nginx" and component in ("controller", ""):
        return True
    community = ("ingress-nginx/controller", "nginx-ingress-controller")
    return any(any(c in img for c in community) or _image_name(img) in _NGINX_INC_IMAGES for img in images)


def _image_name(image: str) -> str:
    """An image reference's last path segment without tag or digest (`nginx/nginx-ingress:5.1.0`
    -> `nginx-ingress`); a port in the registry host is no tag."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[0]
