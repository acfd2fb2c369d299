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
from scanner.guards.secretnames import (
    config_text_secrets,
    is_secret_data_value,
    is_secret_entry,
    is_secret_under,
    looks_like_credential,
    names_an_identity,
)
from scanner.model import InputError, Location, Provenance, Resource, Unknown
from scanner.sources.helm.components import (
    UNKNOWN,
    Component,
    GuardIndex,
    LibraryLoader,
    WorkloadTemplate,
    chosen_path,
    evaluate,
    fallback_variables,
    find_components,
    guard_holds,
    helper_bodies,
    helper_reads,
    inline_helpers,
    library_loaders,
    naming_rank,
    template_variables,
    variable_path,
    variable_reads,
    workload_templates,
)
from scanner.sources.helm.services import (
    ServiceTemplate,
    convention_services,
    service_templates,
    template_services,
)
from scanner.sources.helm.workload import env_entries, is_ingress_nginx_controller
from scanner.sources.helm.yamlmarks import YamlInputError, load_yaml_documents, read_yaml_text, value_at

VALUES_OVERRIDE = re.compile(r"^values[-_.](?P<env>.+)\.ya?ml$")
STANDALONE_VALUES = re.compile(r"(^|.*[-_.])values([-_.].*)?\.ya?ml$")
_TEMPLATE_KIND = re.compile(r"^\s*kind:\s*['\"]?([A-Za-z]+)", re.M)
_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
# `tpl (.Files.Get ...)` / `tpl ($.ctx.Files.Get (printf "files/%s" .file))`: chart files rendered
_TPL_FILES = re.compile(r"\btpl\s*\(?\s*\(?\s*\$?[\w.]*\.Files\.Get\b")
_PAYLOAD_KEY = re.compile(r"^\s*(data|stringData|binaryData):", re.M)
# `secretKey: {{ default "" .Values.redash.secretKey | b64enc | quote }}`: a value written, encoded,
# as the value of one entry of a Secret's data
_ENCODED_ENTRY = re.compile(
    r"(?m)^[ \t]+[\w.-]+:[ \t]*\{\{-?\s*(?:default\s+(?:\"\"|'')\s+)?\$?\.Values"
    r"(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*\|\s*b64enc\b"
)
_READ = re.compile(
    r"\bindex\s+\$?\.Values(?P<ipath>(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)(?P<ikeys>(?:\s+\"[^\"]+\")+)"
    r"|\$?\.Values(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)"
    r"|(?:template|include)\s+\"(?P<helper>[^\"]+)\""
    r"|include\s+\(\s*print\s+\$?\.Template\.BasePath\s+\"(?P<file>/[^\"]+)\"\s*\)"
    r"|(?P<var>\$[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)"
)
# `$data := include "netdata.parent.configs.configmap" .`: a variable holding what a helper renders
_INCLUDED = re.compile(r"^(?:include|template)\s+\"(?P<helper>[^\"]+)\"")
_ASSIGNED = re.compile(r"\s*:?=")
_ASSIGNING = re.compile(r"\{\{-?\s*\$[A-Za-z_][A-Za-z0-9_]*\s*:?=[^}]*$")
_HPA_MIN = re.compile(
    r"^\s+minReplicas:\s*\{\{-?\s*\$?\.Values\.(?P<path>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*-?\}\}", re.M
)
_BUDGET_KIND = re.compile(r"^kind:\s*['\"]?PodDisruptionBudget['\"]?\s*$", re.M)
_BUDGET_BOUND = re.compile(
    r"^\s+(?P<key>minAvailable|maxUnavailable):[ \t]*(?:\{\{-?\s*(?:toYaml\s+)?\$?\.Values\."
    r"(?P<path>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*-?\}\}|['\"]?(?P<literal>\d+%?)['\"]?)[ \t]*$",
    re.M,
)
_SECRET_NAME_USE = re.compile(
    r"(?:\bsecretName:|\b(?:secretKeyRef|secretRef):\s*\n\s*name:)[ \t]*['\"]?\{\{-?\s*(?:tpl\s+\(?\s*)?"
    r"\$?\.Values\.(?P<path>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)"
)
# `- name: DB_PASSWORD` then `value: "…"` on the next line: a container variable a template writes
_ENV_LITERAL = re.compile(
    r"^(?P<indent>[ \t]*)- name:[ \t]*['\"]?(?P<name>[A-Za-z_][\w.-]*)['\"]?[ \t]*\n"
    r"(?P=indent)[ \t]+value:[ \t]*(?P<value>[^\n{]*?)[ \t]*$",
    re.M,
)
_SECRET_KIND = re.compile(r"^kind:\s*['\"]?(?P<kind>Secret|ConfigMap)['\"]?\s*$", re.M)
_DATA_BLOCK = re.compile(r"^(?P<indent>\s*)(?:data|stringData):\s*$")
_DATA_ENTRY = re.compile(r"^(?P<indent>\s+)(?P<key>[\w.-]+):\s*(?P<value>\S.*?)\s*$")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")

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
    workloads: list[WorkloadTemplate] = field(default_factory=list)  # pod controllers rendered
    secrets: list[SecretTemplate] = field(default_factory=list)  # Secrets and ConfigMaps rendered
    services: list[ServiceTemplate] = field(default_factory=list)  # Services rendered (services.py)
    budgets: list[BudgetTemplate] = field(default_factory=list)  # PodDisruptionBudgets rendered
    # values paths HorizontalPodAutoscaler templates write as `minReplicas:` (podinfo:
    # `minReplicas: {{ .Values.replicaCount }}`)
    hpa_min_paths: list[str] = field(default_factory=list)
    # templates whose objects a library chart's helper renders (`include "bjw-s.common.loader.all"`)
    library_loaders: list[LibraryLoader] = field(default_factory=list)
    # a values key whose content a template makes the defaults under `.Values` (istio's
    # `_internal_defaults_do_not_set`, merged by `set $ "Values" (mustMergeOverwrite $defaults $.Values)`)
    defaults_key: str | None = None
    # values paths templates write as the name of a Secret (`secretKeyRef: {name: {{ .Values.x }}}`,
    # `secretName: {{ .Values.x }}`): references, whatever their key is called (kubecost's
    # `pricingCsv.location.csvAccessCredentials: pricing-schema-access-secret`)
    secret_name_paths: list[str] = field(default_factory=list)
    # container env entries a workload template writes as literals (`- name: DB_PASSWORD` /
    # `value: "…"`, no `{{ }}`): (template, variable, value, line, guards open there)
    env_literals: list[tuple[str, str, str, int, list[str]]] = field(default_factory=list)


@dataclass
class BudgetTemplate:
    """A ``kind: PodDisruptionBudget`` in a template: when it renders and where its bounds come
    from (a values path, or a number written in the template)."""

    template: str
    line: int
    guards: list[str]
    variables: dict[str, str]
    bounds: dict[str, tuple[str, Any]]  # minAvailable / maxUnavailable -> ("path", p) | ("literal", v)


