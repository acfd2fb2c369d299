"""Kubernetes manifests (plain, or rendered from a chart) → ``Resource`` objects ``k8s.<Kind>``.

Attributes are the manifest as written (``metadata``, ``spec``, ``data``...), plus normalized
views rules share with chart values: ``workload`` for pod controllers (see ``workload.py``),
``oci_load_balancer`` for Services (the OKE annotations), ``vault_backed`` for the
external-secrets and secrets-store objects. Every path has its line.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

from scanner.model import InputError, Location, Provenance, Resource
from scanner.sources.helm.workload import env_entries, is_ingress_nginx_controller
from scanner.sources.helm.yamlmarks import Span, YamlDocument, YamlInputError, load_yaml_documents, value_at

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Pod", "Job", "CronJob", "ReplicaSet"}
# Kinds ocisec models; others that Kubernetes or common operators define are kept silently as
# resources no rule targets yet; anything else is reported as a note.
KNOWN_KINDS = WORKLOAD_KINDS | {
    "Secret",
    "ConfigMap",
    "Ingress",
    "Service",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "ExternalSecret",
    "ClusterExternalSecret",
    "SecretProviderClass",
    "SecretStore",
    "ClusterSecretStore",
    "Namespace",
    "ServiceAccount",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "NetworkPolicy",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "IngressClass",
    "CustomResourceDefinition",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "LimitRange",
    "ResourceQuota",
    "PriorityClass",
    "Endpoints",
    "EndpointSlice",
    "Certificate",
    "Issuer",
    "ClusterIssuer",
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
    "VerticalPodAutoscaler",
    "Lease",
    "APIService",
    "CSIDriver",
    "RuntimeClass",
    "PodSecurityPolicy",
}
# GitOps and packaging objects commonly kept beside manifests.
KNOWN_KINDS |= {
    "Kustomization", "Component", "HelmRelease", "HelmRepository", "GitRepository", "OCIRepository",
    "Application", "ApplicationSet", "AppProject", "Gateway", "HTTPRoute", "GatewayClass",
}  # fmt: skip
TEMPLATE_SYNTAX = re.compile(r"\{\{.*?\}\}", re.S)
OKE_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/oci-load-balancer-ssl-ports": "ssl_ports",
    "service.beta.kubernetes.io/oci-load-balancer-tls-secret": "tls_secret",
    "oci.oraclecloud.com/load-balancer-type": "load_balancer_type",
    "service.beta.kubernetes.io/oci-load-balancer-internal": "internal",
    "service.beta.kubernetes.io/oci-load-balancer-shape": "shape",
    "oci-network-load-balancer.oraclecloud.com/internal": "internal",
}


def has_manifest_markers(text: str) -> bool:
    """Cheap pre-filter: could this YAML text hold a Kubernetes object at all?"""
    return "apiVersion" in text and "kind" in text


# API groups of tool configuration files that look like objects (apiVersion + kind) but are never
# sent to a cluster: kustomize's kustomization.yaml, kind's cluster config. They are read and
# ignored without a word (a pre-commit run over a kustomize repository must not fail on them).
TOOL_CONFIG_GROUPS = ("kustomize.config.k8s.io/", "kind.x-k8s.io/")


def is_manifest(data: Any) -> bool:
    """A YAML document that is a Kubernetes object: a mapping with ``apiVersion`` and ``kind``
    (not a tool's configuration file that shares that shape)."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
        and not data["apiVersion"].startswith(TOOL_CONFIG_GROUPS)
    )


def load_manifest_text(
    text: str,
    rel_path: str,
    scope: str,
    source: str = "kubernetes",
    errors: list[InputError] | None = None,
    patch: bool = False,
) -> tuple[list[Resource], list[InputError]]:
    """Every Kubernetes object in a YAML stream (``List`` kinds unwrapped) as a ``Resource``.

    Returns the resources and the problems (invalid YAML, Go template syntax, unknown kinds),
    each naming ``rel_path``. Documents that are not Kubernetes objects are ignored. ``patch``:
    a kustomization names the file as a patch, so its objects are partial (``as_patch``).
    """
    errors = [] if errors is None else errors
    try:
        docs = load_yaml_documents(text)
    except YamlInputError as exc:
        if TEMPLATE_SYNTAX.search(text):
            foreign = _foreign_template_kinds(text)
            if foreign:
                # A release tool's template (krew's plugin manifest, goreleaser's): no object
                # ocisec checks could be in it, so it is noted, not an input error.
                what = f"a template of {foreign}, which ocisec does not check; not read"
                errors.append(InputError(rel_path, what, _template_line(text), level="note"))
            else:
                errors.append(InputError(rel_path, _TEMPLATE_MESSAGE, _template_line(text)))
        else:
            errors.append(InputError(rel_path, exc.message, exc.line))
        return [], errors
    resources: list[Resource] = []
    # A document that parses is data, even when its strings hold `{{ }}`: an Alertmanager or
    # Prometheus template in a ConfigMap, an Argo workflow parameter. kubectl applies it as it
    # is. Only text that fails to parse because of template syntax needs rendering first.
    for doc in docs:
        if not is_manifest(doc.data):
            continue
        if _is_list(doc.data):
            _unwrap_list(doc.data, doc.lines, "", (doc.start_line, doc.end_line), rel_path, scope, source,
                         resources, errors)  # fmt: skip
            continue
        res = manifest_resource(
            doc.data, doc.lines, (doc.start_line, doc.end_line), rel_path, scope, source, errors, patch
        )
        if res is not None:
            resources.append(res)
    return resources, errors


