"""Helm charts read through their values: one ``helm.values`` resource per chart and environment.

A chart directory holds ``Chart.yaml``, ``values.yaml``, optional environment overrides
(``values-production.yaml``) and ``templates/``. Each environment — the base values alone, and the
base merged with each override (and with ``--values`` files) the way helm merges them: maps deep,
lists replaced, ``null`` deletes — becomes one resource whose attributes are:

- ``chart``, ``environment``;
- ``values``: the merged values, every path located in the file and line that set it;
- ``workload``: the chart's pod controller per the common conventions (``replicaCount``,
  ``autoscaling``, ``strategy``, ``affinity``, ``topologySpreadConstraints``,
  ``podDisruptionBudget``/``pdb``, ``env``/``extraEnv``/``envVars``, ``volumes``/``extraVolumes``,
  ``serviceAccount``), same shape as a manifest's (see ``workload.py``);
- ``ingress_controller``: the same for ingress-nginx's ``controller.*``;
- ``ingress``: ``{enabled, rules: [{host}], tls: [{hosts}]}`` from ``ingress.hosts`` / ``ingress.tls``;
- ``templated_secrets`` / ``templated_configmaps``: the values the chart's Secret / ConfigMap
  templates read (``{template, value_path, value, literal}``).

Templates are Go templates, never parsed as YAML: they are read only for the kinds they render and
the ``.Values`` paths they use. A standalone values file (``ingress-nginx-values.yaml``, outside any
chart) is one chart of its own with only a base environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.guards.limits import LIMITS
from scanner.guards.safe_io import UnreadableInput, read_regular_file
from scanner.guards.safe_regex import RegexError
from scanner.model import InputError, Location, Provenance, Resource
from scanner.sources.helm.workload import env_entries
from scanner.sources.helm.yamlmarks import YamlInputError, load_yaml_documents, read_yaml_text

VALUES_OVERRIDE = re.compile(r"^values[-_.](?P<env>.+)\.ya?ml$")
STANDALONE_VALUES = re.compile(r"(^|.*[-_.])values([-_.].*)?\.ya?ml$")
_TEMPLATE_KIND = re.compile(r"^\s*kind:\s*['\"]?([A-Za-z]+)", re.M)
_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
_PAYLOAD_KEY = re.compile(r"^\s*(data|stringData|binaryData):", re.M)
_REFERENCE_KEY = re.compile(r"(?i)^(existing|use)?(external)?secret(name|ref|keyref)?$|existing")

Located = dict[str, Location]  # values path -> where it is set


@dataclass
class ValuesFile:
    """One values file: its data (a mapping) and the location of every path in it."""

    path: str  # relative to the scan root
    data: dict[str, Any]
    locations: Located


@dataclass
class ChartTemplates:
    """What a chart's templates render and read, without parsing them as YAML."""

    kinds: dict[str, set[str]] = field(default_factory=dict)  # template -> kinds it renders
    uses: dict[str, list[str]] = field(default_factory=dict)  # template -> .Values paths it reads
    # template -> .Values paths read below its first `data:` / `stringData:` key: the payload of a
    # Secret or ConfigMap, not its name or labels
    payload_uses: dict[str, list[str]] = field(default_factory=dict)
    # template -> why it was not read (too large, not a regular file): an input error each
    unreadable: dict[str, str] = field(default_factory=dict)


def read_values_file(path: Path, rel_path: str) -> ValuesFile:
    """A values file as data plus locations; raises ``YamlInputError``."""
    text = read_yaml_text(path)
    docs = load_yaml_documents(text)
    if not docs:
        return ValuesFile(rel_path, {}, {})
    doc = docs[0]
    if doc.data is None:
        return ValuesFile(rel_path, {}, {})
    if not isinstance(doc.data, dict):
        raise YamlInputError("a values file must hold a mapping", doc.start_line)
    locations = {p: Location(rel_path, s[0], s[1]) for p, s in doc.lines.items() if p}
    return ValuesFile(rel_path, doc.data, locations)