@dataclass
class SecretTemplate:
    """A ``kind: Secret`` or ``kind: ConfigMap`` in a template: when it renders, what its data
    reads, what it writes itself."""

    template: str
    kind: str  # Secret or ConfigMap
    guards: list[str]
    # values paths its data reads, each with the `{{ if }}` guards open where it is read
    # (`{{- if not .Values.existingSecretAdminPassword }}`), helpers' reads included
    reads: list[tuple[str, list[str]]]
    literal_lines: list[int]  # lines of `data` / `stringData` entries written as literals
    variables: dict[str, str] = field(default_factory=dict)
    # values paths written, encoded, as the value of a data entry (not as a key, not in a file)
    entry_values: frozenset[str] = frozenset()


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
    """Kinds rendered, ``.Values`` paths read, workloads and Secrets of each file under
    ``templates/``."""
    found = ChartTemplates()
    tdir = chart_dir / "templates"
    if not tdir.is_dir():
        return found
    texts: dict[str, str] = {}
    for path in sorted(tdir.rglob("*")):
        if not path.is_file() or path.suffix not in (".yaml", ".yml", ".tpl", ".txt", ".json"):
            continue
        name = path.relative_to(chart_dir).as_posix()
        try:  # bounded like every input: a 3 GiB template must not be read whole
            texts[name] = read_regular_file(path, LIMITS.max_file_bytes).decode("utf-8", errors="replace")
        except UnreadableInput as exc:
            found.unreadable[name] = str(exc)
            continue
    if any(_TPL_FILES.search(text) for text in texts.values()):
        # `tpl (.Files.Get "files/...")` renders files of the chart as templates (nats: its
        # StatefulSet and nats-box Deployment are written under files/): read them as templates.
        for path in sorted((chart_dir / "files").rglob("*")) if (chart_dir / "files").is_dir() else ():
            if not path.is_file() or path.suffix not in (".yaml", ".yml"):
                continue
            name = path.relative_to(chart_dir).as_posix()
            try:
                texts[name] = read_regular_file(path, LIMITS.max_file_bytes).decode("utf-8", errors="replace")
            except UnreadableInput as exc:
                found.unreadable[name] = str(exc)
    helpers = helper_bodies(texts)
    for name, text in texts.items():
        found.kinds[name] = set(_TEMPLATE_KIND.findall(text))
        found.uses[name] = list(dict.fromkeys(m.lstrip(".") for m in _VALUES_REF.findall(text)))
        payload = _PAYLOAD_KEY.search(text)
        tail = text[payload.start() :] if payload else ""
        found.payload_uses[name] = list(dict.fromkeys(m.lstrip(".") for m in _VALUES_REF.findall(tail)))
        if "Deployment" in text or "StatefulSet" in text or "DaemonSet" in text or "kind: {{" in text:
            found.workloads += workload_templates(name, text, helpers)
        found.library_loaders += library_loaders(name, text, helpers)
        if found.defaults_key is None and '"Values"' in text:
            found.defaults_key = _defaults_key(text)
        if "value:" in text and "env" in text:
            found.env_literals += _env_literals(name, text, helpers, texts)
        if "secretName" in text or "secretKeyRef" in text or "secretRef" in text:
            found.secret_name_paths += [m.group("path") for m in _SECRET_NAME_USE.finditer(text)]
        if "HorizontalPodAutoscaler" in text:
            found.hpa_min_paths += [m.group("path") for m in _HPA_MIN.finditer(text)]
        if "Service" in found.kinds[name]:
            found.services += service_templates(name, text)
        for m in _BUDGET_KIND.finditer(text) if "PodDisruptionBudget" in text else ():
            end = text.find("\n---", m.end())
            doc = text[m.start() : end if end >= 0 else len(text)]
            bounds: dict[str, tuple[str, Any]] = {}
            for b in _BUDGET_BOUND.finditer(doc):
                if b.group("path"):
                    bounds[b.group("key")] = ("path", b.group("path"))
                else:
                    literal = b.group("literal")
                    bounds[b.group("key")] = ("literal", int(literal) if literal.isdigit() else literal)
            budget_guards = GuardIndex(text).at(m.start())
            found.budgets.append(
                BudgetTemplate(
                    name,
                    text.count("\n", 0, m.start()) + 1,
                    [inline_helpers(g, helpers) for g in budget_guards],
                    template_variables(text[: m.start()], helpers),
                    bounds,
                )
            )
        guards = GuardIndex(text) if _SECRET_KIND.search(text) else None
        for m in _SECRET_KIND.finditer(text):
            assert guards is not None
            end = text.find("\n---", m.end())
            stop = end if end >= 0 else len(text)
            doc = text[m.start() : stop]
            first_line = text.count("\n", 0, m.start()) + 1
            payload = _PAYLOAD_KEY.search(doc)
            reads: list[tuple[str, list[str]]] = []
            variables = template_variables(text[:stop], helpers)
            # reads of `$password` when it was set from the values and only replaced if empty
            held = {**variables, **fallback_variables(text[: m.start()], guards)}
            if payload:
                start = m.start() + payload.start()
                for r in _READ.finditer(text, start, stop):
                    line_start = text.rfind("\n", 0, r.start()) + 1
                    if _ASSIGNING.search(text[line_start : r.start()]):
                        continue  # `$storage := .Values...` reads nothing yet: its uses do
                    if r.group("var") and _ASSIGNED.match(text, r.end()):
                        continue  # the variable being assigned, not a use of it
                    open_guards = [inline_helpers(g, helpers) for g in guards.at(r.start())]
                    if r.group("ikeys"):
                        # `index .Values.grafana "grafana.ini"`: the key, not the whole map (a key
                        # with a dot leads nowhere in a dotted path, and is then not read at all)
                        keys = re.findall(r'"([^"]+)"', r.group("ikeys"))
                        indexed = ".".join([r.group("ipath").lstrip("."), *keys]).lstrip(".")
                        reads.append((indexed, open_guards))
                    elif r.group("path"):
                        reads.append((r.group("path").lstrip("."), open_guards))
                    elif r.group("helper"):  # the values a helper reads, under the call's guards
                        reads += [(p, open_guards + g) for p, g in helper_reads(r.group("helper"), helpers)]
                    elif r.group("file") and (included := f"templates{r.group('file')}") in texts:
                        # minio: `include (print $.Template.BasePath "/_helper_create_user.txt") .`
                        # renders a whole file of the chart here, read like a helper's body
                        body = {included: texts[included], **helpers}
                        reads += [(p, open_guards + g) for p, g in helper_reads(included, body)]
                    elif (path := variable_path(r.group("var"), held)) is not None:
                        reads.append((path, open_guards))
                    elif (inc := _INCLUDED.match(variables.get(r.group("var"), ""))) is not None:
                        # netdata: `$configmapParent := include "…configs.configmap" .` before the
                        # ConfigMap, `{{ $configmapParent | indent 2 }}` as its data
                        reads += [(p, open_guards + g) for p, g in helper_reads(inc.group("helper"), helpers)]
                for pv in _PROVIDED_VALUES.finditer(text, start, stop):
                    # bitnami's `common.secrets.passwords.manage` renders the first of its
                    # "providedValues" paths that is set (mongodb's auth.rootPassword), else a
                    # generated or looked-up one: those paths are read
                    open_guards = [inline_helpers(g, helpers) for g in guards.at(pv.start())]
                    reads += [(path, open_guards) for path in re.findall(r'"([^"]+)"', pv.group("paths"))]
            found.secrets.append(
                SecretTemplate(
                    name,
                    m.group("kind"),
                    [inline_helpers(g, helpers) for g in guards.at(m.start())],
                    reads,
                    [first_line + n for n in _literal_data_lines(doc)],
                    variables,
                    frozenset(e.group("path").lstrip(".") for e in _ENCODED_ENTRY.finditer(doc)),
                )
            )
    return found


_PROVIDED_VALUES = re.compile(r'"providedValues"\s+\(\s*list\s+(?P<paths>(?:"[^"]+"\s*)+)\)')

# `{{- $b := set $ "Values" (mustMergeOverwrite $defaults $.Values) }}` after
# `{{- $defaults := $.Values._internal_defaults_do_not_set }}` (every istio chart's zzz_profile.yaml)
_VALUES_REPLACED = re.compile(
    r'set\s+\$\s+"Values"\s+\(\s*(?:mustMergeOverwrite|mergeOverwrite|merge)\s+(?P<var>\$\w+)\s+\$?\.Values\s*\)'
)


def _defaults_key(text: str) -> str | None:
    """The values key a template makes the defaults of ``.Values`` (see ``lift_defaults``)."""
    m = _VALUES_REPLACED.search(text)
    if m is None:
        return None
    var = re.escape(m.group("var"))
    assign = re.search(var + r"\s*:=\s*\$?\.Values\.(?P<key>[A-Za-z_][\w-]*)\s*-?\}\}", text)
    return assign.group("key") if assign else None


def lift_defaults(data: dict[str, Any], located: Located, key: str | None) -> tuple[dict[str, Any], Located]:
    """The values a chart's templates see when a template replaces ``.Values`` with the map under
    ``key`` overlaid by the rest (istio keeps its defaults under ``_internal_defaults_do_not_set``
    so that a profile can sit between them and the user's values): the defaults' lines stay
    theirs, a value the user sets wins with its own line."""
    defaults = data.get(key) if key else None
    if not isinstance(defaults, dict):
        return data, located
    rest = {k: v for k, v in data.items() if k != key}
    cut = len(key) + 1 if key else 0
    lifted = {p[cut:]: where for p, where in located.items() if key and p.startswith(key + ".")}
    lifted.update({p: w for p, w in located.items() if key and p != key and not p.startswith(key + ".")})
    return _overlay(defaults, rest), lifted