# Kinds whose patches still carry what they write: a Secret's or ConfigMap's literal data is
# shipped by the overlay whichever object it lands in (OCI-SEC-103, OCI-SEC-104).
_DATA_KINDS = {"Secret", "ConfigMap"}


def _as_patch(resource: Resource, kind: str) -> Resource:
    """A kustomize patch of ``kind``: ``kustomize.patch``, which no workload, network or identity
    rule judges (a patch without replicas runs no "single replica"); its container env is still
    read for literal secrets (OCI-SEC-102 targets it). Secrets and ConfigMaps stay as they are."""
    if kind in _DATA_KINDS:
        return resource
    resource.attributes["patch_of"] = kind
    address = f"patch:{resource.address}"
    return Resource("kustomize.patch", address, resource.attributes, resource.provenance, resource.context)


# Lists inside lists are unwrapped to this depth; deeper nesting is an input error, not a skip.
MAX_LIST_NESTING = 10


def _is_list(data: dict[str, Any]) -> bool:
    """``kind: List`` (or ``...List``, such as ``ConfigMapList``) with ``items``."""
    kind = data.get("kind")
    return isinstance(kind, str) and (kind == "List" or (kind.endswith("List") and "items" in data))


def _unwrap_list(
    data: dict[str, Any],
    lines: dict[str, Span],
    prefix: str,
    span: Span,
    rel_path: str,
    scope: str,
    source: str,
    resources: list[Resource],
    errors: list[InputError],
    depth: int = 1,
) -> None:
    """Every object of a ``List``, Lists inside it unwrapped too; an item that is not a
    Kubernetes object, or ``items`` that is not a list, is reported (a note naming the line),
    never skipped in silence."""
    items = data.get("items")
    here = f"{prefix}items"
    if items is None:
        return
    if not isinstance(items, list):
        line = lines.get(here, span)[0]
        what = f"{data['kind']}: items is not a list; nothing in it is read"
        errors.append(InputError(rel_path, what, line))
        return
    for i, item in enumerate(items):
        path = f"{here}.{i}"
        item_span = lines.get(path, span)
        if not is_manifest(item):
            what = f"{data['kind']} item {i} is not a Kubernetes object (no apiVersion and kind); not read"
            errors.append(InputError(rel_path, what, item_span[0], level="note"))
            continue
        if _is_list(item):
            if depth >= MAX_LIST_NESTING:
                errors.append(InputError(
                    rel_path, f"Lists nested deeper than {MAX_LIST_NESTING}; the inner ones are not read",
                    item_span[0]))  # fmt: skip
                continue
            _unwrap_list(
                item, lines, f"{path}.", item_span, rel_path, scope, source, resources, errors, depth + 1
            )
            continue
        res = manifest_resource(item, _sub_lines(lines, path), item_span, rel_path, scope, source, errors)
        if res is not None:
            resources.append(res)


_TEMPLATE_MESSAGE = (
    "contains Go template syntax ({{ }}) outside a chart's templates/: render it first "
    "(helm template ... | ocisec scan -) or scan the chart directory"
)


_TOP_LEVEL_KIND = re.compile(r"^kind:[ \t]*(.*?)[ \t]*$", re.M)
_TOP_LEVEL_API = re.compile(r"^apiVersion:[ \t]*(.*?)[ \t]*$", re.M)


