"""Kubernetes Services a chart renders, read from its values: ``k8s.Service`` resources shaped
like a manifest's, so the load-balancer rules (OCI-NET-402...406) judge a chart's values per
environment exactly as they judge rendered manifests.

On OKE the platform's internet load balancer is born from a ``Service type: LoadBalancer``
whose annotations, type, ports and source ranges come from values (ingress-nginx's
``controller.service.*``, an application chart's ``service.*``). Two ways to find them:

- **From the chart's templates** (the chart is in the repository): each ``kind: Service``
  document is read for what it takes from values. ``type:``, each port's ``port:`` and the
  ``loadBalancerSourceRanges:`` line are evaluated with the template-expression evaluator
  (``| default`` fallbacks included), ``{{ if }}`` guards decide whether the Service and each
  of its ports render, and the annotations are the values map the ``metadata`` block ranges
  over or ``toYaml``'s. Nothing is specific to a chart: what the template reads is what counts.
- **From the values' conventions** (a standalone values file, or a dependency that is not
  vendored): a map named ``service`` (at the top or one level down: ``controller.service``)
  holding ``type`` or ``annotations`` is a Service; its ``internal`` map, when ``enabled``,
  is a second one inheriting what it does not set. Ports come from ``ports`` (name -> number),
  enabled unless ``enable<Name>`` is false. What the values leave to the chart's defaults is
  *unknown*, never assumed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from scanner.model import Location, Provenance, Resource, Unknown
from scanner.sources.helm.components import UNKNOWN, GuardIndex, evaluate, guard_holds, template_variables
from scanner.sources.helm.manifests import OKE_LB_ANNOTATIONS
from scanner.sources.helm.yamlmarks import value_at

_SERVICE_KIND = re.compile(r"^kind:\s*['\"]?Service['\"]?\s*$", re.M)
_ACTION = re.compile(r"\{\{-?\s*(?P<body>[^{}]*?)\s*-?\}\}")
_VALUES_PATH = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
_RANGE = re.compile(r"\{\{-?\s*range\s+(?:\$[\w]+\s*,\s*)?\$[\w]+\s*:=\s*\$?\.Values(?P<path>(?:\.[\w-]+)+)")
_TYPE_LINE = re.compile(r"^\s*type:\s*(?P<value>.+?)\s*$", re.M)
_PORT_LINE = re.compile(r"^\s*-?\s*port:\s*(?P<value>.+?)\s*$", re.M)
_NAME_LINE = re.compile(r"^\s*-\s*name:\s*(?P<value>.+?)\s*$", re.M)
_RANGES_LINE = re.compile(r"^\s*loadBalancerSourceRanges:\s*(?P<value>.+?)\s*$", re.M)

_PORT_FLAG = re.compile(r"enable([A-Z]\w*)")

Located = dict[str, Location]


@dataclass
class ServicePort:
    """One ``- name: ... port: ...`` item of a Service template's ``ports``."""

    name: str  # literal, or the template text
    port_expr: str  # the expression inside ``{{ }}``, or the literal number
    offset: int  # position in the template, for its guards
    range_path: str | None = None  # inside ``{{ range ... := .Values.<path> }}``: one port per key
    guards: list[str] = field(default_factory=list)  # ``{{ if }}`` conditions open at the port


@dataclass
class ServiceTemplate:
    """A ``kind: Service`` document of a chart template, as far as values decide it."""

    template: str
    name: str  # the template's stem, plus the document index when a file holds several
    guards: list[str]
    variables: dict[str, str]
    type_expr: str | None  # inside ``{{ }}``; None when literal
    type_literal: str | None
    annotations_path: str | None
    ranges_expr: str | None
    ports: list[ServicePort] = field(default_factory=list)
    line: int = 1  # of the ``kind: Service`` line in the template