def _overlay(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _overlay(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


EnvLiteral = tuple[str, str, str, int, list[str]]  # template, variable, value, line, guards


_DEFINE_BEFORE = re.compile(r"\{\{-?\s*define\s+\"([^\"]+)\"")


def _called(helper: str, texts: dict[str, str]) -> bool:
    call = re.compile(rf"(?:include|template)\s+\"{re.escape(helper)}\"")
    return any(call.search(t) for t in texts.values())


_ENV_BLOCK = re.compile(r"^\s*(?:-\s+)?[\w.-]*(?:env|Env|envVars|EnvVars):\s*$")


def _under_env(text: str, m: re.Match[str]) -> bool:
    """The list item ``m`` sits in a container's ``env:`` list (the first line above it with a
    smaller indent, template actions and comments aside, is ``env:``), not in another list."""
    indent = len(m.group("indent"))
    above = text[max(0, m.start() - 8000) : m.start()].split("\n")
    for line in reversed(above[-200:]):  # bounded: env lists are short
        stripped = line.strip()
        if not stripped or stripped.startswith(("{{", "#")):
            continue
        if len(line) - len(line.lstrip()) < indent:
            return bool(_ENV_BLOCK.match(line))
    return False


def _scalar(raw: str) -> str:
    """A YAML scalar as written on one line: quotes removed, a trailing ``# comment`` dropped."""
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        end = raw.find(raw[0], 1)
        return raw[1:end] if end > 0 else raw[1:]
    return raw.split(" #", 1)[0].strip()


def _env_literals(name: str, text: str, helpers: dict[str, str], texts: dict[str, str]) -> list[EnvLiteral]:
    """Container variables a workload template writes with a literal value that is a secret by
    its name and value (``DB_PASSWORD: Sup3r-Secret-77``), with the guards open there."""
    out: list[EnvLiteral] = []
    guards: GuardIndex | None = None
    for m in _ENV_LITERAL.finditer(text):
        value = _scalar(m.group("value"))
        if not value or not is_secret_entry(m.group("name"), value) or not _under_env(text, m):
            continue
        if name.endswith(".tpl") or name.rsplit("/", 1)[-1].startswith("_"):
            define = _DEFINE_BEFORE.findall(text, 0, m.start())
            if not define or not _called(define[-1], texts):
                continue  # a helper's env that no template includes is never rendered
        guards = guards or GuardIndex(text)
        line = text.count("\n", 0, m.start("value")) + 1
        open_guards = [inline_helpers(g, helpers) for g in guards.at(m.start("value"))]
        out.append((name, m.group("name"), value, line, open_guards))
    return out


def _all_maps(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) for i in items)


_TEMPLATED_SCALAR_ENTRY = re.compile(r"^[ \t]+\{\{[^{}]*\}\}[\w.-]*:[ \t]*[|>]")


def _literal_data_lines(doc: str) -> list[int]:
    """Offsets (0-based, from the ``kind`` line) of ``data`` / ``stringData`` entries of a Secret
    template whose value is written in the template itself rather than rendered from values."""
    out: list[int] = []
    block_indent: int | None = None
    lines = doc.split("\n")
    scalar_indent: int | None = None  # inside a block scalar (`tls.key: |`) of a data entry
    for n, line in enumerate(lines):
        if scalar_indent is not None:
            if not line.strip() or len(line) - len(line.lstrip()) > scalar_indent:
                continue
            scalar_indent = None
        if block_indent is not None and _TEMPLATED_SCALAR_ENTRY.match(line):
            # `{{ $clusterName }}-kubeconfig: |-` (karmada's scheduler estimator): an entry whose
            # key is rendered holds a block scalar; its lines are the file, not entries
            scalar_indent = len(line) - len(line.lstrip())
            continue
        if not line.strip() or line.lstrip().startswith(("{{", "#")):
            continue
        m = _DATA_BLOCK.match(line)
        if m:
            block_indent = len(m.group("indent"))
            continue
        indent = len(line) - len(line.lstrip())
        if block_indent is None:
            continue
        if indent <= block_indent:
            block_indent = None
            continue
        e = _DATA_ENTRY.match(line)
        if e is None or "{{" in line:
            continue
        if names_an_identity(e.group("key"), e.group("value").strip("'\"")):
            continue  # `user: "YourSWUser"` beside a generated password: who, not the secret
        if e.group("value").startswith(("|", ">")):
            # a block scalar: literal when none of its lines is rendered from a template action
            body = []
            for b in lines[n + 1 :]:
                if b.strip() and len(b) - len(b.lstrip()) <= indent:
                    break
                body.append(b)
            if any(b.strip() for b in body) and not any("{{" in b for b in body):
                out.append(n)
            scalar_indent = indent
        elif e.group("value") not in ('""', "''"):
            out.append(n)
    return out


ENV_VALUE_KEYS = ("env", "extraEnv", "extraEnvs", "envVars", "extraEnvVars")


def env_maps_read_as_settings(values: dict[str, Any], templates: ChartTemplates | None) -> list[str]:
    """Values paths of ``env``-named MAPS that the templates read field by field
    (``.Values.env.email`` into one variable, ``.Values.env.password`` into a Secret: pgadmin4)
    and never whole (``toYaml`` / ``range`` over ``.Values.env``): settings the chart turns into
    what it chooses, not container environment variables. Without templates a map stays env."""
    if not templates:
        return []
    uses = {p for paths in templates.uses.values() for p in paths}
    out: list[str] = []

    def walk(value: Any, at: str, depth: int) -> None:
        if not isinstance(value, dict) or depth > 3:
            return
        for key, child in value.items():
            path = f"{at}{key}"
            if str(key) in ENV_VALUE_KEYS and isinstance(child, dict) and child:
                fields = any(u.startswith(path + ".") for u in uses)
                if fields and path not in uses:
                    out.append(path)
            elif isinstance(child, dict):
                walk(child, path + ".", depth + 1)

    walk(values, "", 0)
    return out


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
    chart_name: str | None = None,
) -> list[Resource]:
    """The ``helm.values`` resource of one chart environment, followed by one ``helm.workload``
    per workload the chart renders in it (see ``chart_workloads``). ``chart_name``: the chart
    itself when ``chart`` is a subchart's display name (``platform/ingress``)."""
    loc = _Locator(located)
    attrs: dict[str, Any] = {"chart": chart, "environment": environment, "values": values}
    if isinstance(values.get("ingress"), dict):
        attrs["ingress"] = _values_ingress(values["ingress"], loc)
    secrets = _templated_secrets(values, templates, loc, chart_rel)
    configmaps: list[dict[str, Any]] = []
    for st in templates.secrets if templates else []:
        if st.kind != "ConfigMap" or any(guard_holds(g, values, st.variables) is False for g in st.guards):
            continue
        seen: set[str] = set()
        for path, guards in st.reads:
            if path in seen or any(guard_holds(g, values, st.variables) is False for g in guards):
                continue  # read only in a branch these values do not take
            seen.add(path)
            value = value_at(values, path)
            if isinstance(value, (dict, str)) or (isinstance(value, list) and _all_maps(value)):
                # a list of maps: `{{ range .Values.users }}…{{ .secretKey }}` writes their fields
                n = len(configmaps)
                configmaps.append({"template": st.template, "value_path": path, "value": value})
                loc.alias(f"templated_configmaps.{n}.value", path)
                loc.alias(f"templated_configmaps.{n}", path)
    attrs["templated_secrets"] = secrets
    attrs["templated_configmaps"] = configmaps
    # short values a Secret template writes as an entry's value, whether or not it renders in
    # this environment: OCI-SEC-101 judges what the values hold, rendered or not
    attrs["secret_data_values"] = sorted(
        {
            path
            for st in (templates.secrets if templates else [])
            if st.kind == "Secret"
            for path in st.entry_values
            if is_secret_data_value(path.rsplit(".", 1)[-1], value_at(values, path))
        }
    )
    # `env:` maps the templates read field by field are settings: OCI-SEC-101 judges them
    attrs["env_settings"] = env_maps_read_as_settings(values, templates)
    attrs["secret_names"] = sorted(set(templates.secret_name_paths)) if templates else []
    prefix = "" if chart_rel in ("", ".") else f"{chart_rel}/"
    env_literals: list[dict[str, Any]] = []
    for template, variable, _, line, guards in templates.env_literals if templates else ():
        if any(guard_holds(g, values, {}) is False for g in guards):
            continue  # written in a branch these values do not take
        where = Location(f"{prefix}{template}", line, line)
        loc.locations[f"template_env_literals.{len(env_literals)}"] = where
        env_literals.append({"template": template, "name": variable})
    attrs["template_env_literals"] = env_literals
    context: dict[str, Any] = {
        "scope": f"helm:{chart_rel}:{environment}",
        "chart": chart_rel,
        "environment": environment,
        "sensitive_values": _sensitive(values, secrets, frozenset(attrs["secret_names"]))
        + [value for _, _, value, _, _ in (templates.env_literals if templates else ())]
        + [str(value_at(values, p)) for p in attrs["secret_data_values"]],
    }
    if templates:
        context["template_values"] = sorted({p for uses in templates.uses.values() for p in uses})
    prov = Provenance("helm", anchor, loc.locations)
    out = [Resource("helm.values", f"{chart}[{environment}]", attrs, prov, context)]
    out += chart_workloads(
        chart, chart_rel, environment, values, located, templates, anchor, chart_name=chart_name
    )
    out += chart_services(chart, chart_rel, environment, values, located, templates, anchor)
    return out


