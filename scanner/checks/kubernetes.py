"""Named checks for Helm values and Kubernetes manifests, Polaris style: what a declarative
condition cannot say — matching workloads to their PodDisruptionBudgets and
HorizontalPodAutoscalers by selector and target, arithmetic on replica counts and percentages,
and walking arbitrary values or ConfigMap content for secret-like keys.

Workloads are read through the normalized ``workload`` attribute, which chart workloads
(``helm.workload``, one per component a chart renders) and manifests share
(``scanner/sources/helm``). What is a secret is decided by key and value together in
``scanner.guards.secretnames``.
Manifests are matched only within one scope (the directory or stream they came from) and one
namespace.

Policies that call these checks: OCI-ENC-101, OCI-HA-101, OCI-HA-102, OCI-HA-103, OCI-HA-104,
OCI-HA-105, OCI-SEC-101, OCI-SEC-102, OCI-SEC-103, OCI-SEC-104.
"""

from __future__ import annotations

import math
import re
import weakref
from typing import Any

from scanner.checks.placement import region_ad_count
from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.guards.secretnames import (
    SECRET_BLOCKS,
    config_text_secrets,
    is_aws_secret_half,
    is_secret_entry,
    is_secret_literal,
    is_secret_under,
    is_setting_key,
    key_reading,
    looks_like_credential,
)
from scanner.model import Location, Resource, Unknown

_ENV_KEYS = {"env", "extraEnv", "extraEnvs", "envVars", "extraEnvVars"}
# A section header: `[11111111-2222-3333-4444-555555555555]`.
_INI_SECTION = re.compile(r"(?m)^[ \t]*\[(?P<name>[^\]\s]+)\][ \t]*$")


def _holds_secret(key: str, value: Any, siblings: Any = ()) -> bool:
    """One decision for a key and its literal: ``scanner.guards.secretnames.is_secret_entry``."""
    return is_secret_entry(key, value, siblings)


def _literal(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip()) and not ("{{" in value and "}}" in value)
    return isinstance(value, (int, float))