def _foreign_template_kinds(text: str) -> str:
    """``kind Plugin (krew.googlecontainertools.github.com/v1alpha2)`` when every document of a
    templated text names, in plain text, a kind ocisec does not know in an API group outside
    Kubernetes; ``""`` when any document could be an object ocisec checks (its kind is known,
    written by the template, or missing)."""
    documents = [d for d in re.split(r"^---[ \t]*$", text, flags=re.M) if d.strip()]
    seen: list[str] = []
    for doc in documents:
        kinds, apis = _TOP_LEVEL_KIND.findall(doc), _TOP_LEVEL_API.findall(doc)
        if len(kinds) != 1 or len(apis) != 1:
            return ""
        kind, api = kinds[0].strip("'\""), apis[0].strip("'\"")
        group = api.split("/")[0] if "/" in api else ""
        if (
            not re.fullmatch(r"[A-Z][A-Za-z0-9]*", kind)
            or kind in KNOWN_KINDS
            or not re.fullmatch(r"[a-z0-9.-]+/[a-z0-9]+", api)
            or group.endswith(".k8s.io")
            or "." not in group
        ):
            return ""
        seen.append(f"kind {kind} ({api})")
    return ", ".join(dict.fromkeys(seen))


def _template_line(text: str, doc: YamlDocument | None = None) -> int | None:
    """Line of the first ``{{ ... }}`` in the text, or in ``doc`` and after."""
    lines = text.splitlines()
    for i in range((doc.start_line - 1) if doc else 0, len(lines)):
        if "{{" in lines[i]:
            return i + 1
    return None


def _sub_lines(lines: dict[str, Span], prefix: str) -> dict[str, Span]:
    cut = len(prefix) + 1
    out = {"": lines.get(prefix, (1, 1))}
    for path, span in lines.items():
        if path.startswith(prefix + "."):
            out[path[cut:]] = span
    return out


class LocationMap:
    """Builds ``attribute_locations`` for one resource from a document's line map, including
    aliases from normalized paths (``workload.replicas``) to source paths (``spec.replicas``)."""

    def __init__(self, lines: dict[str, Span], file: str) -> None:
        self.lines = lines
        self.file = file
        self.locations: dict[str, Location] = {
            path: Location(file, span[0], span[1]) for path, span in lines.items() if path
        }
        self._sorted: list[str] | None = None

    def alias(self, target: str, source: str) -> None:
        """Point ``target`` and every path below it at the lines of ``source`` and below."""
        if source not in self.lines:
            return
        self.locations[target] = self.locations[source]
        if self._sorted is None:
            self._sorted = sorted(self.lines)
        prefix = source + "."
        cut = len(prefix)
        # Paths below ``source`` are contiguous in sorted order.
        for i in range(bisect_left(self._sorted, prefix), len(self._sorted)):
            path = self._sorted[i]
            if not path.startswith(prefix):
                break
            self.locations[f"{target}.{path[cut:]}"] = self.locations[path]


def manifest_resource(
    data: dict[str, Any],
    lines: dict[str, Span],
    span: Span,
    rel_path: str,
    scope: str,
    source: str,
    errors: list[InputError],
    patch: bool = False,
) -> Resource | None:
    """One Kubernetes object as a ``Resource``; ``None`` (with an error) when it has no name.
    ``patch``: a kustomize patch (``_as_patch``), which may leave its name to the target."""
    kind = data["kind"]
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    name = metadata.get("name") or metadata.get("generateName")
    if patch and not (isinstance(name, str) and name):
        name = rel_path.rsplit("/", 1)[-1]  # a patch aimed by `target:`: named by its file
    if not isinstance(name, str) or not name:
        # A kind ocisec does not check (a CRD, or a template that Terraform fills in) is only
        # noted; a nameless object of a checked kind could hide a finding, so that is an error.
        level = "error" if kind in KNOWN_KINDS else "note"
        errors.append(InputError(rel_path, f"{kind} without metadata.name", span[0], level=level))
        return None
    if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", kind):
        errors.append(InputError(rel_path, f"kind {kind!r} is not a Kubernetes kind name", span[0]))
        return None
    if kind not in KNOWN_KINDS:
        errors.append(
            InputError(
                rel_path,
                f"kind {kind} ({data['apiVersion']}) is not known to ocisec; the object is not checked",
                span[0],
                level="note",
            )
        )
    namespace = metadata.get("namespace") if isinstance(metadata.get("namespace"), str) else ""
    address = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
    locmap = LocationMap(lines, rel_path)
    attributes = dict(data)
    context: dict[str, Any] = {"scope": scope, "namespace": namespace or "default"}
    if kind in WORKLOAD_KINDS:
        attributes["workload"] = _workload(kind, data, locmap)
        context["sensitive_values"] = _env_secret_values(attributes["workload"])
    elif kind == "Service":
        attributes["oci_load_balancer"] = _oke_annotations(metadata, locmap)
    elif kind in (
        "ExternalSecret",
        "ClusterExternalSecret",
        "SecretProviderClass",
        "SecretStore",
        "ClusterSecretStore",
    ):
        attributes["vault_backed"] = _vault_backed(kind, data)
    provenance = Provenance(source, Location(rel_path, span[0], span[1]), locmap.locations)
    resource = Resource(f"k8s.{kind}", address, attributes, provenance, context)
    return _as_patch(resource, kind) if patch else resource