def chart_services(
    chart: str,
    chart_rel: str,
    environment: str,
    values: dict[str, Any],
    located: Located,
    templates: ChartTemplates | None,
    anchor: Location,
) -> list[Resource]:
    """The ``k8s.Service`` objects the chart renders in this environment, read from its
    templates when they are here and from the values' conventions otherwise (``services.py``),
    so the load-balancer rules judge values as they judge manifests."""
    scope = {
        "scope": f"helm:{chart_rel}:{environment}",
        "chart": chart_rel,
        "environment": environment,
        "namespace": "default",
    }
    if templates is not None:
        return template_services(chart, environment, values, located, templates.services, scope, anchor)
    return convention_services(chart, environment, values, located, scope, anchor)


def _templated_secrets(
    values: dict[str, Any], templates: ChartTemplates | None, loc: _Locator, chart_rel: str
) -> list[dict[str, Any]]:
    """The secrets a chart's Secret templates write in this environment: each value they read
    that is a secret (by key and value; a map read whole, ``toYaml .Values.secrets``, by its
    entries), at that value's line, and each literal a template writes into a Secret's data."""
    out: list[dict[str, Any]] = []
    if templates is None:
        return out
    prefix = "" if chart_rel in ("", ".") else f"{chart_rel}/"
    for st in templates.secrets:
        if st.kind != "Secret":
            continue
        if any(guard_holds(g, values, st.variables) is False for g in st.guards):
            continue  # not rendered in this environment
        seen: set[str] = set()
        for path, guards in st.reads:
            if path in seen or any(guard_holds(g, values, st.variables) is False for g in guards):
                continue  # read only in a branch these values do not take
            seen.add(path)
            for leaf_path, leaf, siblings in _leaves(values, path):
                key = leaf_path.rsplit(".", 1)[-1]
                # the same decision as OCI-SEC-101's walk, the enclosing key included
                # (`secrets.localUsers: "test:test"`, a child of a `secrets:` block), for a
                # value the Secret writes as an entry's value; a value read only to be tested
                # (`$saltProvided := .Values.salt.value`, then `if not $saltProvided`) is
                # judged by its own key, as before
                owner = _owner(leaf_path) if leaf_path in st.entry_values else ""
                if _is_secret(key, leaf, siblings, owner):
                    loc.alias(f"templated_secrets.{len(out)}", leaf_path)
                    out.append({"template": st.template, "value_path": leaf_path, "secret": True})
                elif leaf_path in st.entry_values and is_secret_data_value(key, leaf):
                    # a short value the Secret holds as an entry's value: the secret itself
                    loc.alias(f"templated_secrets.{len(out)}", leaf_path)
                    out.append({"template": st.template, "value_path": leaf_path, "secret": True})
                elif leaf_path == path and isinstance(leaf, str) and "\n" in leaf:
                    # a config file written in the values and read by name into the Secret
                    # (`config: |` with `password: …`): each secret line, at its own line. Not
                    # inside a map read whole: a helper ranging over it may pick some entries
                    # (netdata renders only `storedType: secret` configs into its Secret)
                    for name, offset, _ in config_text_secrets(leaf):
                        where = loc.located.get(leaf_path)
                        if where is not None and where.start_line + 1 + offset <= where.end_line:
                            line = where.start_line + 1 + offset
                            loc.locations[f"templated_secrets.{len(out)}"] = Location(where.file, line, line)
                        else:
                            loc.alias(f"templated_secrets.{len(out)}", leaf_path)
                        at = f"{leaf_path} ({name})"
                        out.append({"template": st.template, "value_path": at, "secret": True})
        for line in st.literal_lines:
            loc.locations[f"templated_secrets.{len(out)}"] = Location(f"{prefix}{st.template}", line, line)
            out.append({"template": st.template, "value_path": f"(literal at line {line})", "secret": True})
    return out


def _leaves(values: dict[str, Any], path: str) -> list[tuple[str, Any, tuple[str, ...]]]:
    """Scalar values at ``path`` or below it, with their paths and the keys beside them."""
    parent_path, _, last = path.rpartition(".")
    parent = value_at(values, parent_path) if parent_path else values
    if not isinstance(parent, dict) or last not in parent:
        return []
    out: list[tuple[str, Any, tuple[str, ...]]] = []
    stack: list[tuple[str, Any, tuple[str, ...]]] = [(path, parent[last], tuple(map(str, parent)))]
    while stack and len(out) < 1000:
        at, value, siblings = stack.pop()
        if isinstance(value, dict):
            keys = tuple(map(str, value))
            stack += [(f"{at}.{k}", v, keys) for k, v in value.items()]
        elif not isinstance(value, list):
            out.append((at, value, siblings))
    return out


def chart_workloads(
    chart: str,
    chart_rel: str,
    environment: str,
    values: dict[str, Any],
    located: Located,
    templates: ChartTemplates | None,
    anchor: Location,
    defaults_known: bool = True,
    chart_name: str | None = None,
) -> list[Resource]:
    """One ``helm.workload`` per workload the chart renders in this environment, named
    ``chart/component[env]`` (``chart[env]`` for a top-level workload), judged with its own
    values (``controller.replicaCount``, ``webhook.podDisruptionBudget``...). Without templates
    (a standalone values file, a dependency that is not vendored) the values' conventions say
    where the workloads are: a top-level ``replicaCount`` / ``image``, or a component key
    holding ``replicaCount`` / ``replicas``."""
    prefix_file = "" if chart_rel in ("", ".") else f"{chart_rel}/"
    out: list[Resource] = []
    settings = set(env_maps_read_as_settings(values, templates))
    for comp, wt, kind in _rendered_components(chart_name or chart, values, templates, defaults_known):
        loc = _Locator(located)
        v = value_at(values, comp.prefix.rstrip(".")) if comp.prefix else values
        v = v if isinstance(v, dict) and not comp.flat else {}
        where = located.get(comp.prefix.rstrip(".")) if comp.prefix else None
        workload = _values_workload(
            v, comp.prefix, kind, loc, where or anchor, root="workload", env_settings=settings
        )
        if kind != "DaemonSet":
            _component_replicas(workload, comp, wt, values, loc, prefix_file)
        if comp.library:
            _library_workload(workload, values, comp, loc)
        _autoscaler_instead_of_replicas(workload, comp, wt, values, templates, loc)
        # the strategy block the template writes in the branch this environment renders
        branches = wt.literal_strategies if wt is not None else []
        written = next((a for a in branches if a.renders(values, wt.variables if wt else {})), None)
        if wt is not None and written is not None and "strategy" not in workload:
            workload["strategy"] = {"type": written.type or "RollingUpdate"}
            where = Location(f"{prefix_file}{wt.template}", written.line, written.line)
            loc.locations["workload.strategy"] = loc.locations["workload.strategy.type"] = where
            if written.unavailable is not None:
                workload["strategy"]["maxUnavailable"] = written.unavailable
                n = written.unavailable_line or written.line
                here = Location(f"{prefix_file}{wt.template}", n, n)
                loc.locations["workload.strategy.maxUnavailable"] = here
        if wt is not None and wt.strategy_path and "strategy" not in workload:
            # the template names where its strategy comes from (`hub.deploymentStrategy`)
            strategy = value_at(values, wt.strategy_path)
            if isinstance(strategy, dict):
                workload["strategy"] = {"type": strategy.get("type")}
                loc.alias("workload.strategy", wt.strategy_path)
                loc.alias("workload.strategy.type", wt.strategy_path + ".type")
                unavailable = value_at(strategy, "rollingUpdate.maxUnavailable")
                if unavailable is not None:
                    workload["strategy"]["maxUnavailable"] = unavailable
                    loc.alias(
                        "workload.strategy.maxUnavailable", wt.strategy_path + ".rollingUpdate.maxUnavailable"
                    )
        if templates is not None:
            # The chart is here: its own values.yaml holds the defaults, merged in already, so a
            # digest the values do not give is no digest (whether or not the templates read one).
            for container in workload["containers"]:
                parts = container.get("image_parts")
                if isinstance(parts, dict) and isinstance(parts.get("digest"), Unknown):
                    parts["digest"] = None
        if wt is not None and wt.strategy_fields and "strategy" not in workload:
            # the template writes each field from its own value (`type: {{ .Values.strategyType }}`)
            fields = {k: value_at(values, path) for k, path in wt.strategy_fields.items()}
            if fields.get("type") is not None or fields.get("maxUnavailable") is not None:
                workload["strategy"] = {"type": fields.get("type")}
                for key, path in wt.strategy_fields.items():
                    loc.alias(f"workload.strategy.{key}", path)
                loc.alias("workload.strategy", wt.strategy_fields.get("type", ""))
                if fields.get("maxUnavailable") is not None:
                    workload["strategy"]["maxUnavailable"] = fields["maxUnavailable"]
        block = next((v[k] for k in ("autoscaling", "hpa") if isinstance(v.get(k), dict)), None)
        if block is not None and "minReplicas" not in block and templates is not None:
            # the autoscaler's floor is whatever value its template writes there, when that value
            # belongs to this component (podinfo: `minReplicas: {{ .Values.replicaCount }}`)
            for path in templates.hpa_min_paths:
                low = value_at(values, path)
                if path.rpartition(".")[0] == comp.prefix.rstrip(".") and low is not None:
                    workload["autoscaling"]["minReplicas"] = low
                    loc.alias("workload.autoscaling.minReplicas", path)
                    break
        for key, path in wt.placement_paths.items() if wt is not None else ():
            # placement the template reads from another key than the component's replicas
            # (gatekeeper: top-level `replicas`, `controllerManager.topologySpreadConstraints`)
            if key not in workload and value_at(values, path) is not None:
                workload[key] = value_at(values, path)
                loc.alias(f"workload.{key}", path)
        for block in wt.literal_placements if wt is not None else ():
            # a placement the template writes itself where the values leave it empty
            # (coherence-operator: `{{ else }}` a zone spread): template defaults count
            have = workload.get(block.key)
            if _settings_map(block.key, have):
                # pulsar's `zookeeper.affinity: {anti_affinity: true, type: …}`: the chart's own
                # switches for the block the template writes, not a Kubernetes affinity
                have = None
            if isinstance(have, Unknown) or have:
                continue  # the values (or a subchart's unknown default) give it
            if not block.renders(values, wt.variables):
                continue
            spec, reads = block.render(values, wt.variables)
            if spec is not None:
                workload[block.key] = spec
                # Reported at the workload's replica count, never at the template line: the
                # convention the labels follow (a preset word, a template default or nothing ->
                # the replica count; only a topology key the values write is at its own line)
                here = loc.locations.get("workload")
                if here is not None:
                    loc.locations[f"workload.{block.key}"] = here
                else:
                    loc.locations.pop(f"workload.{block.key}", None)
                for inside, path in reads:
                    # a key the values give (elastic's `antiAffinityTopologyKey`) is at its line
                    loc.alias(f"workload.{block.key}.{inside}", path)
        placed = {"affinity", "topologySpreadConstraints"} & set(workload)
        if wt is not None and wt.placement_helper and not placed:
            # the placement comes from a helper of a library that is not here: unknown, not absent
            reason = f"rendered by the helper {wt.placement_helper}, which this chart does not define"
            workload["affinity"] = Unknown(reason)
            workload["topologySpreadConstraints"] = Unknown(reason)
        _budget_from_templates(workload, wt, templates, values, loc, prefix_file)
        if not defaults_known:
            # A dependency fetched from a repository: what its values leave unset is the
            # subchart's default, which is not here to read.
            reason = f"default of the {chart} subchart (not in the repository)"
            for key in ("podDisruptionBudget", "topologySpreadConstraints", "affinity", "strategy"):
                workload.setdefault(key, Unknown(reason))
        images = [str(c.get("image", "")) for c in workload["containers"]]
        is_nginx = (chart_name or chart) == "ingress-nginx"
        workload["ingress_controller"] = (is_nginx and comp.name == "controller") or (
            is_ingress_nginx_controller({}, images)
        )
        name = f"{chart}/{comp.name}" if comp.name else chart
        context = {
            "scope": f"helm:{chart_rel}:{environment}",
            "chart": chart_rel,
            "environment": environment,
            "component": comp.name,
            "sensitive_values": [
                str(e["value"])
                for c in workload["containers"]
                for e in c.get("env", [])
                if isinstance(e, dict) and _is_secret(str(e.get("name", "")), e.get("value"), ())
            ],
        }
        attrs = {"chart": chart, "environment": environment, "component": comp.name, "workload": workload}
        block = loc.locations.get("workload") or anchor
        out.append(
            Resource(
                "helm.workload",
                f"{name}[{environment}]",
                attrs,
                Provenance("helm", block, loc.locations),
                context,
            )
        )
    return out