def merge_values(base: ValuesFile, override: ValuesFile) -> tuple[dict[str, Any], Located]:
    """Helm's merge: maps deep-merged, everything else (lists too) replaced, ``null`` deletes.
    Locations follow the values: a path set by the override points into the override."""
    replaced: set[str] = set()
    merged = _merge(base.data, override.data, "", replaced)
    locations = {p: loc for p, loc in base.locations.items() if not any(q in replaced for q in _prefixes(p))}
    for p, loc in override.locations.items():
        locations[p] = loc
    return merged, locations


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _merge(base: dict[str, Any], over: dict[str, Any], at: str, replaced: set[str]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        path = f"{at}.{key}" if at else str(key)
        if value is None:
            out.pop(key, None)
            replaced.add(path)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, path, replaced)
        else:
            out[key] = value
            replaced.add(path)
    return out


def scan_templates(chart_dir: Path) -> ChartTemplates:
    """Kinds rendered and ``.Values`` paths read by each file under ``templates/``."""
    found = ChartTemplates()
    tdir = chart_dir / "templates"
    if not tdir.is_dir():
        return found
    for path in sorted(tdir.rglob("*")):
        if not path.is_file() or path.suffix not in (".yaml", ".yml", ".tpl", ".txt", ".json"):
            continue
        name = path.relative_to(chart_dir).as_posix()
        try:  # bounded like every input: a 3 GiB template must not be read whole
            text = read_regular_file(path, LIMITS.max_file_bytes).decode("utf-8", errors="replace")
        except UnreadableInput as exc:
            found.unreadable[name] = str(exc)
            continue
        found.kinds[name] = set(_TEMPLATE_KIND.findall(text))
        found.uses[name] = list(dict.fromkeys(m.lstrip(".") for m in _VALUES_REF.findall(text)))
        payload = _PAYLOAD_KEY.search(text)
        tail = text[payload.start() :] if payload else ""
        found.payload_uses[name] = list(dict.fromkeys(m.lstrip(".") for m in _VALUES_REF.findall(tail)))
    return found


def _get(data: Any, path: str) -> Any:
    for seg in path.split("."):
        if not isinstance(data, dict) or seg not in data:
            return None
        data = data[seg]
    return data


class _Locator:
    """attribute_locations of one helm.values resource: ``values.<path>`` plus aliases."""

    def __init__(self, located: Located) -> None:
        self.located = located
        self.locations: dict[str, Location] = {f"values.{p}": loc for p, loc in located.items()}

    def alias(self, target: str, source: str) -> None:
        loc = self.located.get(source)
        if loc is not None:
            self.locations[target] = loc
        prefix = source + "."
        cut = len(prefix)
        for path, sub in self.located.items():
            if path.startswith(prefix):
                self.locations[f"{target}.{path[cut:]}"] = sub


def values_resource(
    chart: str,
    chart_rel: str,
    environment: str,
    values: dict[str, Any],
    located: Located,
    templates: ChartTemplates | None,
    anchor: Location,
) -> Resource:
    """The ``helm.values`` resource of one chart environment."""
    loc = _Locator(located)
    attrs: dict[str, Any] = {"chart": chart, "environment": environment, "values": values}
    rendered_kinds = set().union(*templates.kinds.values()) if templates and templates.kinds else set()
    workload_kind = _workload_kind(values, rendered_kinds, templates)
    if workload_kind:
        attrs["workload"] = _values_workload(values, "", workload_kind, loc, anchor)
    controller = values.get("controller")
    if isinstance(controller, dict) and (
        chart == "ingress-nginx"
        or {"image", "replicaCount", "kind", "ingressClassResource"} & set(controller)
    ):
        kind = str(controller.get("kind") or "Deployment")
        kind = "DaemonSet" if kind.lower() == "daemonset" else "Deployment"
        attrs["ingress_controller"] = _values_workload(controller, "controller.", kind, loc, anchor)
        # ingress-nginx's chart default is one controller replica.
        if "replicaCount" not in controller:
            attrs["ingress_controller"]["replicas"] = 1
        attrs["ingress_controller"]["ingress_controller"] = True
    if isinstance(values.get("ingress"), dict):
        attrs["ingress"] = _values_ingress(values["ingress"], loc)
    secrets: list[dict[str, Any]] = []
    configmaps: list[dict[str, Any]] = []
    for template, kinds in templates.kinds.items() if templates else []:
        uses = templates.uses.get(template, []) if templates else []
        payload = templates.payload_uses.get(template, []) if templates else []
        if "Secret" in kinds and not _guarded_by_reference(values, uses):
            for path in payload:
                value = _get(values, path)
                if value is None or isinstance(value, (list, bool)):
                    continue  # flags and lists are not what a Secret's data is made of
                n = len(secrets)
                secrets.append({"template": template, "value_path": path, "literal": _literal_payload(value)})
                loc.alias(f"templated_secrets.{n}", path)
        if "ConfigMap" in kinds:
            for path in payload:
                value = _get(values, path)
                if isinstance(value, (dict, str)):
                    n = len(configmaps)
                    configmaps.append({"template": template, "value_path": path, "value": value})
                    loc.alias(f"templated_configmaps.{n}.value", path)
                    loc.alias(f"templated_configmaps.{n}", path)
    attrs["templated_secrets"] = secrets
    attrs["templated_configmaps"] = configmaps
    context: dict[str, Any] = {
        "scope": f"helm:{chart_rel}:{environment}",
        "chart": chart_rel,
        "environment": environment,
        "sensitive_values": _sensitive(attrs),
    }
    if templates:
        context["template_values"] = sorted({p for uses in templates.uses.values() for p in uses})
    prov = Provenance("helm", anchor, loc.locations)
    return Resource("helm.values", f"{chart}[{environment}]", attrs, prov, context)