def _pod_spec_path(kind: str) -> str:
    if kind == "Pod":
        return "spec"
    if kind == "CronJob":
        return "spec.jobTemplate.spec.template.spec"
    return "spec.template.spec"


def _workload(kind: str, data: dict[str, Any], loc: LocationMap) -> dict[str, Any]:
    pod_path = _pod_spec_path(kind)
    pod = value_at(data, pod_path) or {}
    pod = pod if isinstance(pod, dict) else {}
    labels_path = "metadata.labels" if kind == "Pod" else pod_path.rpartition(".")[0] + ".metadata.labels"
    labels = value_at(data, labels_path) or {}
    out: dict[str, Any] = {"kind": kind}
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        replicas = value_at(data, "spec.replicas")
        out["replicas"] = 1 if replicas is None else replicas
        loc.alias("workload.replicas", "spec.replicas")
        strategy_path = "spec.strategy" if kind == "Deployment" else "spec.updateStrategy"
        strategy = value_at(data, strategy_path)
        if isinstance(strategy, dict):
            out["strategy"] = {"type": strategy.get("type")}
            loc.alias("workload.strategy", strategy_path)
            loc.alias("workload.strategy.type", strategy_path + ".type")
            unavailable = value_at(strategy, "rollingUpdate.maxUnavailable")
            if unavailable is not None:
                out["strategy"]["maxUnavailable"] = unavailable
                loc.alias("workload.strategy.maxUnavailable", strategy_path + ".rollingUpdate.maxUnavailable")
    for key in ("affinity", "topologySpreadConstraints", "volumes", "serviceAccountName"):
        if key in pod:
            out[key] = pod[key]
            loc.alias(f"workload.{key}", f"{pod_path}.{key}")
    containers: list[dict[str, Any]] = []
    images: list[str] = []
    for group in ("initContainers", "containers"):
        for i, c in enumerate(pod.get(group) or []):
            if not isinstance(c, dict):
                continue
            n = len(containers)
            src = f"{pod_path}.{group}.{i}"
            entry: dict[str, Any] = {"name": c.get("name"), "image": c.get("image")}
            images.append(str(c.get("image") or ""))
            loc.alias(f"workload.containers.{n}", src)
            for key in ("env", "envFrom", "volumeMounts"):
                if key in c:
                    entry[key] = c[key] if key != "env" else [e for e, _ in env_entries(c[key])]
            containers.append(entry)
    out["containers"] = containers
    out["labels"] = labels if isinstance(labels, dict) else {}
    out["ingress_controller"] = is_ingress_nginx_controller(
        out["labels"] or (value_at(data, "metadata.labels") or {}), images
    )
    return out


def _env_secret_values(workload: dict[str, Any]) -> list[str]:
    from scanner.guards.secretnames import is_secret_name

    found = []
    for c in workload.get("containers", []):
        for e in c.get("env") or []:
            if isinstance(e.get("value"), str) and is_secret_name(str(e.get("name", ""))):
                found.append(e["value"])
    return found


def _oke_annotations(metadata: dict[str, Any], loc: LocationMap) -> dict[str, Any]:
    """The OCI load balancer annotations OKE reads on a Service, by short name."""
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
    out: dict[str, Any] = {}
    for key, short in OKE_LB_ANNOTATIONS.items():
        if key in annotations:
            out[short] = annotations[key]
            loc.alias(f"oci_load_balancer.{short}", f"metadata.annotations.{key}")
    return out


def _vault_backed(kind: str, data: dict[str, Any]) -> bool:
    """Whether a secrets object draws from OCI Vault (provider ``oracle`` / ``oci``)."""
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    if kind in ("SecretStore", "ClusterSecretStore"):
        return isinstance(spec.get("provider"), dict) and "oracle" in spec["provider"]
    if kind == "SecretProviderClass":
        return str(spec.get("provider", "")).lower() in ("oci", "oracle")
    # An ExternalSecret names its store; whether that store is Oracle's is a join (not needed yet).
    return True