def _rendered_components(
    chart: str, values: dict[str, Any], templates: ChartTemplates | None, defaults_known: bool = True
) -> list[tuple[Component, WorkloadTemplate | None, str]]:
    """(component, the template that renders it here, its kind) for every workload rendered with
    these values."""
    if templates is not None and templates.workloads:
        found = []
        for comp in find_components(templates.workloads, values):
            at = value_at(values, comp.prefix.rstrip(".")) if comp.prefix else values
            if isinstance(at, dict) and str(at.get("enabled", "")).lower() == "false":
                if not any(_replicas_switch(wt, comp) for wt in comp.templates):
                    continue
            for wt in comp.templates:
                kind = wt.kind or str(evaluate(wt.kind_expr or "", values, wt.variables))
                either = re.findall(r'"(\w+)"', wt.kind_expr or "")[:2]
                if kind not in WORKLOAD_KINDS and either and all(k in WORKLOAD_KINDS for k in either):
                    # `{{ if $stateful }}StatefulSet{{ else }}Deployment{{ end }}` with a condition
                    # ocisec cannot compute: a pod controller either way, judged as the `else` one
                    kind = either[-1]
                if kind not in WORKLOAD_KINDS:
                    continue
                if any(guard_holds(g, values, wt.variables) is False for g in wt.guards):
                    continue
                found.append((comp, wt, kind))
                break
        return found + library_components(values, templates)
    if templates is not None and templates.kinds:
        # templates that render no pod controller: nothing to judge, but what a library renders
        return library_components(values, templates)
    found = []
    # A fetched dependency's values say only what the parent sets: a workload only where they
    # set a replica count (`image` alone may belong to a DaemonSet such as node-exporter).
    top_keys = {"replicaCount", "image", "autoscaling"} if defaults_known else {"replicaCount", "replicas"}
    if top_keys & set(values):
        key = "replicas" if "replicas" in values and "replicaCount" not in values else "replicaCount"
        top = Component("", "", key)
        found.append((top, None, "Deployment"))
    for key, sub in values.items():
        if not isinstance(sub, dict) or key == "global":
            continue
        is_controller = key == "controller" and (
            chart == "ingress-nginx" or {"image", "replicaCount", "kind", "ingressClassResource"} & set(sub)
        )
        if is_controller or {"replicaCount", "replicas"} & set(sub):
            if str(sub.get("enabled", "")).lower() == "false":
                continue
            kind = "DaemonSet" if str(sub.get("kind", "")).lower() == "daemonset" else "Deployment"
            count = "replicas" if "replicas" in sub and "replicaCount" not in sub else "replicaCount"
            replicas = f"{key}.{count}"
            found.append((Component(key, f"{key}.", replicas), None, kind))
    return found


# bjw-s `common`'s controller types (its documented `controllers.<id>.type`), by the kind rendered
_LIBRARY_KINDS = {"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet"}


def _library_controllers(root: Any, helper: str, key: str | None) -> list[tuple[str, str, str]] | None:
    """(component name, values prefix of its pod, values path of its controller map) for each
    controller a library renders from ``root``, the values a template hands it; None when these
    values follow no library convention ocisec knows.

    The bjw-s ``common`` library documents its values: from 2.x one controller per entry of
    ``controllers`` (immich, app-template); in 1.x one controller from ``controller`` (with the
    pod's ``image``, ``env`` and placement at the top), rendered even when that map is absent."""
    if not isinstance(root, dict):
        return None
    at = f"{key}." if key else ""
    if isinstance(root.get("controllers"), dict):
        out = []
        for ident, ctrl in root["controllers"].items():
            if isinstance(ctrl, dict):
                name = (key if ident == "main" else f"{key}/{ident}") if key else str(ident)
                path = f"{at}controllers.{ident}"
                out.append((name, f"{path}.", path))
        return out
    if isinstance(root.get("controller"), dict) or helper.startswith("bjw-s.common."):
        return [(key or "", at, f"{at}controller")]
    return None


def library_components(
    values: dict[str, Any], templates: ChartTemplates
) -> list[tuple[Component, WorkloadTemplate | None, str]]:
    """Workloads a library chart renders from the values a template hands it, read by the
    library's documented values (``_library_controllers``): each controller renders unless
    ``enabled: false``, as a Deployment unless its ``type`` says otherwise, with ``replicas`` 1
    unless set. Values no known convention reads get a note instead (``library_notes``)."""
    out: list[tuple[Component, WorkloadTemplate | None, str]] = []
    seen: set[str | None] = set()
    for loader in templates.library_loaders:
        key = loader.values_key
        if key in seen:
            continue
        seen.add(key)
        root = values.get(key) if key else values
        controllers = _library_controllers(root, loader.helper, key)
        if not controllers or not isinstance(root, dict):
            continue
        off = str(root.get("enabled", "")).lower() == "false"
        if off or any(guard_holds(g, values) is False for g in loader.guards):
            continue  # `{{ if (index .Values "machine-learning").enabled }}` around the include
        for name, prefix, path in controllers:
            ctrl = value_at(values, path)
            ctrl = ctrl if isinstance(ctrl, dict) else {}
            if str(ctrl.get("enabled", True)).lower() == "false":
                continue
            kind = _LIBRARY_KINDS.get(str(ctrl.get("type", "deployment")).lower())
            if kind is None:
                continue  # a CronJob or Job: no replicas to judge
            comp = Component(name, prefix, f"{path}.replicas", library=loader.helper, library_controller=path)
            out.append((comp, None, kind))
    return out