def _workload_kind(values: dict[str, Any], kinds: set[str], templates: ChartTemplates | None) -> str | None:
    if templates and templates.kinds:
        for kind in ("Deployment", "StatefulSet", "DaemonSet"):
            if kind in kinds:
                return kind
        return None
    if {"replicaCount", "image", "autoscaling"} & set(values):
        return "Deployment"
    return None


def _values_workload(
    v: dict[str, Any], prefix: str, kind: str, loc: _Locator, anchor: Location
) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": kind}
    if kind != "DaemonSet":
        key = "replicaCount" if "replicaCount" in v else "replicas"
        out["replicas"] = v.get(key, 1)
        loc.alias(f"{_w(prefix)}.replicas", prefix + key)
    # "Should set" lines: the workload points at its replica count, or the controller block.
    where = loc.located.get(prefix + "replicaCount") or loc.located.get(prefix.rstrip(".")) or anchor
    loc.locations[_w(prefix)] = where
    for key in ("autoscaling", "hpa"):
        if isinstance(v.get(key), dict):
            a = v[key]
            out["autoscaling"] = {
                "enabled": a.get("enabled", False),
                "minReplicas": a.get("minReplicas", 1),
                "maxReplicas": a.get("maxReplicas"),
            }
            loc.alias(f"{_w(prefix)}.autoscaling", prefix + key)
            break
    for key in ("podDisruptionBudget", "pdb"):
        if isinstance(v.get(key), dict):
            p = v[key]
            enabled = p.get("enabled", p.get("create", "minAvailable" in p or "maxUnavailable" in p))
            out["podDisruptionBudget"] = {
                "enabled": enabled,
                "minAvailable": p.get("minAvailable"),
                "maxUnavailable": p.get("maxUnavailable"),
            }
            loc.alias(f"{_w(prefix)}.podDisruptionBudget", prefix + key)
            break
    if prefix == "controller." and "minAvailable" in v and "podDisruptionBudget" not in out:
        # ingress-nginx: controller.minAvailable, a PDB rendered when replicas > 1
        out["podDisruptionBudget"] = {
            "enabled": True,
            "minAvailable": v["minAvailable"],
            "maxUnavailable": None,
        }
        loc.alias(f"{_w(prefix)}.podDisruptionBudget.minAvailable", prefix + "minAvailable")
    for key in ("strategy", "updateStrategy"):
        if isinstance(v.get(key), dict):
            s = v[key]
            out["strategy"] = {"type": s.get("type")}
            loc.alias(f"{_w(prefix)}.strategy", prefix + key)
            loc.alias(f"{_w(prefix)}.strategy.type", prefix + key + ".type")
            unavailable = _get(s, "rollingUpdate.maxUnavailable")
            if unavailable is not None:
                out["strategy"]["maxUnavailable"] = unavailable
                loc.alias(
                    f"{_w(prefix)}.strategy.maxUnavailable", prefix + key + ".rollingUpdate.maxUnavailable"
                )
            break
    for key in ("affinity", "topologySpreadConstraints"):
        if key in v:
            out[key] = v[key]
            loc.alias(f"{_w(prefix)}.{key}", prefix + key)
    env: list[dict[str, Any]] = []
    for key in ("env", "extraEnv", "extraEnvs", "envVars", "extraEnvVars"):
        for entry, map_key in env_entries(v.get(key)):
            n = len(env)
            env.append(entry)
            index = map_key if map_key is not None else _list_index(v.get(key), entry)
            src = f"{prefix}{key}.{index}"
            loc.alias(f"{_w(prefix)}.containers.0.env.{n}", src)
            if map_key is not None:
                loc.alias(f"{_w(prefix)}.containers.0.env.{n}.value", src)
    container: dict[str, Any] = {"name": str(v.get("name") or "main"), "env": env}
    if isinstance(v.get("image"), dict):
        image = v["image"]
        container["image"] = f"{image.get('repository', '')}:{image.get('tag', '')}"
    mounts: list[Any] = []
    for key in ("volumeMounts", "extraVolumeMounts"):
        for i, m in enumerate(_list(v.get(key))):
            loc.alias(f"{_w(prefix)}.containers.0.volumeMounts.{len(mounts)}", f"{prefix}{key}.{i}")
            mounts.append(m)
    container["volumeMounts"] = mounts
    if isinstance(v.get("envFrom"), list):
        container["envFrom"] = v["envFrom"]
    out["containers"] = [container]
    volumes: list[Any] = []
    for key in ("volumes", "extraVolumes"):
        for i, vol in enumerate(_list(v.get(key))):
            loc.alias(f"{_w(prefix)}.volumes.{len(volumes)}", f"{prefix}{key}.{i}")
            volumes.append(vol)
    out["volumes"] = volumes
    sa = v.get("serviceAccount")
    if isinstance(sa, dict):
        out["serviceAccountName"] = sa.get("name")
        out["serviceAccountAnnotations"] = sa.get("annotations") or {}
        loc.alias(f"{_w(prefix)}.serviceAccountName", prefix + "serviceAccount.name")
    out["ingress_controller"] = False
    return out