def service_templates(name: str, text: str) -> list[ServiceTemplate]:
    """Every ``kind: Service`` document in one template file."""
    out: list[ServiceTemplate] = []
    starts = [m.start() for m in _SERVICE_KIND.finditer(text)]
    if not starts:
        return out
    guards = GuardIndex(text)
    # `$x := ...` assignments of the whole file, read once (not once per Service document)
    variables = template_variables(text)
    newlines = [m.start() for m in re.finditer("\n", text)]  # for line numbers by bisection
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    for n, pos in enumerate(starts):
        begin = text.rfind("\n---", 0, pos)
        begin = 0 if begin < 0 else begin
        end = text.find("\n---", pos)
        end = len(text) if end < 0 else end
        doc = text[begin:end]
        spec_at = doc.find("\nspec:")
        meta = doc[: spec_at if spec_at >= 0 else len(doc)]
        spec = doc[spec_at:] if spec_at >= 0 else ""
        type_expr = type_literal = None
        m = _TYPE_LINE.search(spec)
        if m:
            action = _ACTION.search(m.group("value"))
            if action:
                type_expr = action.group("body")
            else:
                type_literal = m.group("value").strip("'\"")
        annotations_path = None
        notes_at = meta.find("annotations:")
        if notes_at >= 0:
            for path in _VALUES_PATH.findall(meta[notes_at:]):
                if path.endswith(".annotations"):
                    annotations_path = path.lstrip(".")
                    break
        ranges = _RANGES_LINE.search(spec)
        ranges_expr = None
        if ranges:
            action = _ACTION.search(ranges.group("value"))
            found = _VALUES_PATH.search(action.group("body")) if action else None
            ranges_expr = f".Values{found.group(1)}" if found else None
        ports_at = spec.find("ports:")
        ports: list[ServicePort] = []
        if ports_at >= 0:
            base = begin + spec_at + ports_at
            body = spec[ports_at:]
            spans = _range_spans(body)
            names = [(m.start(), m.group("value").strip("'\"")) for m in _NAME_LINE.finditer(body)]
            at = -1  # the last `- name:` before the current port (ports and names both ascend)
            # Ranges nest (they come from a stack), so one sweep in position order keeps the
            # ranges open at each port: linear in ports + ranges.
            ordered, next_span, open_spans = sorted(spans), 0, []
            for pm in _PORT_LINE.finditer(body):
                while at + 1 < len(names) and names[at + 1][0] < pm.start():
                    at += 1
                port_name = names[at][1] if at >= 0 else ""
                while next_span < len(ordered) and ordered[next_span][0] <= pm.start():
                    open_spans.append(ordered[next_span])
                    next_span += 1
                while open_spans and open_spans[-1][1] <= pm.start():
                    open_spans.pop()
                action = _ACTION.search(pm.group("value"))
                expr = action.group("body") if action else pm.group("value")
                inside = open_spans[-1][2] if open_spans else None  # the innermost range
                ports.append(ServicePort(port_name, expr, base + pm.start(), inside))
        out.append(
            ServiceTemplate(
                template=name,
                name=stem if len(starts) == 1 else f"{stem}-{n}",
                guards=guards.at(pos),
                variables=variables,
                type_expr=type_expr,
                type_literal=type_literal,
                annotations_path=annotations_path,
                ranges_expr=ranges_expr,
                ports=ports,
                line=bisect_right(newlines, pos) + 1,
            )
        )
        for p in ports:  # each port's own guards (`{{ if .Values...enableHttp }}`)
            p.guards = guards.at(p.offset)
    return out


def _range_spans(body: str) -> list[tuple[int, int, str]]:
    """(start, end, values path) of each ``{{ range ... := .Values.x }}`` block in ``body``, in
    one pass over its actions (a stack of open blocks: linear, whatever a hostile template nests)."""
    spans: list[tuple[int, int, str]] = []
    stack: list[tuple[int, str | None]] = []
    for action in _ACTION.finditer(body):
        text = action.group("body")
        word = text.split(None, 1)[0] if text else ""
        if word in ("if", "with", "range", "define", "block"):
            ranged = _RANGE.match(action.group(0)) if word == "range" else None
            stack.append((action.start(), ranged.group("path").lstrip(".") if ranged else None))
        elif word == "end" and stack:
            start, path = stack.pop()
            if path is not None:
                spans.append((start, action.start(), path))
    spans += [(start, len(body), path) for start, path in stack if path is not None]
    return spans