def library_notes(
    templates: ChartTemplates,
    values: dict[str, Any],
    dependencies: list[str],
    vendored: frozenset[str] = frozenset(),
) -> list[tuple[LibraryLoader, str]]:
    """One note per library helper whose workloads ocisec could not judge (the values it is given
    follow no convention ocisec knows), naming the dependency it comes from: the one whose name
    is a word of the helper's (``platform-lib.render`` from ``platform-lib``), else every
    dependency fetched from a repository (not in ``vendored``). ocisec renders no library chart,
    fetched or vendored."""
    out: list[tuple[LibraryLoader, str]] = []
    said: set[str] = set()
    for loader in templates.library_loaders:
        root = values.get(loader.values_key) if loader.values_key else values
        if loader.helper in said or _library_controllers(root, loader.helper, loader.values_key) is not None:
            continue
        said.add(loader.helper)
        words = set(loader.helper.split("."))
        named = [d for d in dependencies if d in words] or [d for d in dependencies if d not in vendored]
        source = f" (dependency {', '.join(named)})" if named else ""
        out.append(
            (
                loader,
                f"objects rendered by the library helper {loader.helper!r}{source} were not judged: "
                "ocisec does not render library charts; scan the rendered chart "
                "(helm template ... | ocisec scan -)",
            )
        )
    return out


def _library_workload(
    workload: dict[str, Any], values: dict[str, Any], comp: Component, loc: _Locator
) -> None:
    """What a bjw-s controller's values set beyond a component's: ``strategy: Recreate`` (a word,
    not a map), ``rollingUpdate.unavailable``, and the pod's placement under ``pod`` or the
    library-wide ``defaultPodOptions``. What they leave unset is the library's default: unknown."""
    path = comp.library_controller or ""
    ctrl = value_at(values, path)
    ctrl = ctrl if isinstance(ctrl, dict) else {}
    if isinstance(ctrl.get("strategy"), str):
        workload["strategy"] = {"type": ctrl["strategy"]}
        loc.alias("workload.strategy", f"{path}.strategy")
        loc.alias("workload.strategy.type", f"{path}.strategy")
        unavailable = value_at(ctrl, "rollingUpdate.unavailable")
        if unavailable is not None:
            workload["strategy"]["maxUnavailable"] = unavailable
            loc.alias("workload.strategy.maxUnavailable", f"{path}.rollingUpdate.unavailable")
    base = path.rpartition(".controllers.")[0] if ".controllers." in path else ""
    for key in ("topologySpreadConstraints", "affinity"):
        for where in (f"{path}.pod.{key}", f"{base}.defaultPodOptions.{key}".lstrip(".")):
            if key not in workload and value_at(values, where) is not None:
                workload[key] = value_at(values, where)
                loc.alias(f"workload.{key}", where)
    if "replicas" not in ctrl:
        # no replica count: the library's one pod, pointed at the component the address names
        # (`immich/server` at `server:`), else at the controller map
        for anchor in (comp.name, path):
            if anchor and anchor in loc.located:
                loc.locations["workload"] = loc.locations["workload.replicas"] = loc.located[anchor]
                break
    reason = f"default of the library behind {comp.library} (not in the repository)"
    for key in ("podDisruptionBudget", "topologySpreadConstraints", "affinity", "strategy"):
        workload.setdefault(key, Unknown(reason))


def _autoscaler_instead_of_replicas(
    workload: dict[str, Any],
    comp: Component,
    wt: WorkloadTemplate | None,
    values: dict[str, Any],
    templates: ChartTemplates | None,
    loc: _Locator,
) -> None:
    """A template that writes ``replicas:`` only without an autoscaler (istiod:
    ``{{ if not .Values.autoscaleEnabled }}replicas: …``) leaves the count to the HPA the chart
    renders: its floor is the value the HPA template writes as ``minReplicas`` (``autoscaleMin``)
    when that value belongs to the component."""
    if wt is None or templates is None or not templates.hpa_min_paths or not wt.replicas_guards:
        return
    auto = workload.get("autoscaling")
    if isinstance(auto, dict) and _truthy(auto.get("enabled")):
        return
    if not any(guard_holds(g, values, wt.variables) is False for g in wt.replicas_guards):
        return  # the template writes its replicas here: no autoscaler owns them
    for path in templates.hpa_min_paths:
        low = value_at(values, path)
        if path.rpartition(".")[0] == comp.prefix.rstrip(".") and isinstance(low, int):
            workload["autoscaling"] = {"enabled": True, "minReplicas": low, "maxReplicas": None}
            loc.alias("workload.autoscaling", path)
            loc.alias("workload.autoscaling.minReplicas", path)
            floor = loc.locations.get("workload.autoscaling.minReplicas")
            loc.locations["workload"] = floor or loc.locations.get("workload")
            return


def _component_replicas(
    workload: dict[str, Any],
    comp: Component,
    wt: WorkloadTemplate | None,
    values: dict[str, Any],
    loc: _Locator,
    prefix_file: str,
) -> None:
    """The replica count a component's template renders, at the line that sets it: a values
    path, vault's ``server.ha`` (replicas only in HA mode, else one standalone pod), a number
    written in the template, or nothing written (one pod)."""
    if wt is not None and _other_replica_branch(workload, comp, wt, values, loc, prefix_file):
        return
    if comp.ha_path:
        if _truthy(value_at(values, comp.ha_path + ".enabled")):
            replicas = value_at(values, comp.ha_path + ".replicas")
            workload["replicas"] = 3 if replicas is None else replicas
            loc.alias("workload.replicas", comp.ha_path + ".replicas")
            loc.alias("workload", comp.ha_path + ".enabled")  # what made it a replicated server
        else:
            workload["replicas"] = 1
            loc.alias("workload.replicas", comp.ha_path + ".enabled")
        return
    if comp.replicas_path:
        switch = _replicas_switch(wt, comp) if wt is not None else None
        if switch is not None and guard_holds(switch, values, wt.variables if wt else None) is False:
            # `{{ if .Values.config.cluster.enabled }}replicas: {{ .Values.config.cluster.replicas }}
            # {{ else }}replicas: 1` (nats): off, the workload runs one pod, because of that switch
            workload["replicas"] = 1
            loc.alias("workload.replicas", switch.strip().removeprefix("$").removeprefix(".Values."))
            loc.locations["workload"] = loc.locations.get("workload.replicas", loc.locations.get("workload"))
            return
        value = value_at(values, comp.replicas_path)
        if wt is not None and wt.replicas_expr:
            computed = evaluate(wt.replicas_expr, values, wt.variables)
            if isinstance(computed, int) and not isinstance(computed, bool) and computed != value:
                # `{{ .Values.web.replicas | default .Values.replicas }}` (langfuse) falls back to a
                # shared value; mongodb caps a standalone at one in the template
                workload["replicas"] = computed
                _locate_computed_count(loc, wt, values, computed, prefix_file)
                return
        workload["replicas"] = 1 if value is None else value
        loc.alias("workload.replicas", comp.replicas_path)
        if value is not None:
            loc.locations["workload"] = loc.locations.get("workload.replicas", loc.locations.get("workload"))
        elif wt is not None and wt.replicas_line and not wt.range_path and not _set_anywhere(comp, loc):
            # `replicas: {{ .Values.clamav.replicaCount }}` with no such key in any values file
            # (mailu): it renders empty, Kubernetes' default of one pod, at that template line
            # (an item of a ranged list or map without its count stays at its entry)
            where = Location(f"{prefix_file}{wt.template}", wt.replicas_line, wt.replicas_line)
            loc.locations["workload.replicas"] = loc.locations["workload"] = where
        return
    if wt is not None:
        rendered = not any(guard_holds(g, values, wt.variables) is False for g in wt.replicas_guards)
        computed = evaluate(wt.replicas_expr, values, wt.variables) if wt.replicas_expr and rendered else None
        if isinstance(computed, int) and not isinstance(computed, bool):
            # a `default` chain, or a count computed from values (`mul $poolCount $nodeCount`)
            workload["replicas"] = computed
            _locate_computed_count(loc, wt, values, computed, prefix_file)
            return
        if wt.replicas_line and rendered and wt.literal_replicas is None:
            # an expression ocisec cannot evaluate (`mul $zoneCount $replicaCount`)
            workload["replicas"] = Unknown("replica count computed by the template")
        else:
            workload["replicas"] = wt.literal_replicas if wt.literal_replicas is not None and rendered else 1
        line = (wt.replicas_line if rendered else None) or wt.kind_line
        where = Location(f"{prefix_file}{wt.template}", line, line)
        loc.locations["workload.replicas"] = where
        loc.locations["workload"] = where