def _list(value: Any) -> list[Any]:
    """A list value, or no elements for anything else (a chart may set a key to null or a map)."""
    return value if isinstance(value, list) else []


def _list_index(items: Any, entry: Any) -> int:
    for i, item in enumerate(items or []):
        if item is entry:
            return i
    return 0


def _w(prefix: str) -> str:
    return "ingress_controller" if prefix == "controller." else "workload"


def _values_ingress(ing: dict[str, Any], loc: _Locator) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    for i, h in enumerate(_list(ing.get("hosts"))):
        if isinstance(h, str):
            rules.append({"host": h})
            loc.alias(f"ingress.rules.{i}.host", f"ingress.hosts.{i}")
        elif isinstance(h, dict):
            rules.append({"host": h.get("host")})
            loc.alias(f"ingress.rules.{i}", f"ingress.hosts.{i}")
            loc.alias(f"ingress.rules.{i}.host", f"ingress.hosts.{i}.host")
    tls = [t for t in _list(ing.get("tls")) if isinstance(t, dict)]
    loc.alias("ingress", "ingress")
    loc.alias("ingress.tls", "ingress.tls")
    loc.alias("ingress.enabled", "ingress.enabled")
    return {"enabled": ing.get("enabled", False), "rules": rules, "tls": tls}


def _guarded_by_reference(values: dict[str, Any], uses: list[str]) -> bool:
    """A Secret template that also reads ``existingSecret`` (or ``externalSecret.enabled``) renders
    nothing when that is set: the chart then uses the referenced (vault-backed) secret."""
    for path in uses:
        last = path.rsplit(".", 1)[-1]
        if re.search(r"(?i)existing|external", path) and last.lower() not in ("", "annotations"):
            if _get(values, path) not in (None, "", False, {}):
                return True
    return False