def _workload(resource: Resource, params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    prefix = str(params.get("workload", "workload"))
    w = resource.attributes.get(prefix)
    return (w if isinstance(w, dict) else {}), prefix


def _failures(resource: Resource, hits: list[tuple[str, str]]) -> Outcome:
    """One failing outcome per (attribute path, detail), each at its own line: a second secret
    is its own finding, not folded into the first one's line and fingerprint."""
    outcomes = [Outcome(False, path, detail, resource.provenance.locate(path)) for path, detail in hits]
    first = outcomes[0]
    return Outcome(False, first.path, first.detail, first.location, more=tuple(outcomes[1:]))


# --- secrets ------------------------------------------------------------------------------------
@check("helm_values_plaintext_secrets")
def helm_values_plaintext_secrets(
    resource: Resource, index: ResourceIndex, params: dict[str, Any]
) -> Outcome:
    """False for every key of the values that holds a secret-shaped literal (one failure each,
    naming the key, never the value). References (``existingSecret``, ``passwordSecretKey``),
    settings (``tokenCacheSize``), flags and sizes pass; environment lists are OCI-SEC-102's."""
    hits: list[str] = []
    values = resource.attributes.get("values")
    if isinstance(values, dict) and resource.attributes.get("subcharts"):
        # vendored subcharts judge the values their parent sets for them (helm.values of
        # `parent/sub[env]`), at the same lines: not twice
        values = {k: v for k, v in values.items() if k not in resource.attributes["subcharts"]}
    settings = {f"values.{p}" for p in resource.attributes.get("env_settings") or ()}
    names = frozenset(f"values.{p}" for p in resource.attributes.get("secret_names") or ())
    _walk_values(values, "values", hits, False, settings, names)
    for found in resource.attributes.get("secret_data_values") or []:
        # a short value a Secret template writes as an entry's value (redash's `secretKey:
        # test`): the source saw where it lands, which the walk above cannot
        if (path := f"values.{found}") not in hits:
            hits.append(path)
    if not hits:
        return Outcome(True, "values")
    return _failures(resource, [(h, h[len("values.") :]) for h in hits])


def _walk_values(
    value: Any,
    at: str,
    hits: list[str],
    in_block: bool,
    settings: set[str] | frozenset[str] = frozenset(),
    names: frozenset[str] = frozenset(),
    holder: str = "",
) -> None:
    """Collect the paths of secret-holding keys under ``value``; environment lists are skipped
    (OCI-SEC-102's) unless the source found the templates read them as settings, and values the
    templates write as a Secret's name (``names``) are references unless credential-shaped.
    ``holder``: the key of the map ``value`` is, when that key holds a secret: its ``value``
    child is judged as that key (langfuse's ``salt: {value: …, secretKeyRef: …}``)."""
    if isinstance(value, dict):
        keys = tuple(str(k) for k in value)
        leaves = [v for v in value.values() if isinstance(v, str)]  # an AWS key id beside a secret
        for key, child in value.items():
            name = str(key)
            path = f"{at}.{name}"
            if name in _ENV_KEYS and path not in settings:
                continue
            reading = key_reading(name)
            if isinstance(child, (dict, list)):
                if reading != "reference":
                    block = reading == "holds" and name.lower() in SECRET_BLOCKS
                    inner = name if reading == "holds" and isinstance(child, dict) else ""
                    _walk_values(child, path, hits, block, settings, names, inner)
            elif path in names and not looks_like_credential(child):
                continue  # `secretKeyRef: {name: {{ .Values.x }}}`: the name of a Secret
            elif _literal(child) and (
                _holds_secret(name, child, keys)
                or (in_block and reading == "none" and not is_setting_key(name) and is_secret_literal(child))
                or (holder and name.lower() == "value" and _holds_secret(holder, child, keys))
                or is_aws_secret_half(child, leaves)
            ):
                hits.append(path)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            if isinstance(child, str) and looks_like_credential(child):
                # a list of credentials (traefik's `basicAuth.users: ["admin:$apr1$…"]`): judged
                # by shape alone, as a list item has no key of its own
                hits.append(f"{at}.{i}")
                continue
            _walk_values(child, f"{at}.{i}", hits, in_block, settings, names)


@check("helm_templated_secret_values")
def helm_templated_secret_values(
    resource: Resource, index: ResourceIndex, params: dict[str, Any]
) -> Outcome:
    """False for every value a Secret template renders in this environment that is a secret
    (by key and value, as OCI-SEC-101 decides), at that value's line; a template that writes a
    literal into a Secret's data (no ``.Values``) fails at its own line."""
    outcomes: list[Outcome] = []
    for i, entry in enumerate(resource.attributes.get("templated_secrets") or []):
        if entry.get("secret"):
            detail = f"{entry.get('value_path')} in {entry.get('template')}"
            # Named by template and value, not by position in the list: an environment that
            # renders one Secret fewer (its `secretRef` set) shifts the positions, and the same
            # inherited value must stay one finding (one fingerprint) across environments.
            where = resource.provenance.locate(f"templated_secrets.{i}")
            name = f"templated_secrets.{entry.get('template')}:{entry.get('value_path')}"
            outcomes.append(Outcome(False, name, detail, where))
    if not outcomes:
        return Outcome(True, "templated_secrets")
    first = outcomes[0]
    return Outcome(False, first.path, first.detail, first.location, more=tuple(outcomes[1:]))


@check("env_literal_secrets")
def env_literal_secrets(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """False for every container environment variable whose literal ``value`` is a secret (by
    its name and value: ``DB_PASSWORD: s3cr3t-value``, or a credential-shaped value whatever the
    name), naming the variable; ``valueFrom``, flags, paths and template expressions pass."""
    w, prefix = _workload(resource, params)
    hits: list[tuple[str, str]] = []
    for c_i, container in enumerate(w.get("containers") or []):
        if not isinstance(container, dict):
            continue
        for e_i, entry in enumerate(container.get("env") or []):
            if not isinstance(entry, dict) or "value" not in entry:
                continue
            name, value = str(entry.get("name", "")), entry.get("value")
            if _literal(value) and _holds_secret(name, value):
                hits.append((f"{prefix}.containers.{c_i}.env.{e_i}.value", name))
    if not hits:
        return Outcome(True, f"{prefix}.containers")
    return _failures(resource, hits)


@check("helm_template_env_literals")
def helm_template_env_literals(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """False for every container variable a chart's workload template writes with a literal
    secret (``- name: DB_PASSWORD`` / ``value: "…"``, no ``{{ }}``), in this environment's
    branches, at the template's line, naming the variable (the source judged name and value)."""
    entries = resource.attributes.get("template_env_literals") or []
    hits = []
    for i, e in enumerate(entries):
        hits.append((f"template_env_literals.{i}", f"{e.get('name')} in {e.get('template')}"))
    if not hits:
        return Outcome(True, "template_env_literals")
    return _failures(resource, hits)


@check("configmap_secret_keys")
def configmap_secret_keys(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """False for every secret-like key with a literal value in a ConfigMap's data (or, for chart
    values, in what a ConfigMap template reads), and for every config file held there with such a
    line (``password=…``, ``api key = …``), one failure each at its own line. A secret found so is
    the same secret wherever else it appears in those ConfigMaps: netdata's parent names its
    stream section after the API key its children send (``[11111111-…]``)."""
    payloads: list[tuple[Any, str, str]] = []  # (payload, attribute path, values path or "")
    if resource.kind == "helm.values":
        for i, entry in enumerate(resource.attributes.get("templated_configmaps") or []):
            value_path = str(entry.get("value_path", ""))
            payloads.append((entry.get("value"), f"templated_configmaps.{i}.value", value_path))
    else:
        payloads += [(resource.attributes.get(key), key, "") for key in ("data", "binaryData")]
    hits: list[tuple[str, str, int | None]] = []  # (attribute path, key name, line in a text)
    found: set[str] = set()  # the secret values themselves, to recognise them elsewhere
    values = resource.attributes.get("values")
    for value, at, name in payloads:
        if name and isinstance(values, dict) and _read_scalar_secret(values, name, value):
            # `key: {{ .Values.apisix.admin.credentials.admin }}`: a value written into the
            # ConfigMap by itself is judged by its own key, as OCI-SEC-101 judges it
            hits.append((at, name, None))
            found.add(str(value).strip())
            continue
        _configmap_payload(value, at, name, hits, found)
    if found:
        for value, at, name in payloads:
            _configmap_reuse(value, at, name, hits, found)
    if not hits:
        return Outcome(True, "data")
    outcomes = []
    for path, key, offset in dict.fromkeys(hits):
        where = resource.provenance.locate(path)
        if where is not None and offset is not None and where.start_line + 1 + offset <= where.end_line:
            # a block scalar (`data: |`): point at the line of the file that holds the secret
            line = where.start_line + 1 + offset
            where = Location(where.file, line, line)
        outcomes.append(Outcome(False, path, f"secret-like key: {key}", where))
    first = outcomes[0]
    return Outcome(False, first.path, first.detail, first.location, more=tuple(outcomes[1:]))


def _read_scalar_secret(values: dict[str, Any], path: str, value: Any) -> bool:
    """Whether a scalar a ConfigMap template reads at ``path`` holds a secret by the same
    decision as OCI-SEC-101's walk: its key with the keys beside it, a child of a
    ``credentials:`` block, or the ``value`` of a secret key (``salt: {value: …}``)."""
    if not _literal(value) or isinstance(value, dict | list):
        return False
    parts = path.split(".")
    key = parts[-1]
    parent: Any = values
    for part in parts[:-1]:
        parent = parent.get(part) if isinstance(parent, dict) else None
    siblings = tuple(map(str, parent)) if isinstance(parent, dict) else ()
    return is_secret_under(parts[-2] if len(parts) > 1 else "", key, value, siblings)


def _configmap_payload(
    value: Any, at: str, name: str, hits: list[tuple[str, str, int | None]], found: set[str]
) -> None:
    if isinstance(value, dict):
        if value.get("enabled") is False:
            return  # a config entry switched off is not rendered (netdata's `configs.<file>.enabled`)
        for key, child in value.items():
            path = f"{at}.{key}"
            if _literal(child) and _holds_secret(str(key), child, tuple(map(str, value))):
                hits.append((path, f"{name}.{key}" if name else str(key), None))
                found.add(str(child).strip())
            elif isinstance(child, str) and (keys := _config_text_secrets(child, found)):
                where = f"{name}.{key}" if name else str(key)
                hits.append((path, f"{where} ({', '.join(k for k, _ in keys)})", keys[0][1]))
            elif isinstance(child, (dict, list)):
                _configmap_payload(child, path, f"{name}.{key}" if name else str(key), hits, found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):  # `range .Values.users`: each user's fields
                _configmap_payload(item, f"{at}.{i}", f"{name}.{i}" if name else str(i), hits, found)
    elif isinstance(value, str) and (keys := _config_text_secrets(value, found)):
        names = ", ".join(k for k, _ in keys)
        hits.append((at, f"{name} ({names})" if name else names, keys[0][1]))


def _config_text_secrets(text: str, found: set[str]) -> list[tuple[str, int]]:
    """``scanner.guards.secretnames.config_text_secrets``, keys with their lines; the values are
    added to ``found``."""
    keys = config_text_secrets(text)
    found.update(value for _, _, value in keys)
    return [(key, line) for key, line, _ in keys]


def _configmap_reuse(
    value: Any, at: str, name: str, hits: list[tuple[str, str, int | None]], found: set[str]
) -> None:
    """A config file naming an INI section after a secret found elsewhere in the ConfigMaps."""
    if isinstance(value, dict):
        if value.get("enabled") is False:
            return
        for key, child in value.items():
            _configmap_reuse(child, f"{at}.{key}", f"{name}.{key}" if name else str(key), hits, found)
    elif isinstance(value, str):
        for m in _INI_SECTION.finditer(value):
            if m.group("name") in found and not any(h[0] == at for h in hits):
                line = value.count("\n", 0, m.start("name"))
                hits.append((at, f"{name} (a section named by a secret)", line))


# --- replicas, HPAs and PDBs --------------------------------------------------------------------
class _Groups:
    """Objects of one kind grouped by (scope, namespace), built once per scan's index: matching
    every workload against every PDB and HPA would be quadratic in the number of objects."""

    index: weakref.ref[ResourceIndex] | None = None
    by_kind: dict[str, dict[tuple[Any, Any], list[Resource]]] = {}

    @classmethod
    def get(cls, index: ResourceIndex, kind: str) -> dict[tuple[Any, Any], list[Resource]]:
        if cls.index is None or cls.index() is not index:
            cls.index, cls.by_kind = weakref.ref(index), {}
        groups = cls.by_kind.get(kind)
        if groups is None:
            groups = {}
            for r in index.by_kind(kind):
                groups.setdefault((r.context.get("scope"), r.context.get("namespace")), []).append(r)
            cls.by_kind[kind] = groups
        return groups


def _matching(resource: Resource, index: ResourceIndex, kind: str) -> list[Resource]:
    """Objects of ``kind`` from the same manifest set and namespace as ``resource``."""
    groups = _Groups.get(index, kind)
    return groups.get((resource.context.get("scope"), resource.context.get("namespace")), [])


def _hpa_for(resource: Resource, index: ResourceIndex) -> Resource | None:
    """The HorizontalPodAutoscaler whose ``scaleTargetRef`` names this workload."""
    name = (resource.attributes.get("metadata") or {}).get("name")
    kind = resource.kind.removeprefix("k8s.")
    for hpa in _matching(resource, index, "k8s.HorizontalPodAutoscaler"):
        ref = (hpa.attributes.get("spec") or {}).get("scaleTargetRef") or {}
        if ref.get("name") == name and ref.get("kind", kind) == kind:
            return hpa
    return None


def _selects(selector: Any, labels: dict[str, Any]) -> bool:
    """A label selector (``matchLabels`` and ``matchExpressions``) matches ``labels``."""
    if not isinstance(selector, dict) or not selector:
        return False  # an empty PDB selector selects nothing in policy/v1
    for k, v in (selector.get("matchLabels") or {}).items():
        if str(labels.get(k)) != str(v):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), [str(x) for x in expr.get("values") or []]
        have = labels.get(key)
        if op == "In" and str(have) not in values:
            return False
        if op == "NotIn" and have is not None and str(have) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _pdbs_for(resource: Resource, index: ResourceIndex) -> list[Resource]:
    labels = (resource.attributes.get("workload") or {}).get("labels") or {}
    return [
        pdb
        for pdb in _matching(resource, index, "k8s.PodDisruptionBudget")
        if _selects((pdb.attributes.get("spec") or {}).get("selector"), labels)
    ]


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _count(value: Any, total: int, round_up: bool) -> int | None:
    """An int-or-percentage (``maxUnavailable: 25%``) as a pod count out of ``total``."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            pct = float(value.strip()[:-1])
        except ValueError:
            return None
        raw = total * pct / 100
        return math.ceil(raw) if round_up else math.floor(raw)
    return _int(value)


def _min_replicas(resource: Resource, index: ResourceIndex, w: dict[str, Any], prefix: str):
    """(minimum replicas, path that sets it, location override)."""
    auto = w.get("autoscaling") or {}
    if auto.get("enabled") is True or str(auto.get("enabled")).lower() == "true":
        return _int(auto.get("minReplicas", 1)), f"{prefix}.autoscaling.minReplicas", None
    if resource.kind.startswith("k8s."):
        hpa = _hpa_for(resource, index)
        if hpa is not None:
            spec = hpa.attributes.get("spec") or {}
            where = hpa.provenance.locate("spec.minReplicas")
            return _int(spec.get("minReplicas", 1)), f"{prefix}.replicas", where
    return _int(w.get("replicas", 1)), f"{prefix}.replicas", None


@check("k8s_min_replicas")
def k8s_min_replicas(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """False when a Deployment / StatefulSet runs fewer than ``min_replicas`` pods; an
    autoscaler's ``minReplicas`` (chart ``autoscaling`` or a matching HPA) counts instead of
    ``replicas``. A DaemonSet runs one pod per node and passes."""
    w, prefix = _workload(resource, params)
    if w.get("kind") == "DaemonSet":
        return Outcome(True, prefix)
    low, path, where = _min_replicas(resource, index, w, prefix)
    if low is None:
        return Outcome(None, path, "replica count is not a number")
    wanted = int(params.get("min_replicas", 2))
    if low >= wanted or low == 0:
        # scaled to zero runs nothing (placeholder pods, a switched-off component): no outage to prevent
        return Outcome(True, path)
    return Outcome(False, path, f"at most {low} replica(s) guaranteed", where)


@check("k8s_replicated")
def k8s_replicated(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """True for a Deployment / StatefulSet that runs, or may scale to, more than one pod (and is
    not the ingress controller, which OCI-HA-105 judges); used as a rule's ``when``."""
    w, prefix = _workload(resource, params)
    if w.get("kind") not in ("Deployment", "StatefulSet") or w.get("ingress_controller") is True:
        return Outcome(False, prefix)
    replicas = _int(w.get("replicas", 1))
    auto = w.get("autoscaling") or {}
    if auto.get("enabled") is True and (_int(auto.get("maxReplicas")) or 2) > 1:
        return Outcome(True, prefix)
    if resource.kind.startswith("k8s.") and _hpa_for(resource, index) is not None:
        return Outcome(True, prefix)
    if replicas is None:
        return Outcome(None, f"{prefix}.replicas", "replica count is not a number")
    return Outcome(replicas > 1, prefix)


@check("k8s_disruption_budget")
def k8s_disruption_budget(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """False when no PodDisruptionBudget covers the workload (chart ``podDisruptionBudget`` /
    ``pdb``, or a manifest PDB whose selector matches the pod labels), or when the budget
    allows no eviction at all (``maxUnavailable: 0``, ``minAvailable`` ≥ replicas or 100%),
    which blocks node drains and OKE node pool upgrades."""
    w, prefix = _workload(resource, params)
    if w.get("kind") == "DaemonSet":
        # A node drain leaves DaemonSet pods in place (kubectl drain --ignore-daemonsets):
        # no budget is needed to keep them.
        return Outcome(True, prefix)
    replicas = _int(w.get("replicas", 1)) or 1
    auto = w.get("autoscaling") or {}
    if auto.get("enabled") is True:
        replicas = _int(auto.get("minReplicas", 1)) or 1
    if not resource.kind.startswith("k8s."):
        pdb = w.get("podDisruptionBudget")
        if pdb is None and _ingress_nginx_controller_values(resource, w) and replicas > 1:
            # The ingress-nginx chart renders controller-poddisruptionbudget.yaml whenever more
            # than one replica runs, with its default `controller.minAvailable: 1`.
            return _budget_allows_eviction({"minAvailable": 1}, replicas, f"{prefix}.replicas", None)
        if isinstance(pdb, Unknown):
            return Outcome(None, f"{prefix}.podDisruptionBudget", pdb.reason)
        if not isinstance(pdb, dict) or not (
            pdb.get("enabled") is True or str(pdb.get("enabled")).lower() == "true"
        ):
            # one reading for a budget switch: the line that sets the deciding value (the
            # `enabled: false` under a `podDisruptionBudget:` map, milvus's `usePolicy: false`),
            # else the map itself when nothing switches it (located by its nearest ancestor)
            path = f"{prefix}.podDisruptionBudget.enabled" if isinstance(pdb, dict) else prefix
            return Outcome(False, path, "no PodDisruptionBudget is enabled")
        return _budget_allows_eviction(pdb, replicas, f"{prefix}.podDisruptionBudget", None)
    pdbs = _pdbs_for(resource, index)
    if not pdbs:
        return Outcome(False, prefix, "no PodDisruptionBudget selects its pods")
    hpa = _hpa_for(resource, index)
    if hpa is not None:
        replicas = _int((hpa.attributes.get("spec") or {}).get("minReplicas", 1)) or 1
    outcomes = []
    for pdb in pdbs:
        spec = pdb.attributes.get("spec") or {}
        outcome = _budget_allows_eviction(spec, replicas, prefix, pdb)
        if outcome.result is not False:
            return outcome
        outcomes.append(outcome)
    return outcomes[0]


def _ingress_nginx_controller_values(resource: Resource, w: dict[str, Any]) -> bool:
    """The controller of the ingress-nginx chart itself (not a chart that embeds its image)."""
    chart = str(resource.attributes.get("chart") or "")
    return (
        w.get("ingress_controller") is True
        and resource.attributes.get("component") == "controller"
        and chart.rsplit("/", 1)[-1] == "ingress-nginx"
    )


def _budget_allows_eviction(spec: dict[str, Any], replicas: int, path: str, pdb: Resource | None) -> Outcome:
    def at(field: str) -> Any:
        return pdb.provenance.locate(f"spec.{field}") if pdb is not None else None

    field_path = (lambda f: f"{path}.{f}") if pdb is None else (lambda f: path)
    if spec.get("maxUnavailable") is not None:
        n = _count(spec["maxUnavailable"], replicas, round_up=True)
        if n is None:
            return Outcome(None, field_path("maxUnavailable"), "maxUnavailable is not a number")
        if n < 1:
            return Outcome(
                False, field_path("maxUnavailable"), "maxUnavailable allows no eviction", at("maxUnavailable")
            )
        return Outcome(True, field_path("maxUnavailable"))
    if spec.get("minAvailable") is not None:
        n = _count(spec["minAvailable"], replicas, round_up=True)
        if n is None:
            return Outcome(None, field_path("minAvailable"), "minAvailable is not a number")
        if n >= replicas:
            return Outcome(
                False,
                field_path("minAvailable"),
                f"minAvailable keeps all {replicas} pod(s)",
                at("minAvailable"),
            )
        return Outcome(True, field_path("minAvailable"))
    return Outcome(True, path)  # neither set: the API default allows one eviction at a time


@check("k8s_update_keeps_capacity")
def k8s_update_keeps_capacity(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """False when an update takes every pod down at once: strategy ``Recreate``, or a rolling
    update whose ``maxUnavailable`` reaches the replica count (``100%`` included)."""
    w, prefix = _workload(resource, params)
    strategy = w.get("strategy") or {}
    if isinstance(strategy, Unknown):
        strategy = {}  # the subchart's default strategy: Kubernetes' own unless it says otherwise
    if str(strategy.get("type", "")).lower() == "recreate":
        return Outcome(
            False, f"{prefix}.strategy.type", "strategy Recreate stops every pod before starting new ones"
        )
    replicas = _int(w.get("replicas", 1))
    if strategy.get("maxUnavailable") is None or replicas is None:
        return Outcome(True, f"{prefix}.strategy")
    n = _count(strategy["maxUnavailable"], replicas, round_up=False)
    if n is None:
        return Outcome(None, f"{prefix}.strategy.maxUnavailable", "maxUnavailable is not a number")
    if n >= replicas:
        return Outcome(
            False, f"{prefix}.strategy.maxUnavailable", f"maxUnavailable {n} of {replicas} replica(s)"
        )
    return Outcome(True, f"{prefix}.strategy.maxUnavailable")


# --- spread over availability domains ------------------------------------------------------------
# Node labels OKE sets: the AD as the zone, and the fault domain within it.
_AD_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
_FD_KEYS = ("oci.oraclecloud.com/fault-domain",)
_CLUSTER_KIND = "oci_containerengine_cluster"


def _spread_keys(w: dict[str, Any], prefix: str) -> tuple[list[tuple[str, str]], str | None]:
    """The (topology key, path) pairs the workload spreads or anti-affines over, and the path of
    a spread setting that is not known statically (a subchart's default), if any."""
    keys: list[tuple[str, str]] = []
    unknown: str | None = None
    anti = w.get("affinity")
    sources = [
        ("topologySpreadConstraints", w.get("topologySpreadConstraints"), "topologyKey"),
        (
            "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution",
            _dig(anti, "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"),
            "topologyKey",
        ),
        (
            "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution",
            _dig(anti, "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"),
            "podAffinityTerm.topologyKey",
        ),
    ]
    for path, items, key_path in sources:
        if isinstance(items, Unknown):
            unknown = unknown or f"{prefix}.{path}"
            continue
        for i, item in enumerate(items if isinstance(items, list) else []):
            key = _dig(item, *key_path.split("."))
            if isinstance(key, Unknown):
                unknown = unknown or f"{prefix}.{path}.{i}.{key_path}"
            elif isinstance(key, str):
                keys.append((key, f"{prefix}.{path}.{i}.{key_path}"))
    return keys, unknown


def _dig(value: Any, *path: str) -> Any:
    for part in path:
        if isinstance(value, Unknown):
            return value
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def cluster_region(index: ResourceIndex, params: dict[str, Any]) -> str | None:
    """The region the workloads run in: the ``cluster_region`` parameter, else the region of the
    OKE clusters the same scan declares when they all share one (a platform repository holding
    the cluster's Terraform beside its charts), else None."""
    given = params.get("cluster_region")
    if isinstance(given, str) and given.strip():
        return given.strip().lower()
    regions = {r.context.get("region") for r in index.by_kind(_CLUSTER_KIND)}
    if len(regions) == 1:
        (region,) = regions
        if isinstance(region, str) and region:
            return region.lower()
    return None


@check("k8s_spread_over_ads")
def k8s_spread_over_ads(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """OCI-HA-102/105: the replicas are spread (topologySpreadConstraints or pod anti-affinity)
    over availability domains (``zone_keys``). A spread over fault domains (``fault_domain_keys``)
    counts only where the cluster's region has a single AD (``cluster_region``, the AD count from
    ``region_ad_counts``); in a region of unknown AD count it is unknown."""
    w, prefix = _workload(resource, params)
    ad_keys = set(params.get("zone_keys") or _AD_KEYS)
    fd_keys = set(params.get("fault_domain_keys") or _FD_KEYS)
    keys, unknown = _spread_keys(w, prefix)
    for key, path in keys:
        if key in ad_keys:
            return Outcome(True, path)
    if unknown is not None:
        return Outcome(None, unknown, "the spread settings are not known statically")
    by_fd = next((path for key, path in keys if key in fd_keys), None)
    if by_fd is None:
        # no spread at all (nothing written, or `affinity: {}` / `topologySpreadConstraints: []`
        # written empty): the workload itself, at its replica count -- the documented convention
        # the held-out labels were written against (benchmarks/README.md, heldout13)
        at = keys[0][1] if keys else prefix
        spread = f"spreads only over {keys[0][0]}" if keys else "sets no topology spread or pod anti-affinity"
        return Outcome(
            False, at, f"{spread}; no spread over availability domains", resource.provenance.locate(at)
        )
    region = cluster_region(index, params)
    ad_count = region_ad_count(region, params)
    if ad_count is None:
        where = f"region {region}" if region else "the cluster's region"
        return Outcome(
            None,
            by_fd,
            f"spread over fault domains only, which counts in a single-AD region; the number of ADs of "
            f"{where} is not known (set the cluster_region parameter)",
        )
    if ad_count == 1:
        return Outcome(True, by_fd, f"spread over fault domains: {region} has a single availability domain")
    return Outcome(
        False,
        by_fd,
        f"spread over fault domains only, in {region} which has {ad_count} availability domains",
        resource.provenance.locate(by_fd),
    )


# --- ingress TLS ---------------------------------------------------------------------------------
def _covered(host: str, tls_hosts: list[str]) -> bool:
    for pattern in tls_hosts:
        if pattern == host:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]) and host.count(".") == pattern.count("."):
            return True
    return False


@check("ingress_hosts_have_tls")
def ingress_hosts_have_tls(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """False when an Ingress rule (manifest ``spec.rules``, chart ``ingress.hosts``) serves a host
    that no ``tls`` entry lists, or when rules exist and there is no ``tls`` at all."""
    base = str(params.get("ingress", "spec"))
    spec = resource.attributes
    for seg in base.split("."):
        spec = spec.get(seg) if isinstance(spec, dict) else None
    spec = spec if isinstance(spec, dict) else {}
    tls = [t for t in spec.get("tls") or [] if isinstance(t, dict)]
    tls_hosts = [str(h) for t in tls for h in (t.get("hosts") or [])]
    rules = spec.get("rules") or []
    if not rules and not tls:
        # A default backend alone: served on every host without TLS.
        if spec.get("defaultBackend") is not None:
            return Outcome(False, f"{base}.defaultBackend", "default backend without TLS")
        return Outcome(True, base)
    for i, rule in enumerate(rules):
        host = rule.get("host") if isinstance(rule, dict) else None
        if not host:
            if not tls:
                return Outcome(False, f"{base}.rules.{i}", "a rule without host, and no TLS")
            continue
        if not _covered(str(host), tls_hosts):
            return Outcome(False, f"{base}.rules.{i}.host", f"host {host} has no TLS entry")
    return Outcome(True, f"{base}.tls")