def _set_anywhere(comp: Component, loc: _Locator) -> bool:
    """Whether some values file sets the component's count path."""
    return comp.replicas_path in loc.located


def _other_replica_branch(
    workload: dict[str, Any],
    comp: Component,
    wt: WorkloadTemplate,
    values: dict[str, Any],
    loc: _Locator,
    prefix_file: str,
) -> bool:
    """A template with a ``replicas:`` line per branch renders the first whose guards hold here.
    The count is that line's: a number written there (dapr's placement: ``{{ else }}replicas: 1``,
    at that line), or the values path it reads (dapr's operator without HA:
    ``.Values.replicaCount``, at the value's line). False for a template with one such line,
    vault's ``server.ha``, or when the component's own ``enabled`` flag switches the count (read
    by ``_replicas_switch``)."""
    if len(wt.replica_branches) < 2 or comp.ha_path or (comp.replicas_path and _replicas_switch(wt, comp)):
        return False
    chosen = next((b for b in wt.replica_branches if b.renders(values, wt.variables)), None)
    if chosen is None:
        return False  # no branch renders: the rest of `_component_replicas` says one pod
    here = Location(f"{prefix_file}{wt.template}", chosen.line, chosen.line)
    computed = evaluate(chosen.expr, values, wt.variables) if chosen.expr else None
    # the values path the line renders from: the choice a `ternary` takes, else the first it reads
    picked = chosen_path(chosen.expr, values, wt.variables) if chosen.expr else None
    path = picked or next(iter(chosen.paths), None)
    if computed is UNKNOWN and picked is None and re.search(r"\bternary\b", chosen.expr or ""):
        # a choice between counts by a switch ocisec cannot know (a helper's result), the
        # choices differing: unknown, never the first path read
        workload["replicas"] = Unknown("replica count computed by the template")
        loc.locations["workload.replicas"] = loc.locations["workload"] = here
        return True
    counted = isinstance(computed, int) and not isinstance(computed, bool)
    if chosen.literal is not None or (counted and (path is None or computed != value_at(values, path))):
        # flux2: `{{ if kindIs "invalid" .Values.x.replicas }}replicas: 1{{ else }}…`: the number
        # written in the branch that renders, at its line
        workload["replicas"] = chosen.literal if chosen.literal is not None else computed
        loc.locations["workload.replicas"] = loc.locations["workload"] = here
    elif path is not None:
        value = value_at(values, path)
        workload["replicas"] = 1 if value is None else value
        loc.locations["workload.replicas"] = here
        loc.alias("workload.replicas", path)
        loc.locations["workload"] = loc.locations["workload.replicas"]
    else:
        workload["replicas"] = Unknown("replica count computed by the template")
        loc.locations["workload.replicas"] = loc.locations["workload"] = here
    return True


def _locate_computed_count(
    loc: _Locator, wt: WorkloadTemplate, values: dict[str, Any], count: int, prefix_file: str
) -> None:
    """Point a count the template renders from values at the line that decides it.

    A `default` chain renders one value as it is: the finding belongs at that value's line. A count
    the template computes (a cap, `mul`) is decided by the template, so its replicas line is where.
    """
    # minio: `$replicas := mul $poolCount $nodeCount`, each from a value (`.Values.replicas | int`):
    # with one pool, `replicas: 16` itself is the count, and that line is where it is set
    read = wt.replica_paths or sorted(variable_reads(wt.replicas_expr or "", wt.variables), key=naming_rank)
    source = _path_giving(read, values, count)
    if source is not None:
        loc.alias("workload.replicas", source)
        here = loc.locations.get("workload")
        loc.locations["workload"] = loc.locations.get("workload.replicas", here)
        return
    line = wt.replicas_line or wt.kind_line
    where = Location(f"{prefix_file}{wt.template}", line, line)
    loc.locations["workload.replicas"] = loc.locations["workload"] = where


def _path_giving(paths: list[str], values: dict[str, Any], count: int) -> str | None:
    """The first values path the replica expression reads whose value is the rendered ``count``
    itself (``default`` falls back to it unchanged), None when the template computes the count
    (``mul``, a cap) so that no value gives it. A boolean is no count."""
    for path in paths:
        value = value_at(values, path)
        if isinstance(value, int) and not isinstance(value, bool) and value == count:
            return path
    return None


def _replicas_switch(wt: WorkloadTemplate, comp: Component) -> str | None:
    """The guard around a template's ``replicas:`` line that is the component's own ``enabled``
    flag (``.Values.config.cluster.enabled`` around ``config.cluster.replicas``): it switches the
    replica count, not the workload, which renders either way."""
    if not comp.prefix:
        return None
    flag = f".Values.{comp.prefix}enabled"
    return next((g for g in wt.replicas_guards if g.strip().removeprefix("$") == flag), None)


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", [], {}) and str(value).lower() != "false"


# Words a template's file name carries for its kind, dropped to pair a budget with its workload
# (`gatekeeper-controller-manager-poddisruptionbudget.yaml` with `...-deployment.yaml`).
_KIND_WORDS = {"poddisruptionbudget", "pdb", "deployment", "statefulset", "daemonset", "sts", "deploy"}


def _template_stem(template: str) -> str:
    folder, _, name = template.rpartition("/")
    words = [w for w in re.split(r"[-_.]", name.rsplit(".", 1)[0]) if w and w.lower() not in _KIND_WORDS]
    return f"{folder}/{'-'.join(words)}"


_AFFINITY_FIELDS = frozenset({"podAntiAffinity", "podAffinity", "nodeAffinity"})


def _settings_map(key: str, have: Any) -> bool:
    """Whether the values' ``affinity`` map holds none of the fields a Kubernetes affinity has
    (pulsar's ``anti_affinity``/``type``/``anti_affinity_topology_key``): settings a template
    reads to write the block, so the block the template writes is what the pod gets."""
    return key == "affinity" and isinstance(have, dict) and bool(have) and not (set(have) & _AFFINITY_FIELDS)


def _budget_from_templates(
    workload: dict[str, Any],
    wt: WorkloadTemplate | None,
    templates: ChartTemplates | None,
    values: dict[str, Any],
    loc: _Locator,
    prefix_file: str,
) -> None:
    """A PodDisruptionBudget a template renders for this workload whatever its values say about
    one: gatekeeper writes its budget with no switch (bounds under ``pdb.controllerManager``),
    elasticsearch renders one whenever the top-level ``maxUnavailable`` is set. The budget
    belongs to the workload whose template has the same name but for the kind word, or to the
    only workload of a chart with one budget; it counts only when every guard around it holds."""
    if wt is None or templates is None or not templates.budgets:
        return
    stem = _template_stem(wt.template)
    mine = [b for b in templates.budgets if _template_stem(b.template) == stem]
    if not mine and len(templates.budgets) == 1 and len(templates.workloads) == 1:
        mine = templates.budgets
    current = workload.get("podDisruptionBudget")
    if isinstance(current, dict) and not _truthy(current.get("enabled")):
        pass  # the values switch it off: that line says why there is none
    elif mine and all(any(guard_holds(g, values, b.variables) is False for g in b.guards) for b in mine):
        # the workload's budget template does not render here (istiod's budget needs an
        # autoscaler floor above one), whatever bounds the values give it: there is no budget
        workload.pop("podDisruptionBudget", None)
        for key in [k for k in loc.locations if k.startswith("workload.podDisruptionBudget")]:
            del loc.locations[key]
        # a values switch that keeps it from rendering (pulsar's `zookeeper.pdb.usePolicy:
        # false`, set by milvus) is the line that says why there is none
        switch = _switch_off(mine, values, loc)
        if switch is not None:
            workload["podDisruptionBudget"] = {"enabled": False, "minAvailable": None, "maxUnavailable": None}
            loc.locations["workload.podDisruptionBudget"] = switch
            loc.locations["workload.podDisruptionBudget.enabled"] = switch
        return
    if isinstance(current, dict) and _truthy(current.get("enabled")):
        return  # the values already enable a budget
    for budget in mine:
        if not all(guard_holds(g, values, budget.variables) is True for g in budget.guards):
            continue
        spec: dict[str, Any] = {"enabled": True, "minAvailable": None, "maxUnavailable": None}
        for key, (how, what) in budget.bounds.items():
            spec[key] = value_at(values, what) if how == "path" else what
        workload["podDisruptionBudget"] = spec
        where = Location(f"{prefix_file}{budget.template}", budget.line, budget.line)
        for path in ("", ".minAvailable", ".maxUnavailable"):
            loc.locations[f"workload.podDisruptionBudget{path}"] = where
        return


_VALUES_PATH = re.compile(r"^\s*(?:not\s+)?\.Values\.([A-Za-z0-9_.]+)\s*$")