def _value(expr: str, values: dict[str, Any], variables: dict[str, str], reason: str) -> Any:
    """A template expression's value with these values; Unknown when it cannot be told."""
    result = evaluate(expr, values, variables)
    if result is None or result is UNKNOWN:
        return Unknown(reason)
    return result


def _port_number(value: Any) -> Any:
    if isinstance(value, bool):
        return Unknown("port is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value if isinstance(value, Unknown) else Unknown(f"port {value!r} is not a number")


def _oci_view(annotations: dict[str, Any]) -> dict[str, Any]:
    return {short: annotations[key] for key, short in OKE_LB_ANNOTATIONS.items() if key in annotations}


def _service(
    chart: str,
    name: str,
    environment: str,
    scope: dict[str, Any],
    svc_type: Any,
    annotations: Any,
    ports: Any,
    ranges: Any,
    locations: dict[str, Location],
    anchor: Location,
) -> Resource:
    metadata: dict[str, Any] = {"name": name}
    if isinstance(annotations, dict):
        metadata["annotations"] = {str(k): v for k, v in annotations.items()}
    spec: dict[str, Any] = {"type": svc_type, "ports": ports}
    if ranges is not None:
        spec["loadBalancerSourceRanges"] = ranges
    attrs = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": spec,
        "oci_load_balancer": _oci_view(metadata.get("annotations", {})),
        "from_values": True,
    }
    return Resource(
        "k8s.Service",
        f"Service/{chart}/{name}[{environment}]",
        attrs,
        Provenance("helm", locations.get("spec.type") or anchor, locations),
        scope,
    )


def _alias(locations: dict[str, Location], located: Located, target: str, source: str) -> None:
    """Point ``target`` (and everything below it) at where the values set ``source``."""
    if source in located:
        locations[target] = located[source]
    prefix = source + "."
    for path, where in located.items():
        if path.startswith(prefix):
            locations[f"{target}.{path[len(prefix):]}"] = where


def template_services(
    chart: str,
    environment: str,
    values: dict[str, Any],
    located: Located,
    templates: list[ServiceTemplate],
    scope: dict[str, Any],
    anchor: Location,
) -> list[Resource]:
    """The Services these templates render with these values (see the module docstring)."""
    out: list[Resource] = []
    for st in templates:
        if any(guard_holds(g, values, st.variables) is False for g in st.guards):
            continue
        locations: dict[str, Location] = {}
        where = anchor
        if st.type_expr is not None:
            svc_type = _value(st.type_expr, values, st.variables, "Service type left to the chart")
            for path in _VALUES_PATH.findall(st.type_expr):
                if path.lstrip(".") in located:
                    _alias(locations, located, "spec.type", path.lstrip("."))
                    break
        else:
            svc_type = st.type_literal or "ClusterIP"
        annotations = value_at(values, st.annotations_path) if st.annotations_path else None
        if st.annotations_path:
            _alias(locations, located, "metadata.annotations", st.annotations_path)
        ranges = None
        if st.ranges_expr:
            ranges = _value(st.ranges_expr, values, st.variables, "source ranges left to the chart")
            ranges = None if ranges in ([], "") else ranges
            source = st.ranges_expr.removeprefix(".Values.")
            _alias(locations, located, "spec.loadBalancerSourceRanges", source)
        ports: list[dict[str, Any]] = []
        for port in st.ports:
            if any(guard_holds(g, values, st.variables) is False for g in port.guards):
                continue
            if port.range_path is not None:
                ranged = value_at(values, port.range_path)
                for key in ranged if isinstance(ranged, dict) else {}:
                    ports.append({"name": f"{key}", "port": _port_number(str(key))})
                continue
            number = _port_number(_value(port.port_expr, values, st.variables, "port left to the chart"))
            n = len(ports)
            ports.append({"name": port.name, "port": number})
            for path in _VALUES_PATH.findall(port.port_expr):
                if path.lstrip(".") in located:
                    _alias(locations, located, f"spec.ports.{n}.port", path.lstrip("."))
                    break
        locations.setdefault("spec.type", where)
        name = f"{st.name}"
        out.append(
            _service(chart, name, environment, scope, svc_type, annotations, ports, ranges, locations, where)
        )
    return out