def _literal_payload(value: Any) -> bool:
    """True when a value holds at least one non-empty literal that is not a template."""
    if isinstance(value, str):
        return bool(value) and not ("{{" in value and "}}" in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(_literal_payload(v) for v in value.values())
    if isinstance(value, list):
        return any(_literal_payload(v) for v in value)
    return False


def _sensitive(attrs: dict[str, Any]) -> list[str]:
    """Strings to redact: secret-like values and env values, and what Secret templates read."""
    from scanner.guards.secretnames import is_secret_name

    found: list[str] = []

    def strings(v: Any) -> None:
        if isinstance(v, str) and v:
            found.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                strings(x)
        elif isinstance(v, list):
            for x in v:
                strings(x)

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if (is_secret_name(str(k)) and not _REFERENCE_KEY.search(str(k))) or (
                    isinstance(x, str) and "PRIVATE KEY-----" in x
                ):
                    strings(x)
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(attrs["values"])
    for key in ("workload", "ingress_controller"):
        for c in (attrs.get(key) or {}).get("containers", []):
            for e in c.get("env", []):
                if is_secret_name(str(e.get("name", ""))) and isinstance(e.get("value"), str):
                    found.append(e["value"])
    for s in attrs["templated_secrets"]:
        strings(_get(attrs["values"], s["value_path"]))
    return found


def validate_schema(
    chart_dir: Path, chart_rel: str, environment: str, values: dict[str, Any], located: Located, fallback: str
) -> list[InputError]:
    """Check merged values against the chart's ``values.schema.json`` as helm does before
    installing; each violation names the key and the values file (never the value)."""
    schema_path = chart_dir / "values.schema.json"
    if not schema_path.is_file():
        return []
    schema_rel = f"{chart_rel}/values.schema.json" if chart_rel not in ("", ".") else "values.schema.json"
    try:
        validator = _schema_validator(schema_path)
    except (OSError, ValueError) as exc:
        from scanner.guards.safe_json import JsonInputError

        reason = str(exc) if isinstance(exc, JsonInputError) else type(exc).__name__
        return [InputError(schema_rel, f"invalid values.schema.json: {reason}", getattr(exc, "line", None))]
    except RecursionError:
        return [InputError(schema_rel, "invalid values.schema.json: nested too deeply to check")]
    except Exception as exc:  # noqa: BLE001 - jsonschema's SchemaError and friends
        return [InputError(schema_rel, f"invalid values.schema.json: {getattr(exc, 'message', exc)}")]
    errors: list[InputError] = []
    try:
        violations = sorted(validator.iter_errors(values), key=lambda e: [str(p) for p in e.absolute_path])
    except RecursionError:  # {"$ref": "#"} and other reference loops
        return [InputError(schema_rel, "invalid values.schema.json: its references loop ($ref)")]
    except RegexError as exc:
        return [InputError(schema_rel, f"values.schema.json: a pattern could not be checked: {exc}")]
    except Exception as exc:  # noqa: BLE001 - unresolvable $ref and other schema faults
        what = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        return [InputError(schema_rel, f"invalid values.schema.json: {str(what)[:200]}")]
    for err in violations:
        key = ".".join(str(p) for p in err.absolute_path)
        where = located.get(key) if key else None
        what = _schema_problem(err)
        if err.validator == "required" and isinstance(err.validator_value, list):
            missing = [
                k for k in err.validator_value if not isinstance(err.instance, dict) or k not in err.instance
            ]
            key = ".".join(filter(None, [key, missing[0] if missing else ""]))
        file = where.file if where else fallback
        errors.append(
            InputError(
                file,
                f"values do not match {schema_rel} (environment {environment}): "
                f"{key or '(top level)'} {what}",
                where.start_line if where else None,
            )
        )
    return errors


_VALIDATORS: dict[tuple[str, int, int], Any] = {}


def _schema_validator(schema_path: Path) -> Any:
    """The chart's schema, checked once per file version: every environment reuses it. The
    schema is input like the values: read bounded (``max_file_bytes``, ``max_depth``), and its
    patterns run bounded (``bound_jsonschema_patterns``)."""
    from scanner.guards.safe_json import read_json
    from scanner.guards.safe_regex import bound_jsonschema_patterns

    st = schema_path.stat()
    key = (str(schema_path), st.st_mtime_ns, st.st_size)
    if key not in _VALIDATORS:
        from jsonschema.validators import validator_for

        bound_jsonschema_patterns()
        schema = read_json(schema_path)  # JsonInputError is a ValueError
        if not isinstance(schema, dict | bool):
            raise ValueError("a JSON schema is an object")
        cls = validator_for(schema)
        cls.check_schema(schema)
        _VALIDATORS[key] = cls(schema)
    return _VALIDATORS[key]


def _schema_problem(err: Any) -> str:
    """What a schema violation expects, from the schema (the value itself may be a secret)."""
    v, expected = err.validator, err.validator_value
    if v == "type":
        return f"must be of type {expected}"
    if v == "required":
        return "is required"
    if v == "enum":
        return f"must be one of {', '.join(map(str, expected))}"
    if v in (
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "pattern",
        "format",
        "multipleOf",
        "const",
    ):
        return f"violates {v} {expected}"
    if v == "additionalProperties":
        return "has properties the schema does not allow"
    return f"violates the schema keyword {v!r}"