def _switch_off(budgets: list[Any], values: dict[str, Any], loc: _Locator) -> Location | None:
    """Where the values set the one switch (a plain ``.Values.x`` or ``not .Values.x`` guard,
    the last such guard that fails) that keeps a workload's budget templates from rendering."""
    for budget in budgets:
        for guard in reversed(budget.guards):
            m = _VALUES_PATH.match(guard)
            # or a guard on one setting's value: neuvector's `gt (int .Values.controller.
            # disruptionbudget) 0` with `disruptionbudget: 0`
            reads = [m.group(1)] if m else list(dict.fromkeys(_GUARD_READ.findall(guard)))
            if len(reads) == 1 and guard_holds(guard, values, budget.variables) is False:
                where = loc.located.get(reads[0])
                if where is not None:
                    return where
    return None


_GUARD_READ = re.compile(r"\$?\.Values\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)")


def _values_workload(
    v: dict[str, Any],
    prefix: str,
    kind: str,
    loc: _Locator,
    anchor: Location,
    root: str = "workload",
    env_settings: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    def _w(_prefix: str) -> str:
        return root

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
            if "enabled" not in p and "create" in p:
                # `create: false` is this chart's switch: the line that decides
                loc.alias(f"{_w(prefix)}.podDisruptionBudget.enabled", prefix + key + ".create")
            break
    if "minAvailable" in v and "podDisruptionBudget" not in out:
        # ingress-nginx: controller.minAvailable, a PDB rendered when replicas > 1
        out["podDisruptionBudget"] = {
            "enabled": True,
            "minAvailable": v["minAvailable"],
            "maxUnavailable": None,
        }
        loc.alias(f"{_w(prefix)}.podDisruptionBudget.minAvailable", prefix + "minAvailable")
    for key in ("strategy", "updateStrategy"):
        if isinstance(v.get(key), dict) and not v[key]:
            # an empty map (`strategy: {}`) sets nothing: the template's own default then renders
            # (kiali: `maxUnavailable: 1` in the `else` of `{{ if .Values.deployment.strategy }}`);
            # and the next key is not read instead (haproxy's `updateStrategy` is its DaemonSet's)
            break
        if isinstance(v.get(key), dict):
            s = v[key]
            out["strategy"] = {"type": s.get("type")}
            loc.alias(f"{_w(prefix)}.strategy", prefix + key)
            loc.alias(f"{_w(prefix)}.strategy.type", prefix + key + ".type")
            unavailable = value_at(s, "rollingUpdate.maxUnavailable")
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
    spread = v.get("topologySpreadConstraints")
    if isinstance(spread, dict) and isinstance(spread.get("topologyKey"), str):
        # one constraint as a map (cockroachdb: `statefulset.topologySpreadConstraints.topologyKey`),
        # which the template writes field by field (`topologyKey: {{ .topologyKey }}` in a `with`):
        # a list is what Kubernetes takes, so a map is only ever the one item the template renders
        out["topologySpreadConstraints"] = [spread]
        at = f"{_w(prefix)}.topologySpreadConstraints.0"
        loc.alias(at, prefix + "topologySpreadConstraints")
        loc.alias(at + ".topologyKey", prefix + "topologySpreadConstraints.topologyKey")
    env: list[dict[str, Any]] = []
    for key in ENV_VALUE_KEYS:
        if prefix + key in env_settings:
            continue  # a map of settings the templates read field by field, not the env
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
        container["image_parts"] = image_parts(image)
        loc.alias(f"{_w(prefix)}.containers.0.image", prefix + "image")
        loc.alias(f"{_w(prefix)}.containers.0.image_parts", prefix + "image")
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


def image_parts(image: dict[str, Any]) -> dict[str, Any]:
    """A values ``image`` map (``repository``/``tag``/``digest``, or ingress-nginx's
    ``registry``/``image``) as ``{repository, tag, digest}``. A tag or digest the values leave
    empty is the chart's to choose (``.Chart.AppVersion``, a default digest): *unknown*, since
    only the chart's templates and defaults say which."""
    repository = image.get("repository") or image.get("image") or image.get("name")
    registry = image.get("registry")
    if isinstance(registry, str) and registry and isinstance(repository, str) and "/" not in registry:
        repository = f"{registry}/{repository}"
    elif isinstance(registry, str) and registry and isinstance(repository, str):
        repository = f"{registry.rstrip('/')}/{repository}"
    out: dict[str, Any] = {"repository": repository}
    for key in ("tag", "digest"):
        value = image.get(key)
        out[key] = value if value not in (None, "") else Unknown(f"image {key} left to the chart")
    if image.get("digest") == "":
        out["digest"] = None  # written empty: it overrides a chart's default digest with none
    if isinstance(out["tag"], str) and "@" in out["tag"]:  # `tag: 1.2.3@sha256:...`
        out["tag"], _, out["digest"] = out["tag"].partition("@")
    return out


def _list(value: Any) -> list[Any]:
    """A list value, or no elements for anything else (a chart may set a key to null or a map)."""
    return value if isinstance(value, list) else []


def _list_index(items: Any, entry: Any) -> int:
    for i, item in enumerate(items or []):
        if item is entry:
            return i
    return 0


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
    if isinstance(ing.get("hostname"), str) and ing["hostname"]:
        # bitnami style: one `hostname`, `tls: true|false` for it, `extraHosts` / `extraTls`
        n = len(rules)
        rules.append({"host": ing["hostname"]})
        loc.alias(f"ingress.rules.{n}", "ingress.hostname")
        loc.alias(f"ingress.rules.{n}.host", "ingress.hostname")
        if ing.get("tls") is True or str(ing.get("tls")).lower() == "true":
            tls.append({"hosts": [ing["hostname"]]})
        for i, h in enumerate(_list(ing.get("extraHosts"))):
            if isinstance(h, dict) and h.get("name"):
                loc.alias(f"ingress.rules.{len(rules)}.host", f"ingress.extraHosts.{i}.name")
                rules.append({"host": h["name"]})
        tls += [t for t in _list(ing.get("extraTls")) if isinstance(t, dict)]
    loc.alias("ingress", "ingress")
    loc.alias("ingress.tls", "ingress.tls")
    loc.alias("ingress.enabled", "ingress.enabled")
    return {"enabled": ing.get("enabled", False), "rules": rules, "tls": tls}


def _is_secret(key: str, value: Any, siblings: tuple[str, ...], owner: str = "") -> bool:
    """A non-empty string that is a secret by its key and shape (``owner``: the key of the map
    it is in, see ``is_secret_under``), or by its shape alone."""
    return (
        isinstance(value, str)
        and bool(value)
        and (is_secret_under(owner, key, value, siblings) or looks_like_credential(value))
    )


def _owner(path: str) -> str:
    """The key of the map a dotted values path's last key is in (``secrets`` of
    ``secrets.localUsers``), empty at the top."""
    parts = path.split(".")
    return parts[-2] if len(parts) > 1 else ""


def _sensitive(
    values: dict[str, Any], secrets: list[dict[str, Any]], names: frozenset[str] = frozenset()
) -> list[str]:
    """Strings to redact: the values that are secrets by the one decision
    (``scanner.guards.secretnames.is_secret_entry``), PEM keys and credential shapes, and what
    Secret templates render. User names, host names and key names are not masked, nor the values
    the templates write as a Secret's name (``names``: values paths)."""
    found: list[str] = []
    stack: list[tuple[Any, str]] = [(values, "")]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            keys = tuple(map(str, node))
            owner = at.rsplit(".", 1)[-1]  # the key of this map, for `is_secret_under`
            for k, x in node.items():
                path = f"{at}.{k}" if at else str(k)
                if isinstance(x, (dict, list)):
                    stack.append((x, path))
                elif path in names and not looks_like_credential(x):
                    continue  # `secretKeyRef: {name: {{ .Values.x }}}`: a name, shown as it is
                elif _is_secret(str(k), x, keys, owner):
                    found.append(x)
                elif isinstance(x, str) and "\n" in x:  # a config file: its secret lines' values
                    found += [value for _, _, value in config_text_secrets(x)]
        elif isinstance(node, list):
            for i, x in enumerate(node):
                if isinstance(x, (dict, list)):
                    stack.append((x, f"{at}.{i}"))
                elif isinstance(x, str) and looks_like_credential(x):
                    found.append(x)
    for s in secrets:
        value = value_at(values, str(s.get("value_path", "")))
        if isinstance(value, str):
            found.append(value)
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
        remote = _REMOTE_REF.search(str(what))
        if remote:
            # helm fetches a `$ref` to a URL; ocisec never does (CI input must not make it call
            # out): the values are not checked against that part, which is no fault of the input
            return [
                InputError(
                    schema_rel,
                    f"values.schema.json refers to a remote schema ({remote.group('url')[:120]}) that "
                    "ocisec does not fetch: the values were not checked against it",
                    level="note",
                )
            ]
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
_REMOTE_REF = re.compile(r"Unresolvable: (?P<url>https?://\S+)")


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