def _blocks(values: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Maps named ``service`` at the top or one level down that describe a Service."""
    found: list[tuple[str, dict[str, Any]]] = []
    candidates = [("service", values.get("service"))]
    candidates += [(f"{k}.service", v.get("service")) for k, v in values.items() if isinstance(v, dict)]
    for path, block in candidates:
        if isinstance(block, dict) and ("type" in block or "annotations" in block):
            found.append((path, block))
    return found


def _convention_ports(block: dict[str, Any], parent: dict[str, Any] | None) -> Any:
    """``ports`` (name -> number) filtered by ``enable<Name>``; Unknown when the values do not say."""
    table = block.get("ports")
    if not isinstance(table, dict) and parent is not None:
        table = parent.get("ports")
    flags: dict[str, Any] = {}
    for source in (parent or {}, block):
        # `enableHttp` names the port `http`; `enabled` is the Service's own switch, not a port
        for key, on in source.items():
            if m := _PORT_FLAG.fullmatch(str(key)):
                flags[m.group(1).lower()] = on
    if isinstance(table, dict):
        names = list(table)
        names += [n for n, on in flags.items() if on is True and n not in table]
        out = []
        for port_name in names:
            if flags.get(port_name.lower()) is False:
                continue
            number = table.get(port_name, Unknown(f"port {port_name} left to the chart"))
            out.append({"name": str(port_name), "port": _port_number(number)})
        return out
    port = block.get("port", (parent or {}).get("port"))
    if isinstance(port, int) and not isinstance(port, bool):
        return [{"name": str(block.get("portName") or ""), "port": port}]
    return Unknown("the Service's ports are the chart's defaults, not in these values")


def convention_services(
    chart: str,
    environment: str,
    values: dict[str, Any],
    located: Located,
    scope: dict[str, Any],
    anchor: Location,
) -> list[Resource]:
    """The Services the values describe by convention, for charts whose templates are not here."""
    out: list[Resource] = []
    for path, block in _blocks(values):
        if block.get("enabled") is False:
            continue
        variants: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = [(path, path, block, None)]
        internal = block.get("internal")
        if isinstance(internal, dict) and internal.get("enabled") is True:
            variants.append((f"{path}.internal", f"{path}-internal", internal, block))
        for at, name, own, parent in variants:
            locations: dict[str, Location] = {}
            svc_type = own.get("type", (parent or {}).get("type"))
            source = at if "type" in own else path
            if svc_type is None:
                svc_type = Unknown("Service type left to the chart's default")
            _alias(locations, located, "spec.type", f"{source}.type")
            _alias(locations, located, "metadata.annotations", f"{at}.annotations")
            ranges = own.get("loadBalancerSourceRanges") or None
            _alias(locations, located, "spec.loadBalancerSourceRanges", f"{at}.loadBalancerSourceRanges")
            ports = _convention_ports(own, parent)
            _alias(locations, located, "spec.ports", f"{at}.ports")
            where = located.get(at) or anchor
            locations.setdefault("spec.type", where)
            out.append(
                _service(
                    chart,
                    name.replace(".", "-"),
                    environment,
                    scope,
                    svc_type,
                    own.get("annotations"),
                    ports,
                    ranges,
                    locations,
                    where,
                )
            )
    return out
