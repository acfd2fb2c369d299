"""The workloads a chart renders, found the way its templates render them.

Many charts have no top-level ``replicaCount``: their pods sit under component keys
(``controller.*``, ``webhook.*``, ``server.*``, ``repoServer.*``, ``readReplicas.*``). A
component is found from a template that renders a Deployment, StatefulSet or DaemonSet:

- by the values path its ``replicas:`` line reads (``.Values.webhook.replicaCount``, also
  through a helper such as vault's ``{{ template "vault.replicas" . }}``), or
- for a template that writes its replica count (or none: one pod), by the values key the
  template reads most (``.Values.dex.*`` -> ``dex``), else by the template's file name.

The opening ``{{ if }}`` guards of a template are evaluated against each environment's values
(``.Values.webhook.create``, ``eq .Values.architecture "replication"``); a guard ocisec cannot
evaluate (``include``, variables) counts as rendered. Templates are never parsed as YAML.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from typing import Any

from scanner.sources.helm.yamlmarks import YamlInputError, load_yaml_documents, value_at

WORKLOAD_KIND = re.compile(
    r"^kind:\s*(?:['\"]?(?P<kind>Deployment|StatefulSet|DaemonSet)['\"]?"
    r"|\{\{-?\s*(?P<expr>[^}]*?)\s*-?\}\}"
    # `{{ if .Values.useStatefulSet }}StatefulSet{{ else }}Deployment{{ end }}`
    r"|\{\{-?\s*if\s+(?P<cond>[^{}]*?)\s*-?\}\}\s*(?P<then>\w+)\s*\{\{-?\s*else\s*-?\}\}\s*(?P<other>\w+)"
    r"\s*\{\{-?\s*end\s*-?\}\})\s*$",
    re.M,
)
# A helper that says whether something is on: `{{- if COND }}{{- true -}}{{- else -}}{{- end -}}`
_BOOLEAN_HELPER = re.compile(
    r"^\s*\{\{-?\s*if\s+(?P<cond>[^{}]*?)\s*-?\}\}\s*(?:\{\{-?\s*(?:true|print\s+\"true\")\s*-?\}\}|true)\s*"
    r"(?:\{\{-?\s*else\s*-?\}\}\s*)?\{\{-?\s*end\s*-?\}\}\s*(?:\{\{-?\s*end\s*-?\}\})?\s*$"
)
_INCLUDE_CALL = re.compile(
    r"\(?\s*include\s+\"(?P<name>[^\"]+)\"\s+"
    # `(dict "root" $)` (matrix-stack): the top scope handed over under one key, `.root` inside
    r"(?:[.$]|\(\s*dict\s+\"(?P<root>[A-Za-z_][A-Za-z0-9_]*)\"\s+\$\s*\))\s*(?P<close>\))?"
)
_REPLICAS_LINE = re.compile(r"^\s{2}replicas:\s*(?P<expr>.*?)\s*$", re.M)
_COMMENT_MARK = re.compile(r"\s#")  # fixed width: linear on hostile lines of blanks
_VALUES_PATH = re.compile(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
_REPLICA_PATH = re.compile(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)*\.(?:replicaCount|replicas))\b")
# `strategy: {{ toYaml .Values.hub.deploymentStrategy | nindent 4 }}`: where the strategy comes from
_STRATEGY_LINE = re.compile(
    r"^\s{2}(?:strategy|updateStrategy):[^\n]*?(?:\n[^\n]*?)?\$?\.Values\.(?P<path>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)",
    re.M,
)
# `topologySpreadConstraints: {{ toYaml .Values.controllerManager.topologySpreadConstraints ...`
# (gatekeeper): the pod spec's placement read from a values path of the same name
_PLACEMENT_LINE = re.compile(
    r"^[ \t]+(?P<key>affinity|topologySpreadConstraints):[^\n]*?(?:\n[^\n]*?)?"
    r"\$?\.Values\.(?P<path>(?:[A-Za-z0-9_-]+\.)*(?P=key))\b",
    re.M,
)
# `{{- with .Values.webhookServerAffinity }}` on the line before `affinity:`: a placement read
# from a key of any name
_PLACEMENT_WITH = re.compile(
    r"^[ \t]*\{\{-?\s*with\s+\$?\.Values\.(?P<path>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*-?\}\}[ \t]*\n"
    r"[ \t]+(?P<key>affinity|topologySpreadConstraints):[ \t]*$",
    re.M,
)
# `strategy:` whose fields the template fills from separate values (pihole:
# `type: {{ .Values.strategyType }}`, `maxUnavailable: {{ .Values.maxUnavailable }}`)
_STRATEGY_BLOCK = re.compile(
    r"^\s{2}(?:strategy|updateStrategy):[ \t]*\n"
    # lines indented under it, and lines holding only template actions (`{{- if … }}`, `{{- else }}`,
    # `{{ toYaml .Values.deployment.strategy | nindent 4 }}`: kiali's default in the `else`)
    r"(?P<body>(?:(?:[ \t]{4,}[^\n]*|[ \t]*\{\{[^\n]*\}\}[ \t]*)(?:\n|$))+)",
    re.M,
)
_STRATEGY_FIELD = re.compile(
    r"^[ \t]+(?P<key>type|maxUnavailable):[ \t]*\{\{-?\s*\$?\.Values\."
    r"(?P<path>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)(?:\s*\|\s*quote)?\s*-?\}\}[ \t]*$",
    re.M,
)
# Fields written as literals inside a strategy block, in any order (the retail-store sample:
# `rollingUpdate: {maxUnavailable: 1}` before `type: RollingUpdate`)
_LITERAL_TYPE = re.compile(r"^[ \t]+type:[ \t]*['\"]?(?P<v>[A-Za-z]+)['\"]?[ \t]*$", re.M)
_LITERAL_UNAVAILABLE = re.compile(r"^[ \t]+maxUnavailable:[ \t]*['\"]?(?P<v>\d+%?)['\"]?[ \t]*$", re.M)
# Actions are matched without braces inside them, so matching stays linear on hostile text.
# `{{- with include "linkerd.affinity" $tree }}`: a helper named for the pod's placement
_PLACEMENT_HELPER = re.compile(
    r'(?:include|template)\s+"(?P<name>[^"]*(?:[Aa]ffinity|[Tt]opology[Ss]pread)[^"]*)"'
)
# `topologySpreadConstraints:` / `affinity:` with nothing after the colon: a block the template
# may write itself (coherence-operator's `{{ else }}` default: a zone spread)
_PLACEMENT_BLOCK = re.compile(
    r"^(?P<indent>[ \t]+)(?P<key>affinity|topologySpreadConstraints):[ \t]*"
    # `affinity: {{- include "app.affinity" . | nindent 8 }}`: a helper of the chart writes the block
    r"(?P<inc>\{\{-?\s*(?:include|template)\s+\"[^\"]+\"[^{}]*\}\})?[ \t]*$",
    re.M,
)
_TOPOLOGY_KEY = re.compile(
    r"^[ \t-]*topologyKey:[ \t]*(?:['\"]?(?P<v>[A-Za-z0-9./_-]+)['\"]?"
    # `topologyKey: {{ .Values.global.ha.topologyKey }}` (dapr): the key a value gives
    r"|\{\{-?\s*\$?\.Values\.(?P<path>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)(?:\s*\|\s*quote)?\s*-?\}\})[ \t]*$"
)
_AFFINITY_PART = re.compile(
    r"^[ \t]*(?P<part>podAntiAffinity|podAffinity|nodeAffinity"
    r"|requiredDuringSchedulingIgnoredDuringExecution|preferredDuringSchedulingIgnoredDuringExecution):"
)
# `{{ .Values.zookeeper.affinity.type }}:` (pulsar): the anti-affinity's field named by a value,
# `requiredDuringScheduling…` or `preferredDuringScheduling…` per environment
_AFFINITY_MODE_READ = re.compile(
    r"^[ \t]*\{\{-?\s*\$?\.Values\.(?P<path>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*-?\}\}:[ \t]*$"
)
_AFFINITY_MODES = (
    "requiredDuringSchedulingIgnoredDuringExecution",
    "preferredDuringSchedulingIgnoredDuringExecution",
)
_ASSIGN = re.compile(r"\{\{-?\s*(?P<name>\$[A-Za-z_][A-Za-z0-9_]*)\s*:?=\s*(?P<expr>[^{}]*?)\s*-?\}\}")
_HELPER_CALL = re.compile(r"(?:template|include)\s+\"(?P<name>[^\"]+)\"")
_DEFINE = re.compile(r"\{\{-?\s*define\s+\"(?P<name>[^\"]+)\"\s*-?\}\}")
_ACTION = re.compile(r"\{\{-?\s*(?P<body>[^{}]*?)\s*-?\}\}")
_COMMENT_OPEN = re.compile(r"\{\{-?\s*/\*")


@dataclass
class LiteralStrategy:
    """A ``strategy:`` / ``updateStrategy:`` block a template writes itself: its ``type`` (None
    when only ``maxUnavailable`` is written), the line where it is written, the ``{{ if }}``
    guards of its branch and its literal ``maxUnavailable``."""

    type: str | None
    line: int
    guards: list[str]
    unavailable: int | str | None = None
    unavailable_line: int | None = None

    def renders(self, values: dict[str, Any], variables: dict[str, str]) -> bool:
        """Whether this block's branch renders with these values (an unknown guard renders)."""
        return not any(guard_holds(g, values, variables) is False for g in self.guards)


@dataclass(frozen=True)
class ValuesRead:
    """A topology key a placement block takes from the values (``{{ .Values.x.topologyKey }}``)."""

    path: str


@dataclass
class PlacementTerm:
    """One topology key a placement block writes: in a spread (``"spread"``) or a pod
    anti-affinity (its ``required…``/``preferred…`` field), with the ``{{ if }}`` guards around
    it inside the block (``{{ if .Values.antiAffinity.enabled }}``)."""

    kind: str
    key: str | ValuesRead
    guards: list[str]


@dataclass
class LiteralPlacement:
    """A pod placement block a template writes with literal topology keys (``affinity`` or
    ``topologySpreadConstraints``), with the guards of its branch: when the values leave that
    setting empty, this is what the pod gets."""

    key: str  # "affinity" or "topologySpreadConstraints"
    terms: list[PlacementTerm]
    line: int
    guards: list[str]
    # values the block writes beside its own terms (yugabyte merges `master.affinity` in: `{{ toYaml
    # $root.Values.master.affinity }}`), each with the guards of its branch inside the block
    merged: list[tuple[str, list[str]]] = field(default_factory=list)

    def renders(self, values: dict[str, Any], variables: dict[str, str]) -> bool:
        """Whether this block's branch renders with these values (an unknown guard renders)."""
        return not any(guard_holds(g, values, variables) is False for g in self.guards)

    def render(
        self, values: dict[str, Any], variables: dict[str, str]
    ) -> tuple[Any, list[tuple[str, str]]]:
        """The block in one environment, in the shape the spread rules read (None when none of
        its terms renders), and (path inside it, values path) of each key the values give."""
        spread: list[dict[str, Any]] = []
        anti: dict[str, list[Any]] = {}
        reads: list[tuple[str, str]] = []
        for term in self.terms:
            if any(guard_holds(g, values, variables) is False for g in term.guards):
                continue
            key = value_at(values, term.key.path) if isinstance(term.key, ValuesRead) else term.key
            kind = term.kind
            if kind.startswith("="):
                # a field named by a value: only the two fields Kubernetes knows render a term
                kind = value_at(values, kind[1:])
                if kind not in _AFFINITY_MODES:
                    continue
            if kind == "spread":
                at = f"{len(spread)}.topologyKey"
                spread.append({"topologyKey": key})
            else:
                entries = anti.setdefault(kind, [])
                required = kind.startswith("required")
                at = f"podAntiAffinity.{kind}.{len(entries)}." + ("" if required else "podAffinityTerm.")
                at += "topologyKey"
                term_of = {"topologyKey": key}
                entries.append(term_of if required else {"podAffinityTerm": term_of})
            if isinstance(term.key, ValuesRead):
                reads.append((at, term.key.path))
        spec: Any = spread or ({"podAntiAffinity": anti} if anti else None)
        for path, guards in self.merged:
            given = value_at(values, path)
            if not given or any(guard_holds(g, values, variables) is False for g in guards):
                continue
            if isinstance(given, list) and (spec is None or isinstance(spec, list)):
                spec = [*(spec or []), *given]
            elif isinstance(given, dict) and (spec is None or isinstance(spec, dict)):
                spec = _merged_affinity(spec or {}, given)
        return spec, reads


def _merged_affinity(written: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """An affinity the template writes with the one the values give merged in: the terms of each
    part and mode, both kept (what a ``mustMerge``/``concat`` of the two renders, for the spread
    rules: a zone term on either side spreads the pods)."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in written.items()}
    for part, modes in given.items():
        if not isinstance(modes, dict) or not isinstance(out.get(part, {}), dict):
            out[part] = modes
            continue
        have = out.setdefault(part, {})
        for mode, terms in modes.items():
            before = have.get(mode)
            have[mode] = [*before, *terms] if isinstance(before, list) and isinstance(terms, list) else terms
    return out


@dataclass
class ReplicaBranch:
    """One ``replicas:`` line a template writes, with the ``{{ if }}`` guards of its branch: a
    number written there, the values paths it reads, or an expression it computes."""

    line: int
    guards: list[str]
    literal: int | None = None
    paths: list[str] = field(default_factory=list)
    expr: str | None = None

    def renders(self, values: dict[str, Any], variables: dict[str, str]) -> bool:
        """Whether this line's branch renders with these values (an unknown guard renders)."""
        return not any(guard_holds(g, values, variables) is False for g in self.guards)


@dataclass
class WorkloadTemplate:
    """One template that renders a pod controller."""

    template: str  # path inside the chart: templates/controller-deployment.yaml
    kind: str  # "" when the kind is an expression (kind_expr)
    kind_line: int
    kind_expr: str | None = None  # `kind: {{ .Values.master.kind }}`, `{{ ternary "A" "B" x }}`
    guards: list[str] = field(default_factory=list)  # {{ if }} expressions around the kind line
    replica_paths: list[str] = field(default_factory=list)  # values paths its replicas read
    literal_replicas: int | None = None  # `replicas: 2` written in the template
    replicas_line: int | None = None
    main_key: str | None = None  # the first-level values key it reads most
    strategy_path: str | None = None  # values path its `strategy:` / `updateStrategy:` renders
    # values paths its pod spec's `affinity:` / `topologySpreadConstraints:` render
    placement_paths: dict[str, str] = field(default_factory=dict)
    # each `strategy:` block written in the template (`type: Recreate`, `maxUnavailable: 1`),
    # in the order written, with the guards of its branch
    literal_strategies: list[LiteralStrategy] = field(default_factory=list)
    # `type` / `maxUnavailable` of a strategy block, each rendered from its own values path
    strategy_fields: dict[str, str] = field(default_factory=dict)
    replicas_guards: list[str] = field(default_factory=list)  # guards around the replicas line
    replicas_expr: str | None = None  # a replica count the template computes
    # every `replicas:` line of the document, in order, with its branch's guards
    replica_branches: list[ReplicaBranch] = field(default_factory=list)
    # `{{ range .Values.mastodon.sidekiq.workers }}` around the kind line: one workload per item,
    # its replica count read from the item's field (`replicas: {{ .replicas }}`)
    range_path: str | None = None
    range_field: str | None = None
    # variables bound to the item (`$service := .`) and whether the dot is the item where the kind
    # is written: for a count chosen per item by a branch (`eq $service.name "yb-masters"`)
    range_names: list[str] = field(default_factory=list)
    range_dot: bool = True
    # placement blocks the template writes with literal topology keys, in order
    literal_placements: list[LiteralPlacement] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)  # `$x := expr` before the kind line
    # a helper this chart does not define that renders the pod's placement (linkerd's
    # `include "linkerd.affinity"`, from its `partials` library): what it renders is unknown
    placement_helper: str | None = None


@dataclass
class Component:
    """A workload of the chart: its values prefix and the templates that may render it."""

    name: str  # "" for the chart's own top-level workload
    prefix: str  # values prefix with a trailing dot ("controller.", "" at the top)
    replicas_path: str | None  # values path of its replica count
    ha_path: str | None = None  # `server.ha`: replicas apply only when `<ha>.enabled`
    templates: list[WorkloadTemplate] = field(default_factory=list)
    # the helper of a library chart that renders it (`bjw-s.common.loader.all`), when no
    # template of this chart does: its defaults are the library's, not here to read
    library: str | None = None
    library_controller: str | None = None  # values path of its controller map in that library
    # named by flat top-level keys (scylla-operator's `webhookServerReplicas`,
    # `webhookServerAffinity`): it has no map of its own; the template's paths say what it reads
    flat: bool = False


# A template that hands the whole rendering to a helper: `{{- include "bjw-s.common.loader.all" $ctx }}`
# at the start of a line, with the chart's context (not `(dict "value" ...)`: bitnami's
# `extraDeploy` renders values the user gives, not the chart's workloads).
_LOADER = re.compile(r'^\{\{-?\s*include\s+"(?P<name>[^"]+)"\s+(?:\$[A-Za-z_]\w*|\$|\.)\s*-?\}\}', re.M)
# the values the template hands to it: `get .Values "server" | mergeOverwrite $ctx.Values`
_LOADER_ROOT = re.compile(
    r'(?:get|index)\s+\$?\.Values\s+"(?P<key>[^"]+)"|\$?\.Values\.(?P<path>[A-Za-z0-9_-]+)\s*\|\s*merge'
)


@dataclass
class LibraryLoader:
    """A template whose objects a library chart's helper renders (immich's components through the
    bjw-s ``common`` library): the helper is not defined in this chart, so what it renders cannot
    be read here, only the values it is given (``values_key``, or the chart's own values)."""

    template: str
    line: int
    helper: str
    values_key: str | None
    guards: list[str]


def _define_spans(text: str) -> tuple[list[int], list[bool]]:
    """For each action of the template, its end and whether a ``{{ define }}`` is open after it:
    one pass, so that many calls in a hostile template cost linear time."""
    ends: list[int] = []
    inside: list[bool] = []
    stack: list[str] = []
    for m in _ACTION.finditer(text):
        word = (m.group("body").split(None, 1) or [""])[0]
        if word in ("if", "with", "range", "define", "block"):
            stack.append(word)
        elif word == "end" and stack:
            stack.pop()
        else:
            continue
        ends.append(m.end())
        inside.append("define" in stack)
    return ends, inside


def library_loaders(name: str, text: str, helpers: dict[str, str]) -> list[LibraryLoader]:
    """The whole-document ``include`` calls of one template to helpers this chart does not define."""
    base = name.rsplit("/", 1)[-1]
    if "include" not in text or base.startswith("_") or not base.endswith((".yaml", ".yml")):
        return []  # helm renders no objects from `_helpers.tpl` or NOTES.txt
    stripped = strip_comments(text)
    marks = [m for m in _LOADER.finditer(stripped) if m.group("name") not in helpers]
    if not marks:
        return []  # only the chart's own helpers: their templates are read where they are used
    ends, inside = _define_spans(stripped)
    roots = [(r.start(), r.group("key") or r.group("path")) for r in _LOADER_ROOT.finditer(stripped)]
    guards = GuardIndex(stripped)
    found: list[LibraryLoader] = []
    line, counted, r, key = 1, 0, 0, None  # walked forward once, in order, for every mark
    for m in marks:
        line += stripped.count("\n", counted, m.start())
        counted = m.start()
        while r < len(roots) and roots[r][0] < m.start():
            key, r = roots[r][1], r + 1
        i = bisect_right(ends, m.start()) - 1
        if i >= 0 and inside[i]:
            continue  # a call inside a helper of this template: read where that helper is used
        found.append(LibraryLoader(name, line, m.group("name"), key, guards.at(m.start())))
    return found


def helper_bodies(texts: dict[str, str]) -> dict[str, str]:
    """``define`` blocks of every template and helper file, by name."""
    out: dict[str, str] = {}
    for text in texts.values():
        if "define" not in text:
            continue
        # A define's body runs to the next define: enough to see which values it reads.
        marks = list(_DEFINE.finditer(text))
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            out.setdefault(m.group("name"), text[m.end() : end])
    return out


# `$app := .Values.server`, `$app := merge (deepCopy .Values.vmselect) (deepCopy .Values.common)`
# (VictoriaMetrics): a variable that stands for a values map, the first one merged winning
_VALUES_ALIAS = re.compile(
    r"\{\{-?\s*(?P<name>\$[A-Za-z_][A-Za-z0-9_]*)\s*:=\s*(?:(?:merge|mergeOverwrite)\s+\(?\s*)?"
    r"(?:deepCopy\s+)?\$?\.Values(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*(?:\)[^{}]*)?-?\}\}"
)


# `index .Values "modules" "text2vec-contextionary"`, `index $module "replicas"`: Go's index with
# literal string keys (the way to read keys with dashes) reads the same as a dotted path
_INDEX_READ = re.compile(
    r'(?:\(\s*)?index\s+(?P<base>\$?\.Values|\$[A-Za-z_][A-Za-z0-9_]*)(?P<keys>(?:\s+"[A-Za-z0-9_-]+")+)(?:\s*(?P<close>\)))?'
)


def index_reads_as_paths(text: str) -> str:
    """The template with each ``index X "a" "b"`` of literal keys, where ``X`` is ``.Values`` or
    a variable, written as the dotted read ``X.a.b`` (weaviate's modules). A read in parentheses
    keeps them balanced; no newline is added or removed."""
    if "index" not in text:
        return text

    def dotted(m: re.Match[str]) -> str:
        keys = re.findall(r'"([A-Za-z0-9_-]+)"', m.group("keys"))
        path = m.group("base") + "".join(f".{k}" for k in keys)
        if not m.group(0).startswith("("):
            return path + (m.group("close") or "")  # a `)` closing an outer group stays
        # `(index .Values "a")` is the read; `(index .Values "a" | default 1)` keeps its `(`
        return path if m.group("close") else "(" + path

    return _INDEX_READ.sub(dotted, text)


def alias_values_variables(text: str) -> str:
    """The template with each use of a variable bound to a values map (``$app.replicaCount``
    after ``$app := .Values.server``) written as the values path it reads
    (``.Values.server.replicaCount``), so replicas, kinds and guards read through such a
    variable are found like direct reads. Only uses after the assignment are rewritten, and no
    newline is added or removed, so line numbers stay those of the file."""
    if ":=" not in text:
        return text
    marks = list(_VALUES_ALIAS.finditer(text))
    if not marks:
        return text
    out: list[str] = []
    pos = 0
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out.append(text[pos : m.end()])
        # `$app.x` -> `.Values.server.x`; `$application` or `$app` alone are left alone
        use = re.compile(re.escape(m.group("name")) + r"(?=\.[A-Za-z_])")
        out.append(use.sub(".Values" + m.group("path"), text[m.end() : end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


# `{{- include "flagsmith.replicaCount" .Values.api.replicacount | nindent 2 }}`: a helper handed
# one values path as its context, on a line of its own
_VALUE_CONTEXT_CALL = re.compile(
    r'(?m)^(?P<indent>[ \t]*)\{\{-?\s*include\s+"(?P<name>[^"]+)"\s+\(?\s*'
    r"(?P<path>\$?\.Values(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*\)?\s*(?:\|\s*n?indent\s+\d+\s*)?-?\}\}[ \t]*$"
)
# A helper's one line of output: `replicas: {{ . }}` (its `if`/`end` actions aside)
_DOT_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*):\s*\{\{-?\s*\.\s*-?\}\}\s*$")
_CONTROL_ONLY = re.compile(r"^\s*(?:\{\{-?\s*(?:if|else|end|with)\b[^{}]*-?\}\}\s*)*$")


def inline_value_helpers(text: str, helpers: dict[str, str]) -> str:
    """The template with each call of a helper that is handed a values path as its context and
    writes one field of it (flagsmith's ``include "flagsmith.replicaCount"
    .Values.api.replicacount`` whose body is ``replicas: {{ . }}`` inside an ``if`` that leaves
    out a null) written as that field read from the path, in place: ``replicas: {{
    .Values.api.replicacount }}``. A null count renders no field and Kubernetes runs one pod,
    which is what the field read from a null value is taken to mean. No newline is added or
    removed, so line numbers stay those of the file."""
    if "include" not in text:
        return text

    def inline(m: re.Match[str]) -> str:
        body = helpers.get(m.group("name"))
        if body is None:
            return m.group(0)
        lines = [ln for ln in body.split("\n") if not _CONTROL_ONLY.match(ln)]
        # the body runs to the next define: its own `{{- end }}` is a control line too
        field = _DOT_FIELD.match(lines[0]) if len(lines) == 1 else None
        if field is None:
            return m.group(0)
        return f"{m.group('indent')}{field.group('key')}: {{{{ {m.group('path')} }}}}"

    return _VALUE_CONTEXT_CALL.sub(inline, text)


def workload_templates(name: str, text: str, helpers: dict[str, str]) -> list[WorkloadTemplate]:
    """The pod controllers one template file renders (usually one)."""
    found: list[WorkloadTemplate] = []
    stripped = alias_values_variables(index_reads_as_paths(strip_comments(text)))
    stripped = inline_value_helpers(stripped, helpers)
    guards = GuardIndex(stripped)
    for m in WORKLOAD_KIND.finditer(stripped):
        line = stripped.count("\n", 0, m.start()) + 1
        before = stripped[: m.start()]
        expr = m.group("expr")
        if m.group("cond"):
            expr = f'ternary "{m.group("then")}" "{m.group("other")}" ({m.group("cond")})'
        elif expr and "include" in expr:
            expr = inline_helpers(expr, helpers)  # `kind: {{ include "vcluster.kind" . }}`
        outer = guards.at(m.start())  # the guards around the kind line
        kind_guards = [inline_helpers(g, helpers) for g in outer]
        within = _open_with(before)
        if within:
            # `{{ with .Values.hookshot }}{{ if .enabled }}` (matrix-stack): the dot is that map
            kind_guards = [_item_reads(g, within) for g in kind_guards]
        wt = WorkloadTemplate(
            name,
            m.group("kind") or "",
            line,
            expr,
            guards=kind_guards,
            variables=template_variables(before, helpers),
        )
        # The rest of this document: up to the next `---` or the end.
        end = stripped.find("\n---", m.end())
        body = stripped[m.end() : end if end >= 0 else len(stripped)]
        ranged = _open_range(before)
        # Every `replicas:` line of the document, each with the guards of its branch (dapr:
        # `{{ if eq .Values.global.ha.enabled true }}replicas: {{ .Values.global.ha.replicaCount }}
        # {{ else }}replicas: {{ .Values.replicaCount }}`): each environment renders the first
        # whose guards hold. The first line's reading stays on the template itself.
        for rm in _REPLICAS_LINE.finditer(body):
            branch = _replica_branch(rm, stripped, m.end(), guards, outer, helpers)
            wt.replica_branches.append(branch)
        if not wt.replica_branches:
            # no `replicas:` line of its own: a helper handed the component's values in a dict
            # may write it (matrix-stack's `ess-library.workloads.commonSpec`)
            within = _open_with(before)
            for call in _DICT_INCLUDE.finditer(body):
                path = _count_through_helper(call, body, helpers, within)
                if path:
                    at = m.end() + call.start()
                    line_no = stripped.count("\n", 0, at) + 1
                    wt.replica_branches.append(
                        ReplicaBranch(line_no, _inner(guards.at(at), outer), paths=[path])
                    )
                    break
        if wt.replica_branches:
            first = wt.replica_branches[0]
            wt.replicas_line, wt.replicas_guards = first.line, first.guards
            wt.literal_replicas, wt.replicas_expr = first.literal, first.expr
            # the component is named by the values its branches read; `global.*` is shared by
            # every subchart of an umbrella, so it names no component (dapr's operator reads
            # `global.ha.replicaCount` in HA mode, its own `replicaCount` otherwise); a count key
            # names it before other paths the line reads (`autoscaling.minReplicas` in one branch)
            paths = [p for b in wt.replica_branches for p in b.paths]
            wt.replica_paths = sorted(dict.fromkeys(paths), key=naming_rank)
            item = _item_field(first.expr, ranged) if ranged and not paths else None
            if ranged and item:
                wt.range_path, wt.range_field = ranged.path, item
            elif ranged and paths and _reads_item(wt.replica_branches, ranged):
                # yugabyte: one StatefulSet per item of `.Values.Services`, each reading its own
                # count in the branch its item picks (`{{ if eq $service.name "yb-masters" }}`)
                wt.range_path, wt.range_names, wt.range_dot = ranged.path, ranged.names, ranged.dot
        blocks = list(_STRATEGY_BLOCK.finditer(body))
        if blocks:
            fields = _STRATEGY_FIELD.finditer(blocks[0]["body"])
            wt.strategy_fields = {f.group("key"): f.group("path") for f in fields}
        sm = _STRATEGY_LINE.search(body)
        if sm and not wt.strategy_fields:
            wt.strategy_path = sm.group("path")
        for block in blocks:
            # Every strategy block the template writes literally, each with the guards of its
            # branch (groundhog2k's redis: a StatefulSet's `updateStrategy` from values in one
            # branch, `strategy: {type: Recreate}` in the `else`): each environment renders the
            # first whose guards hold. A block the template fills from values is read above.
            if _STRATEGY_FIELD.search(block["body"]):
                continue
            at = m.end() + block.start("body")
            lt, lu = _LITERAL_TYPE.search(block["body"]), _LITERAL_UNAVAILABLE.search(block["body"])
            if lt is None and lu is None:
                continue
            first = lt if lt is not None else lu
            assert first is not None
            alt = LiteralStrategy(
                lt.group("v") if lt else None,
                stripped.count("\n", 0, at + first.start("v")) + 1,
                _inner(guards.at(at + first.start()), outer),
            )
            if lu is not None:
                text = lu.group("v")
                alt.unavailable = int(text) if text.isdigit() else text
                alt.unavailable_line = stripped.count("\n", 0, at + lu.start("v")) + 1
            wt.literal_strategies.append(alt)
        for pb in _PLACEMENT_BLOCK.finditer(body):
            merged: list[tuple[str, list[str]]] = []
            terms = _literal_placement(pb, body, helpers, guards, m.end(), merged)
            if terms:
                at = m.end() + pb.start("key")
                line = stripped.count("\n", 0, at) + 1
                wt.literal_placements.append(
                    LiteralPlacement(pb.group("key"), terms, line, _inner(guards.at(at), outer), merged)
                )
        for pm in _PLACEMENT_LINE.finditer(body):
            wt.placement_paths.setdefault(pm.group("key"), pm.group("path"))
        for pm in _PLACEMENT_WITH.finditer(body):
            # `{{- with .Values.webhookServerAffinity }}` then `affinity:` (scylla-operator)
            wt.placement_paths.setdefault(pm.group("key"), pm.group("path"))
        named = (h.group("name") for h in _PLACEMENT_HELPER.finditer(body))
        wt.placement_helper = next((n for n in named if n not in helpers), None)
        keys = Counter(p.lstrip(".").split(".")[0] for p in _VALUES_PATH.findall(body))
        keys.pop("global", None)
        wt.main_key = keys.most_common(1)[0][0] if keys else None
        found.append(wt)
    return found


# `include "lib.workloads.commonSpec" (dict "root" $ "context" (dict … "componentValues" .))`
_DICT_INCLUDE = re.compile(r'include\s+"(?P<name>[^"]+)"\s+(?=\(\s*dict\b)')
# a helper's `replicas:` line reading a field of its dot (`replicas: {{ .replicas }}`)
_HELPER_COUNT = re.compile(
    r"^replicas:[ \t]*\{\{-?\s*(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*-?\}\}[ \t]*$", re.M
)
# `with .context`, `with required "…missing context" .componentValues`
_WITH_DOT = re.compile(r'with\s+(?:required\s+"[^"]*"\s+)?(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*')
_MAX_DICT_TOKENS = 400


def _balanced(text: str, start: int) -> str | None:
    """The parenthesised expression that opens at ``start``, or None when it never closes
    (searched within one action: a hostile template stays linear)."""
    depth = 0
    stop = text.find("}}", start)
    for i in range(start, stop if stop >= 0 else len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return None


def _dict_literal(tokens: list[str], i: int) -> tuple[dict[str, Any] | str, int]:
    """``(dict "k" v …)`` read from its tokens at ``i`` (the opening parenthesis): keys to the
    expression each is given (a nested dict, or the token written); any other parenthesised
    expression is kept as an opaque string."""
    if tokens[i] != "(" or i + 1 >= len(tokens) or tokens[i + 1] != "dict":
        depth, j = 0, i
        while j < len(tokens):  # skip an opaque group
            depth += tokens[j] == "("
            depth -= tokens[j].startswith(")")
            j += 1
            if depth <= 0:
                break
        return "\x00", j
    out: dict[str, Any] = {}
    j = i + 2
    while j + 1 < len(tokens) and not tokens[j].startswith(")"):
        key = tokens[j]
        if tokens[j + 1] == "(":
            value, j = _dict_literal(tokens, j + 1)
        else:
            value, j = tokens[j + 1], j + 2
        if key.startswith('"'):
            out[key.strip('"')] = value
    return out, j + 1


def _count_through_helper(
    call: re.Match[str], body: str, helpers: dict[str, str], within: str | None
) -> str | None:
    """The values path a helper's ``replicas: {{ .replicas }}`` reads, when the template hands
    it a dict built from its own dot (inside ``{{ with .Values.elementWeb }}``): the helper's
    ``with .context`` / ``with .componentValues`` lead back to that dot."""
    helper = helpers.get(call.group("name"), "")
    count = _HELPER_COUNT.search(helper)
    if count is None:
        return None
    arg = _balanced(body, call.end())
    tokens = [t for t in _TOKEN.findall(arg or "") if t][:_MAX_DICT_TOKENS]
    if not tokens:
        return None
    context, _ = _dict_literal(tokens, 0)
    fields: list[str] = []  # the helper's withs open at its count line, outermost first
    for a in _ACTION.finditer(helper, 0, count.start()):
        word = a.group("body").split(None, 1)[0] if a.group("body") else ""
        if word == "with":
            w = _WITH_DOT.fullmatch(a.group("body"))
            fields.append(w.group("path") if w else "\x00")
        elif word in ("if", "range", "define", "block"):
            fields.append("")
        elif word == "end" and fields:
            fields.pop()
    if "\x00" in fields:
        return None
    chain = [f for path in [*fields, count.group("path")] for f in path.split(".") if f]
    node: Any = context
    while chain and isinstance(node, dict):
        node = node.get(chain.pop(0))
    if not isinstance(node, str):
        return None
    rest = ".".join(chain)
    if node == "." and within:
        return f"{within}.{rest}" if rest else within
    m = re.fullmatch(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)", node)
    return f"{m.group(1).lstrip('.')}.{rest}" if m and rest else None


# `range .Values.x`, `range $w := $ctx.Values.x`, `range $i, $w := .Values.x`
_RANGE = re.compile(
    r"range\s+(?:(?:\$[A-Za-z_]\w*\s*,\s*)?(?P<var>\$[A-Za-z_]\w*)\s*:?=\s*)?"
    r"\$?[A-Za-z_]*\.Values(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*"
)


@dataclass
class _OpenRange:
    """The values list a ``{{ range }}`` still open walks over: its path, the variables bound to
    its item (``range $w := …``, or ``{{ $service := . }}`` inside it) and whether the dot is
    still the item (an inner ``range $i := until 2`` moves it to a number)."""

    path: str
    names: list[str]
    dot: bool


# `{{- $service := . -}}`: a variable bound to the dot where it is written
_DOT_ALIAS = re.compile(r"(?P<name>\$[A-Za-z_]\w*)\s*:=\s*\.")


def _open_range(before: str) -> _OpenRange | None:
    """The values list a ``{{ range }}`` still open at the end of ``before`` walks over (the
    innermost), the variables bound to each item, and whether the dot is that item; None outside
    a range over values, or when a ``with`` inside it has moved the dot elsewhere."""
    # each open block: [range match or None (a range over anything else), item names], "with"
    # (it moves the dot too), or "" (`if`, `define`, `block`: the dot stays where it was)
    stack: list[tuple[re.Match[str] | None, list[str]] | str] = []
    for m in _ACTION.finditer(before):
        body = m.group("body")
        word = body.split(None, 1)[0] if body else ""
        if word == "range":
            rm = _RANGE.fullmatch(body)
            stack.append((rm, [rm.group("var")] if rm and rm.group("var") else []))
        elif word == "with":
            stack.append("with")
        elif word in ("if", "define", "block"):
            stack.append("")
        elif word == "end" and stack:
            stack.pop()
        elif word.startswith("$") and _DOT_ALIAS.fullmatch(body):
            inner = next((b for b in reversed(stack) if b != ""), None)
            if isinstance(inner, tuple) and inner[0] is not None:
                inner[1].append(body.split(":=")[0].strip())  # bound where the dot is the item
    movers = [b for b in stack if b != ""]
    for depth, block in enumerate(reversed(movers)):
        if block == "with":
            return None  # a `with` has moved the dot somewhere this reading does not follow
        assert isinstance(block, tuple)
        if block[0] is not None:
            return _OpenRange(block[0].group("path").lstrip("."), block[1], depth == 0)
    return None


# `{{ . }}`: the dot alone (not `.x`, `$.x`, `x.y`)
_DOT_ALONE = re.compile(r"(?<![\w$)\].\"])\.(?![\w.])")
_WITH = re.compile(r"with\s+\$?\.Values(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*")
# `with (mustMergeOverwrite ($.Values.x | deepCopy) (dict "isHook" false))`: a copy of that map
# with a few keys of the chart's own added (matrix-stack); its other keys read from the values.
# Also with one variable's map merged in between (`($details | deepCopy)`, synapse's process
# details): read as `x` too, an approximation where that map overrides a key
_WITH_COPY = re.compile(
    r"with\s+\(\s*(?:mustMergeOverwrite|mergeOverwrite)\s+\(\s*\$?\.Values(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)"
    r"\s*\|\s*deepCopy\s*\)(?:\s+\(\s*\$[A-Za-z_]\w*\s*\|\s*deepCopy\s*\))?"
    r"\s+\(dict(?:\s+\"[A-Za-z_]\w*\"\s+(?:true|false|\"[^\"]*\"|\$[A-Za-z_]\w*))*\s*\)\s*\)\s*"
)
_WITH_FIELD = re.compile(r"with\s+(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*")


def _open_with(before: str) -> str | None:
    """The values path a ``{{ with .Values.x }}`` still open at the end of ``before`` moves the dot
    to, when it is the innermost block that moves the dot (a ``range`` does too); else None."""
    stack: list[str | None] = []  # per open block: its path (with), None (range), "" (if, ...)
    for m in _ACTION.finditer(before):
        body = m.group("body")
        word = body.split(None, 1)[0] if body else ""
        if word == "with":
            w = _WITH.fullmatch(body) or _WITH_COPY.fullmatch(body)
            inner = _WITH_FIELD.fullmatch(body)
            outer = next((b for b in reversed(stack) if b != ""), None)
            if w:
                stack.append(w.group("path").lstrip("."))
            elif inner and outer:  # `{{ with .sfu }}` inside `{{ with $.Values.matrixRTC }}`
                stack.append(f"{outer}{inner.group('path')}")
            else:
                stack.append(None)
        elif word == "range":
            stack.append(None)
        elif word in ("if", "define", "block"):
            stack.append("")
        elif word == "end" and stack:
            stack.pop()
    return next((b for b in reversed(stack) if b != ""), None)


def naming_rank(path: str) -> int:
    """Which values path read by a template's ``replicas:`` lines names its component: a replica
    count key first, any other path next, a ``global.`` path (shared by every subchart) last."""
    if path.startswith("global."):
        return 2
    return 0 if path.rsplit(".", 1)[-1] in ("replicaCount", "replicas") else 1


def _without_comment(expr: str) -> str:
    """A line's value without a YAML comment after it (``1  # Set the desired number``); a ``#``
    inside a template action (a brace after it) is the template's text, left alone."""
    m = _COMMENT_MARK.search(expr)
    if m is None or "{" in expr[m.end() :] or "}" in expr[m.end() :]:
        return expr
    return expr[: m.start()].rstrip()


def _item_field(expr: str | None, ranged: _OpenRange) -> str | None:
    """The field of the range's item a replica count reads (``.replicas``, ``$w.replicas``, also
    with a ``default``: the item's value, when it is set, is what renders)."""
    text = (expr or "").strip()
    head, bar, tail = text.rpartition("|")
    if bar and re.fullmatch(r"default\s+\d+", tail.strip()):
        text = head.strip()  # `.replicas | default 1`
    elif text.startswith("default"):
        words = text.split()
        text = words[2] if len(words) == 3 and words[0] == "default" and words[1].isdigit() else text
    m = re.fullmatch(r"(?P<at>\$[A-Za-z_]\w*)?\.(?P<f>[A-Za-z_][A-Za-z0-9_]*)", text)
    if m is None or (m.group("at") not in ranged.names if m.group("at") else not ranged.dot):
        return None
    return m.group("f")


def _reads_item(branches: list[ReplicaBranch], ranged: _OpenRange) -> bool:
    """Whether the guards of a template's ``replicas:`` lines read the item of the range around
    it (``eq $service.name "yb-masters"``): then each item renders its own branch."""
    text = " ".join(g for b in branches for g in b.guards)
    return any(re.search(re.escape(n) + r"\.[A-Za-z_]", text) for n in ranged.names) or bool(
        ranged.dot and any(m.group("field") not in _ROOT_OBJECTS for m in _DOT_READ.finditer(text))
    )


def _lines_from(text: str, pos: int) -> Iterator[str]:
    """The lines of ``text`` from ``pos`` on, one at a time: a caller that stops early (a block's
    end) never splits the rest of a long template."""
    while pos <= len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        yield text[pos:end]
        pos = end + 1


def _block_lines(
    pb: re.Match[str], body: str, helpers: dict[str, str], guards: GuardIndex, offset: int
) -> Iterator[tuple[str, Callable[[], list[str]]]]:
    """The lines of a placement block, each with a way to get the ``{{ if }}`` guards open there
    (``guards`` indexes the template whose ``body`` starts at ``offset``), with the body of a
    helper of this chart it includes (on the key's line or on a line of its own) put in its
    place, one level deeper than the key, under the helper's own guards."""
    inner = " " * (len(pb.group("indent").expandtabs()) + 2)
    at_key = pb.start("key") + offset
    first = [(pb.group("inc"), at_key)] if pb.group("inc") else []
    parts: dict[str, str] | None = None  # what each variable of the block is written as
    for text, pos in chain(first, _lines_at(body, pb.end() + 1, offset)):
        call = _HELPER_CALL.search(text) if text.strip().startswith("{{") else None
        helper = helpers.get(call.group("name")) if call else None
        if helper is None:
            yield text, partial(guards.at, pos)
            continue
        # `{{- include "app.affinity" . | nindent 8 }}` (a helper's own includes are not followed)
        outer = guards.at(pos)
        text_of = strip_comments(helper)
        own = GuardIndex(text_of)
        into = _ASSIGN.search(text)
        if into is not None and parts is None:
            parts = _written_parts(body[pb.end() :])  # once per block, however many includes
        part = parts.get(into.group("name")) if into is not None and parts else None
        if part is not None:
            # yugabyte: `$base := include "yugabyte.podAntiAffinity" … | fromYaml`, later written
            # by `set $affinity "podAntiAffinity" $base`: the helper's terms, under that part
            yield inner + part + ":", partial(guards.at, pos)
        indent = inner + ("  " if part is not None else "")
        for line, at in _lines_at(text_of, 0, 0):
            yield indent + line, partial(_joined, outer, own, at)


# `{{- $_ := set $root.Values.master.affinity "podAntiAffinity" $podAntiAffinityData -}}`
_SET_PART = re.compile(r'\bset\s+\S+\s+"(?P<part>podAntiAffinity|podAffinity|nodeAffinity)"\s+(?P<var>\$\w+)')
# `$a := expr`, `$a = expr`: which variables a variable is computed from
_FEEDS = re.compile(r"\{\{-?\s*(?P<name>\$\w+)\s*:?=\s*(?P<expr>[^{}]*?)\s*-?\}\}")


def _written_parts(text: str) -> dict[str, str]:
    """The part of a pod's affinity (``podAntiAffinity``…) each variable is written as, through the
    variables computed from it (``$data := $base``, ``$data = mustMerge $base $user``), where
    ``text`` writes one with ``set … "podAntiAffinity" $data``."""
    if "set" not in text:
        return {}
    feeds: dict[str, set[str]] = {}
    for m in _FEEDS.finditer(text):
        feeds.setdefault(m.group("name"), set()).update(re.findall(r"\$\w+", m.group("expr")))
    parts: dict[str, str] = {}
    for m in _SET_PART.finditer(text):
        todo = [m.group("var")]
        while todo:
            name = todo.pop()
            if name not in parts:
                parts[name] = m.group("part")  # each variable walked once: linear in the block
                todo.extend(feeds.get(name, ()))
    return parts


def _joined(outer: list[str], own: GuardIndex, at: int) -> list[str]:
    """The guards at ``at`` inside a helper, after those around the call that includes it."""
    return outer + own.at(at)


def _lines_at(text: str, pos: int, offset: int) -> Iterator[tuple[str, int]]:
    """``_lines_from`` with each line's start, shifted by ``offset``."""
    for line in _lines_from(text, pos):
        yield line, pos + offset
        pos += len(line) + 1


# `{{ toYaml $root.Values.master.affinity | nindent 8 }}`
_WRITES_VALUES = re.compile(r"toYaml\s+\$?\w*\.Values\.(?P<path>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)")


def _literal_placement(
    pb: re.Match[str],
    body: str,
    helpers: dict[str, str],
    guards: GuardIndex,
    offset: int,
    merged: list[tuple[str, list[str]]] | None = None,
) -> list[PlacementTerm]:
    """The topology keys a placement block (``pb``, matched in ``body``) writes, each with the
    guards around it inside the block; none when it writes none (``{{ toYaml .Values.affinity }}``).
    The block runs over the lines indented deeper than its key, and lines of template actions;
    a helper of the chart it includes is read in its place (``helpers``: bodies by name)."""
    depth = len(pb.group("indent").expandtabs())
    around = guards.at(pb.start("key") + offset)
    terms: list[PlacementTerm] = []
    part, mode = None, None
    for text, guards_here in _block_lines(pb, body, helpers, guards, offset):
        bare = text.strip()
        if bare.startswith("{{") and bare.endswith("}}"):
            # `{{- end }}`, `{{- with … }}`: no part of the block's YAML; `{{ toYaml
            # $root.Values.master.affinity }}` writes the values' own block here too
            wm = _WRITES_VALUES.search(bare)
            if wm and merged is not None and wm.group("path").rsplit(".", 1)[-1] == pb.group("key"):
                merged.append((wm.group("path"), _inner(guards_here(), around)))
            continue
        if bare and len(text) - len(text.lstrip()) <= depth:
            break
        pm = _AFFINITY_PART.match(text)
        if pm:
            word = pm.group("part")
            if word.endswith("Execution"):
                mode = word
            else:
                part, mode = word, None
            continue
        rm = _AFFINITY_MODE_READ.match(text) if part == "podAntiAffinity" else None
        if rm:
            mode = "=" + rm.group("path")  # the field is the value at that path (see render)
            continue
        km = _TOPOLOGY_KEY.match(text)
        if km is None:
            continue
        key = km.group("v") or ValuesRead(km.group("path"))
        kind = "spread" if pb.group("key") == "topologySpreadConstraints" else mode
        if kind == "spread" or (part == "podAntiAffinity" and mode is not None):
            terms.append(PlacementTerm(kind or "", key, _inner(guards_here(), around)))
    return terms


# `dig "replicas" 1 (.Values.buildermgr | default dict)` (fission): sprig's dig walks the keys
# into the map and falls back to the default, the same as `.Values.buildermgr.replicas | default 1`
_DIG_READ = re.compile(
    r"\bdig\s+(?P<keys>(?:\"[A-Za-z0-9_-]+\"\s+)+)(?P<default>[^\s()]+)\s+"
    r"(?:\(\s*)?\$?\.Values(?P<path>(?:\.[A-Za-z0-9_-]+)+)(?:\s*\|\s*default\s+dict)?(?:\s*\))?"
)


def _dig_as_default(m: re.Match[str]) -> str:
    """A ``dig`` read of a values map, written as the path it reads with its default."""
    keys = "".join("." + k for k in re.findall(r"\"([^\"]+)\"", m.group("keys")))
    return f".Values{m.group('path')}{keys} | default {m.group('default')}"


def _replica_branch(
    rm: re.Match[str],
    stripped: str,
    offset: int,
    guards: GuardIndex,
    outer: list[str],
    helpers: dict[str, str],
) -> ReplicaBranch:
    """One ``replicas:`` line of a workload's document (``rm`` matched in the text after its kind
    line, which starts at ``offset``): a number, a values path, or a count the template computes."""
    # `replicas: 1  # Set the desired number of replicas` (kubeshark): a YAML comment after the
    # value is no part of it (a `#` inside an action is template text, left alone)
    expr = _DIG_READ.sub(_dig_as_default, _without_comment(rm.group("expr")))
    branch = ReplicaBranch(
        stripped.count("\n", 0, offset + rm.start("expr")) + 1, _inner(guards.at(offset + rm.start()), outer)
    )
    if expr.isdigit():
        branch.literal = int(expr)
        return branch
    choice = _LITERAL_CHOICE.fullmatch(expr)
    if choice:
        # `replicas: {{- if eq .Values.distribution "eks/fargate" }} 2 {{- else }} 1 {{- end }}`
        # (splunk's cluster receiver): a number written in the template, chosen per environment
        branch.expr = f"ternary {choice.group('then')} {choice.group('other')} ({choice.group('cond')})"
        return branch
    if "{{" in expr and "." in expr:
        # `{{- with .Values.replicas }}replicas: {{ . }}{{- end }}`: the dot is that value
        within = _open_with(stripped[: offset + rm.start()])
        expr = _DOT_ALONE.sub(f".Values.{within}", _item_reads(expr, within)) if within else expr
    action = re.fullmatch(r"\{\{-?\s*(?P<e>[^{}]*?)\s*-?\}\}", expr)
    if action and not re.fullmatch(r"\$?\.Values(?:\.[A-Za-z0-9_-]+)+", action.group("e")):
        branch.expr = action.group("e")  # computed: `gt (… | int) 1 | ternary 1 …`
    paths = [p.lstrip(".") for p in _VALUES_PATH.findall(expr)]
    for call in _HELPER_CALL.finditer(expr):
        helper = helpers.get(call.group("name"), "")
        paths += [p.lstrip(".") for p in _REPLICA_PATH.findall(helper)]
    branch.paths = list(dict.fromkeys(p for p in paths if not p.endswith((".enabled", ".create"))))
    return branch


# a count chosen between two numbers written in the template, on its `replicas:` line
_LITERAL_CHOICE = re.compile(
    r"\{\{-?\s*if\s+(?P<cond>[^{}]*?)\s*-?\}\}\s*(?P<then>\d+)\s*\{\{-?\s*else\s*-?\}\}\s*(?P<other>\d+)"
    r"\s*\{\{-?\s*end\s*-?\}\}"
)


def _inner(open_guards: list[str], outer: list[str]) -> list[str]:
    """The guards open at a line below the kind line, without those around the kind itself,
    when they still enclose it. A kind chosen in `{{ if }}…{{ else }}…{{ end }}` (groundhog2k's
    redis: Deployment when non-HA) closes before `replicas:`: then every open guard counts."""
    if open_guards[: len(outer)] == outer:
        return open_guards[len(outer) :]
    return open_guards


def inline_helpers(guard: str, helpers: dict[str, str], depth: int = 3) -> str:
    """A guard with each ``include "x.enabled" .`` of a yes/no helper replaced by the helper's
    own condition, so it can be evaluated (bitnami's ``mongodb.arbiter.enabled``). A condition
    that includes another helper is inlined in turn, a few levels deep (fission's
    ``tenancyControllerEnabled`` compares ``include "fission.tenancyMode"``, one ``dig``)."""
    if "include" not in guard:
        return guard

    def inline(m: re.Match[str]) -> str:
        body = strip_comments(helpers.get(m.group("name"), "")).strip()
        if m.group("root"):
            body = ""  # a `(dict "root" $)` context: only the full reading below knows `.root`
        b = _BOOLEAN_HELPER.match(body)
        if b:
            cond = _DIG_READ.sub(_dig_as_default, b.group("cond"))
            return f"({inline_helpers(cond, helpers, depth - 1) if depth > 0 else cond})"
        single = _SINGLE_ACTION.fullmatch(body)
        if single and _DIG_READ.fullmatch(single.group("e")):
            # `{{- dig "mode" "static" (.Values.tenancy | default dict) -}}`: the value it prints
            return f"({_DIG_READ.sub(_dig_as_default, single.group('e'))})"
        chosen = _value_helper(body)
        if chosen:
            return f"({chosen})"
        # any other body: what it renders, evaluated per environment (a helper of helpers:
        # splunk's `clusterReceiverEnabled` ands three other helpers' answers)
        rendered = helper_expression(m.group("name"), helpers, root=m.group("root"))
        if not rendered:
            return m.group(0)
        # the call's own parentheses stay (`(include "x" (dict "root" $) | fromJson)`: the
        # opening one matched, the closing one after the pipe)
        opened, closed = m.group(0).startswith("("), m.group("close") is not None
        return ("(" if opened else "") + f"({rendered})" + (")" if closed else "")

    return _INCLUDE_CALL.sub(inline, guard)


# a helper body that is one template action and nothing else
# (the define's own `end` may follow)
_SINGLE_ACTION = re.compile(r"\{\{-?\s*(?P<e>[^{}]*?)\s*-?\}\}\s*(?:\{\{-?\s*end\s*-?\}\}\s*)?")


# a helper whose whole body picks one of two words (the define's own `end` may follow)
_INLINE_CHOICE = re.compile(
    r"\{\{-?\s*if\s+(?P<cond>[^{}]*?)\s*-?\}\}\s*(?P<then>\w+)\s*\{\{-?\s*else\s*-?\}\}\s*(?P<other>\w+)"
    r"\s*\{\{-?\s*end\s*-?\}\}\s*(?:\{\{-?\s*end\s*-?\}\}\s*)?"
)
_PRINTED = re.compile(r'(?:printf?|print)?\s*"(?P<word>[^"\\{}]*)"')


def _value_helper(body: str) -> str | None:
    """A helper that prints one word chosen by an ``if``/``else if``/``else`` chain (kubecost's
    ``frontend.deployMethod``: ``haMode`` when ``kubecostFrontend.deployMethod`` says so, else
    ``singlepod``) as one expression (nested ``ternary``), so that a guard such as
    ``eq (include "frontend.deployMethod" .) "haMode"`` can be evaluated; None for any other body."""
    inline = _INLINE_CHOICE.fullmatch(body)
    if inline:  # vcluster's kind: `{{ if COND }}StatefulSet{{ else }}Deployment{{ end }}`
        return f'ternary "{inline.group("then")}" "{inline.group("other")}" ({inline.group("cond")})'
    if "{{" not in body or _ACTION.sub("", body).strip():
        return None  # text outside the actions: it renders more than a word
    branches: list[tuple[str | None, str | None]] = []  # (condition, word printed)
    depth = 0
    for m in _ACTION.finditer(body):
        action = m.group("body").strip().lstrip("-").strip()
        word = action.split(None, 1)[0] if action else ""
        if word == "if":
            if depth or branches:
                return None  # nested or a second chain: not this shape
            depth = 1
            branches.append((action[2:].strip(), None))
        elif word == "else" and depth == 1:
            rest = action[4:].strip()
            branches.append((rest[2:].strip() if rest.startswith("if ") else None, None))
        elif word == "end" and depth == 1:
            depth = 0
        elif word == "end" and branches:
            break  # the `define`'s own end: the body runs to the next define
        elif word == "fail" and branches and branches[-1][1] is None:
            branches[-1] = (branches[-1][0], "\x00fail")  # refused by the chart: unknown
        elif (p := _PRINTED.fullmatch(action)) and branches and branches[-1][1] is None:
            branches[-1] = (branches[-1][0], p.group("word"))
        else:
            return None
    if depth or not branches or any(w is None for _, w in branches):
        return None
    expr = '""'  # no `else`: prints nothing
    if branches[-1][0] is None:
        expr = _word(branches.pop()[1])
    for cond, printed in reversed(branches):
        expr = f"ternary {_word(printed)} ({expr}) ({cond})"
    return expr


# --- a helper's output as one expression ------------------------------------------------------
# Helpers are attacker-controlled: how deep includes are followed, and how long the expression
# they build may grow, are bounded (a helper that includes itself stops at the depth).
HELPER_RENDER_DEPTH = 6
_MAX_HELPER_EXPR = 64 * 1024
_UNRENDERABLE = ("with", "range", "define", "block")
# functions that change a map in place: the helper's output then depends on order of effects
_MUTATING = re.compile(r"\b(?:set|unset|setd|append|mustAppend|merge|mergeOverwrite|mustMerge|deepCopy)\b")
_VARIABLE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")
# `.Values` read from the dot itself, not through a variable (`$root.Values`, `$.Values`)
_BARE_VALUES = re.compile(r"(?<![\w$)\]])\.Values\b")


def _template_items(body: str) -> list[tuple[str, str]] | None:
    """A template body as ("text", …) and ("action", …) items, whitespace trimmed where the
    action says so (``{{-``, ``-}}``); None when an action is never closed."""
    items: list[tuple[str, str]] = []
    pos = 0
    trim_next = False
    while True:
        start = body.find("{{", pos)
        text = body[pos:] if start < 0 else body[pos:start]
        if trim_next:
            text = text.lstrip()
        if start < 0:
            items.append(("text", text))
            return items
        end = body.find("}}", start + 2)
        if end < 0:
            return None
        action = body[start + 2 : end]
        if action.startswith("- ") or action.startswith("-\n") or action == "-":
            text = text.rstrip()
            action = action[1:]
        trim_next = action.endswith((" -", "\n-"))
        if trim_next:
            action = action[:-1]
        items.append(("text", text))
        items.append(("action", action.strip()))
        pos = end + 2


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _HelperCompiler:
    """Turns a helper's body (text, ``if``/``else``/``end``, ``$x := expr``, printed
    expressions, ``fail``) into one expression of this module's evaluator, whose value is the
    text the helper renders. Anything else (``range``, ``with``, functions that change maps)
    makes the whole helper unknown (None)."""

    def __init__(self, helpers: dict[str, str], depth: int, root: str | None = None) -> None:
        self.helpers = helpers
        self.depth = depth
        # the key the caller handed the top scope under (`(dict "root" $)`): `.root` is `$`
        self.root = root
        # characters this reading may still take in: checked as it grows, never after (a helper
        # using a variable or an include a thousand times must not build megabytes first)
        self.budget = _MAX_HELPER_EXPR

    def compile(self, body: str) -> str | None:
        items = _template_items(strip_comments(body))
        if items is None:
            return None
        try:
            parts, i, stop = self._block(items, 0, {})
        except (_TooLarge, RecursionError):  # RecursionError: `if`s nested thousands deep
            return None
        if parts is None or stop not in ("end", None):
            return None  # a stray `else`: not a body this reader understands
        return f"(__render {' '.join(parts)})" if parts else '""'

    def _spend(self, size: int) -> None:
        self.budget -= size
        if self.budget < 0:
            raise _TooLarge

    def _expr(self, expr: str, names: dict[str, str]) -> str | None:
        if _MUTATING.search(expr):
            return None
        if self.root and _BARE_VALUES.search(expr):
            return None  # `.Values` of a `(dict "root" $)` context is nothing helm would render

        def variable(m: re.Match[str]) -> str:
            value = names.get(m.group(0), m.group(0))
            self._spend(len(value))
            return value

        expr = _VARIABLE.sub(variable, expr)
        if "include" in expr or "template" in expr:
            expr = _INCLUDE_CALL.sub(self._include, expr)
        self._spend(len(expr))
        return expr

    def _include(self, m: re.Match[str]) -> str:
        inner = helper_expression(m.group("name"), self.helpers, self.depth - 1, m.group("root"))
        opened, closed = m.group(0).startswith("("), m.group("close") is not None
        if inner is None:
            return m.group(0)
        self._spend(len(inner))
        return ("(" if opened else "") + inner + (")" if closed else "")

    def _block(
        self, items: list[tuple[str, str]], i: int, outer: dict[str, str]
    ) -> tuple[list[str] | None, int, str | None]:
        """Parts of the text up to an ``else``/``end`` (returned as the stop word)."""
        names = dict(outer)  # variables declared in this block end with it
        parts: list[str] = []
        while i < len(items):
            kind, content = items[i]
            i += 1
            if kind == "text":
                if content:
                    parts.append(_quoted(content))
                continue
            word = content.split(None, 1)[0] if content else ""
            if word == "end" or word == "else":
                return parts, i - 1, word
            if word == "range":
                i = self._range(items, i, content, names)
                if i < 0:
                    return None, -i, None
                continue
            if word in _UNRENDERABLE:
                return None, i, None
            if word == "if":
                chosen, i = self._if(items, i, content[2:].strip(), names)
                if chosen is None:
                    return None, i, None
                parts.append(chosen)
                continue
            if word == "fail":
                parts.append("(fail)")  # refused by the chart: unknown when it renders
                continue
            assign = re.fullmatch(r"(\$[A-Za-z_][A-Za-z0-9_]*)\s*(:?=)\s*(.+)", content, re.S)
            if assign:
                if assign.group(2) == "=" and assign.group(1) not in names:
                    return None, i, None  # reassigned from another block: order of effects
                if self.root and assign.group(3).strip() == f".{self.root}":
                    names[assign.group(1)] = "$"  # `$root := .root`: the top scope
                    continue
                value = self._expr(assign.group(3), names)
                if value is None:
                    return None, i, None
                names[assign.group(1)] = f"({value})"
                continue
            if word == "template":
                content = "include" + content[len("template") :]
            value = self._expr(content, names)
            if value is None:
                return None, i, None
            parts.append(f"(__printed ({value}))")
        return parts, i, None

    def _range(self, items: list[tuple[str, str]], i: int, head: str, names: dict[str, str]) -> int:
        """One shape of ``range`` only, a map filtered into a ``dict`` variable (matrix-stack's
        ``enabledWorkers``: ``range $k, $v := $root.Values.synapse.workers`` then ``if
        $v.enabled`` then ``$_ := set $m $k $v``): the variable becomes ``__pick MAP "COND"``,
        evaluated per environment over at most ``_MAX_PICKED`` items. The index after its
        ``end``; negative (unknown) for any other body."""
        m = _RANGE_MAP.fullmatch(head)
        if m is None:
            return -i
        source = self._expr(m.group("src"), names)
        body = items[i : i + 8]  # text before each action: `if`, `set`, `end`, `end`
        kinds = [k for k, _ in body]
        if source is None or kinds != ["text", "action"] * 4:
            return -i
        words = [c for k, c in body if k == "action"]
        picked = _PICK_SET.fullmatch(words[1])
        if (
            not words[0].startswith("if ")
            or words[2] != "end"
            or words[3] != "end"
            or any(c.strip() for k, c in body if k == "text")
            or picked is None
            or (picked.group("key"), picked.group("item")) != (m.group("key"), m.group("item"))
            or names.get(picked.group("map")) != "(dict)"
        ):
            return -i
        cond = _VARIABLE.sub(
            lambda v: _PICKED_ITEM if v.group(0) == m.group("item") else v.group(0), words[0][3:].strip()
        )
        if m.group("key") in cond:
            return -i  # the condition reads the key: not this shape
        test = self._expr(cond, names)
        if test is None or any(c in test for c in '"`\\'):
            return -i  # the condition is carried as one quoted string: nothing to escape
        names[picked.group("map")] = f'(__pick ({source}) "{test}")'
        return i + 8

    def _if(
        self, items: list[tuple[str, str]], i: int, cond: str, names: dict[str, str]
    ) -> tuple[str | None, int]:
        """An ``if`` chain as nested ``ternary`` expressions; the index after its ``end``."""
        test = self._expr(cond, names)
        then, i, stop = self._block(items, i, names)
        if test is None or then is None or stop is None:
            return None, i
        then_expr = f"(__render {' '.join(then)})" if then else '""'
        i += 1  # past the `else` / `end`
        other = '""'
        if stop == "else":
            rest = items[i - 1][1][4:].strip()
            if rest.startswith("if "):
                chained, i = self._if(items, i, rest[3:].strip(), names)
                if chained is None:
                    return None, i
                return f"(ternary {then_expr} {chained} ({test}))", i
            parts, i, stop = self._block(items, i, names)
            if parts is None or stop != "end":
                return None, i
            other = f"(__render {' '.join(parts)})" if parts else '""'
            i += 1
        return f"(ternary {then_expr} {other} ({test}))", i


# `range $workerType, $workerDetails := $root.Values.synapse.workers`
_RANGE_MAP = re.compile(
    r"range\s+(?P<key>\$[A-Za-z_][A-Za-z0-9_]*)\s*,\s*(?P<item>\$[A-Za-z_][A-Za-z0-9_]*)\s*:=\s*"
    r"(?P<src>\$?[A-Za-z_]*\.Values(?:\.[A-Za-z0-9_-]+)+)"
)
# `$_ := set $enabledWorkers $workerType $workerDetails`
_PICK_SET = re.compile(
    r"\$_\s*:=\s*set\s+(?P<map>\$[A-Za-z_][A-Za-z0-9_]*)\s+(?P<key>\$[A-Za-z_][A-Za-z0-9_]*)\s+"
    r"(?P<item>\$[A-Za-z_][A-Za-z0-9_]*)"
)
# where `__pick` puts the item it tests (a key no values file can shadow: `.` is not in it)
_PICKED_ITEM = "$.Values.\x00item"
_MAX_PICKED = 256


def helper_expression(
    name: str, helpers: dict[str, str], depth: int = HELPER_RENDER_DEPTH, root: str | None = None
) -> str | None:
    """What ``include "name" .`` renders, as one expression to evaluate against each
    environment's values (rocketchat's ``streamHub.enabled`` prints a value or ``true``;
    kubescape's ``components`` writes YAML that ``fromYaml`` reads); None when the helper is
    missing, too deep, too large, or written with actions this reader does not follow."""
    if depth <= 0 or name not in helpers:
        return None
    key = (id(helpers), name, depth, root)
    cached = _COMPILED.get(key)
    if cached is not None and cached[0] is helpers:
        return cached[1]
    expr = _HelperCompiler(helpers, depth, root).compile(helpers[name])
    if expr is not None and len(expr) > _MAX_HELPER_EXPR:
        expr = None
    if len(_COMPILED) >= _MAX_COMPILED:
        _COMPILED.clear()
    # each helper read once per level for a chart: a helper including many others, each
    # including many more, costs helpers x levels readings, not a power of them
    _COMPILED[key] = (helpers, expr)
    return expr


class _TooLarge(Exception):
    """A helper's reading grew past ``_MAX_HELPER_EXPR``."""


# (id of the chart's helpers, name, depth) -> (those helpers, the reading); the helpers are kept
# so that the id cannot be reused by another chart's while the entry lives
_COMPILED: dict[tuple[int, str, int, str | None], tuple[dict[str, str], str | None]] = {}
_MAX_COMPILED = 4096


def _word(printed: str | None) -> str:
    return "fail" if printed == "\x00fail" else f'"{printed}"'


def template_variables(before: str, helpers: dict[str, str] | None = None) -> dict[str, str]:
    """``{{ $name := expr }}`` assignments in a template before some point (the last one wins),
    so guards such as ``{{ if $autoHTTPS }}`` can be evaluated. With the chart's ``helpers``, a
    variable computed by one is what it renders (kubescape: ``$components := fromYaml (include
    "components" .)`` then ``{{ if $components.synchronizer.enabled }}``)."""
    found = {m.group("name"): m.group("expr") for m in _ASSIGN.finditer(before)}
    if helpers:
        found = {k: inline_helpers(v, helpers) if "include" in v else v for k, v in found.items()}
    return found


def fallback_variables(before: str, guards: GuardIndex) -> dict[str, str]:
    """Variables declared from a values path whose later assignments are all fallbacks for an
    empty value (``{{ $password := .Values.auth.password }}`` then, under ``{{ if not $password
    }}``, ``{{ $password = randAlphaNum 40 }}``): when the value is set, the variable holds it,
    whatever ``template_variables``' last assignment says."""
    declared: dict[str, str] = {}
    overridden: set[str] = set()
    for m in _ASSIGN.finditer(before):
        name, expr = m.group("name"), m.group("expr")
        if name not in declared:
            if re.fullmatch(r"\$?\.Values(?:\.[A-Za-z_][A-Za-z0-9_-]*)+", expr):
                declared[name] = expr
            else:
                overridden.add(name)  # declared from something else first
            continue
        empty = (f"not {name}", f"empty {name}")
        if not any(g.strip() in empty for g in guards.at(m.start())):
            overridden.add(name)
    return {name: expr for name, expr in declared.items() if name not in overridden}


def strip_comments(text: str) -> str:
    """``{{/* ... */}}`` comments blanked (their newlines kept, so lines still count), in one
    pass with ``str.find``: an unclosed comment ends the scan instead of being searched again."""
    out: list[str] = []
    pos = 0
    while True:
        m = _COMMENT_OPEN.search(text, pos)
        if m is None:
            break
        close = text.find("*/", m.end())
        end = text.find("}}", close) if close >= 0 else -1
        if end < 0:
            break
        out += [text[pos : m.start()], "\n" * text.count("\n", m.start(), end + 2)]
        pos = end + 2
    out.append(text[pos:])
    return "".join(out)


class GuardIndex:
    """The ``{{ if }}`` conditions open at any position of a template, from one pass over its
    actions (``with``/``range`` blocks are tracked so their ``end`` closes them, not an
    ``if``; ``else`` turns the open condition into its negation)."""

    def __init__(self, text: str) -> None:
        self.ends: list[int] = []
        # The open blocks after each action, as a linked stack (condition, below): one node per
        # action, so a deeply nested hostile template costs linear time, not a copy per action.
        self.tops: list[tuple[str | None, Any] | None] = []
        top: tuple[str | None, Any] | None = None
        for m in _ACTION.finditer(text):
            body = m.group("body")
            word = body.split(None, 1)[0] if body else ""
            if word == "if":
                top = (body[2:].strip(), top)
            elif word in ("with", "range", "define", "block"):
                top = (None, top)
            elif word == "end" and top is not None:
                top = top[1]
            elif word == "else" and top is not None and top[0] is not None:
                rest = body[4:].strip()
                negated = f"not ({top[0]})"
                top = (f"and ({negated}) ({rest[2:].strip()})" if rest.startswith("if") else negated, top[1])
            else:
                continue
            self.ends.append(m.end())
            self.tops.append(top)

    def at(self, pos: int) -> list[str]:
        """Conditions open at ``pos``, outermost first."""
        i = bisect_right(self.ends, pos) - 1
        node = self.tops[i] if i >= 0 else None
        out: list[str] = []
        while node is not None:
            if node[0] is not None:
                out.append(node[0])
            node = node[1]
        return out[::-1]


def _open_guards(before: str) -> list[str]:
    """The ``{{ if }}`` conditions still open at the end of ``before``."""
    return GuardIndex(before).at(len(before))


def _names(template: str, key: str) -> bool:
    """Whether a template's path names a values key (`dex/deployment.yaml` and `dex`,
    `adservice.yaml` and `adService`): the key is then the component it renders."""
    return key.lower().replace("-", "").replace("_", "") in template.lower().replace("-", "").replace("_", "")


# `.enabled` read from the dot, not `.Values.x`, `$w.x`, `(…).x` nor the middle of a path
_DOT_READ = re.compile(r"(?<![\w$)\]\.\"])\.(?P<field>[A-Za-z_][A-Za-z0-9_]*)")
_ROOT_OBJECTS = {"Values", "Release", "Chart", "Capabilities", "Template", "Files"}


def _item_reads(guard: str, prefix: str, names: list[str] | None = None, dot: bool = True) -> str:
    """A guard inside a ``range`` with the item's fields (``.enabled``, ``$service.name`` when
    ``$service`` is bound to the item) read as the values path of that item
    (``.Values.workers.0.enabled``), so it can be evaluated per item. ``dot``: whether the dot
    is the item there (not inside an inner ``range`` over numbers)."""

    def read(m: re.Match[str]) -> str:
        name = m.group("field")
        return m.group(0) if name in _ROOT_OBJECTS else f".Values.{prefix}.{name}"

    for name in names or ():
        guard = re.sub(re.escape(name) + r"(?=\.[A-Za-z_])", f".Values.{prefix}", guard)
    return _DOT_READ.sub(read, guard) if dot else guard


def _per_item(wt: WorkloadTemplate, prefix: str) -> WorkloadTemplate:
    """A template ranging over a values list, as it renders for the item at ``prefix``: every
    guard that reads the item (around the kind, a ``replicas:`` line, a strategy or placement
    block) reads that item's values."""

    def of(guards: list[str]) -> list[str]:
        return [_item_reads(g, prefix, wt.range_names, wt.range_dot) for g in guards]

    return replace(
        wt,
        guards=of(wt.guards),
        replicas_guards=of(wt.replicas_guards),
        replica_branches=[replace(b, guards=of(b.guards)) for b in wt.replica_branches],
        literal_strategies=[replace(a, guards=of(a.guards)) for a in wt.literal_strategies],
        literal_placements=[
            replace(
                p,
                guards=of(p.guards),
                terms=[replace(t, guards=of(t.guards)) for t in p.terms],
                merged=[(path, of(g)) for path, g in p.merged],
            )
            for p in wt.literal_placements
        ],
    )


def _ranged_items(values: dict[str, Any], path: str | None) -> list[tuple[str, dict[str, Any]]] | None:
    """(key, item) of the values list or map at ``path`` a template ranges over (a list's keys are
    its indices), or None when it is neither or holds anything but maps."""
    items = value_at(values, path) if path else None
    if isinstance(items, list):
        pairs = [(str(i), item) for i, item in enumerate(items)]
    elif isinstance(items, dict):
        pairs = [(str(k), item) for k, item in items.items()]
    else:
        return None
    return pairs if all(isinstance(item, dict) for _, item in pairs) else None


# a top-level count key named for its component: `webhookServerReplicas`, `workerReplicaCount`
_FLAT_COUNT = re.compile(r"(?P<stem>[a-z][A-Za-z0-9]*?)(?:Replicas|ReplicaCount)")


def find_components(templates: list[WorkloadTemplate], values: dict[str, Any]) -> list[Component]:
    """Components by their values prefix; templates that render the same one are grouped.

    Templates whose ``replicas:`` reads a values path come first, then those whose path names a
    values key, then the rest: a template reading neither is the chart's own top-level workload
    only when no such workload exists yet, else a component named by its file (an arbiter written
    with ``replicas: 1`` does not borrow the main workload's ``replicaCount``)."""
    by_prefix: dict[str, Component] = {}
    order: list[str] = []
    leftovers: list[WorkloadTemplate] = []

    def add(key: str, comp: Component, wt: WorkloadTemplate) -> None:
        if key not in by_prefix:
            by_prefix[key] = comp
            order.append(key)
        by_prefix[key].templates.append(wt)

    top_level_count = any(
        wt.replica_paths[:1] in (["replicas"], ["replicaCount"]) for wt in templates if not wt.range_path
    )
    for wt in templates:
        items = _ranged_items(values, wt.range_path)
        if items is not None:
            # one workload per item of the list (or map) the template ranges over (mastodon's
            # sidekiq workers), named by the item's `name` (or its key), its count at its field
            for key, item in items:
                label = item.get("name") if isinstance(item.get("name"), str) else key
                prefix = f"{wt.range_path}.{key}"
                # its count at the item's field, or in the branch the item picks (yugabyte)
                count = f"{prefix}.{wt.range_field}" if wt.range_field else None
                comp = Component(f"{wt.range_path}.{label}", f"{prefix}.", count)
                # `{{ if .enabled }}` inside the range reads this item
                add(f"@{wt.template}#{key}", comp, _per_item(wt, prefix))
            continue
        replica = next(iter(wt.replica_paths), None)
        if replica is None:
            continue
        if replica.startswith("global."):
            # only values every subchart shares (`global.replicaCount`): the chart's own workload
            add("", Component("", "", replica), wt)
            continue
        flat = _FLAT_COUNT.fullmatch(replica) if top_level_count else None
        if flat:
            # `replicas: {{ .Values.webhookServerReplicas }}` beside a workload reading the
            # top-level `replicas`: a component of its own (scylla-operator's webhook server). With
            # no such workload, the flat key is the chart's own count (linkerd's
            # `controllerReplicas`, shared by its control plane)
            add(f"@flat:{flat.group('stem')}", Component(flat.group("stem"), "", replica, flat=True), wt)
            continue
        prefix, ha = replica.rpartition(".")[0], None
        if prefix.endswith(".ha") or prefix == "ha":
            ha, prefix = prefix, prefix.rpartition(".")[0]
        add(prefix, Component(prefix, f"{prefix}." if prefix else "", replica, ha), wt)
    for wt in templates:
        if wt.replica_paths or _ranged_items(values, wt.range_path) is not None:
            continue
        key = wt.main_key
        if key and isinstance(values.get(key), dict) and _names(wt.template, key):
            add(key, Component(key, f"{key}.", None), wt)
        else:
            leftovers.append(wt)
    for wt in leftovers:
        if "" not in by_prefix and len(leftovers) == 1:
            add("", Component("", "", None), wt)
        else:
            stem = wt.template.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            parent = wt.template.rsplit("/", 2)[-2] if wt.template.count("/") >= 2 else ""
            name = parent if parent and parent != "templates" else stem
            add(f"@{wt.template}", Component(name, "", None), wt)
    return [by_prefix[k] for k in order]


# --- evaluating template guards ------------------------------------------------------------------
class _Unknown:
    """A value ocisec cannot compute from the values alone."""


UNKNOWN: Any = _Unknown()
# `)` with the fields read from what the parentheses give (`(.Values.federatedETL).primaryCluster`)
# is one token: a field read is written with no space after the parenthesis
_TOKEN = re.compile(r'\s*(\)(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\(|\)|\||"(?:[^"\\]|\\.)*"|`[^`]*`|[^\s()|]+)')


def guard_holds(expr: str, values: dict[str, Any], variables: dict[str, str] | None = None) -> bool | None:
    """Whether ``{{ if EXPR }}`` renders with these values: True, False, or None (unknown).
    ``variables``: the template's ``$name := expr`` assignments before the guard."""
    value = evaluate(expr, values, variables or {})
    return None if value is UNKNOWN else _truthy(value)


def evaluate(expr: str, values: dict[str, Any], variables: dict[str, str], depth: int = 0) -> Any:
    """The value of a template expression, or ``UNKNOWN``."""
    if depth > 8:
        return UNKNOWN  # variables defined through each other: give up rather than loop
    try:
        tokens = [t for t in _TOKEN.findall(expr) if t]
        value, rest = _pipeline(tokens, _Scope(values, variables, depth))
    except (IndexError, ValueError, RecursionError):
        return UNKNOWN
    return UNKNOWN if rest else value


@dataclass
class _Scope:
    values: dict[str, Any]
    variables: dict[str, str]
    depth: int


def _pick(args: list[Any], scope: _Scope) -> Any:
    """The items of a map whose condition holds (see ``_HelperCompiler._range``): each item is
    put where the condition reads it; unknown when the map, or any item's answer, is."""
    if len(args) != 2 or not isinstance(args[0], dict) or not isinstance(args[1], str):
        return UNKNOWN
    if len(args[0]) > _MAX_PICKED:
        return UNKNOWN
    out: dict[str, Any] = {}
    for key, item in args[0].items():
        held = evaluate(args[1], {**scope.values, "\x00item": item}, scope.variables, scope.depth + 1)
        if held is UNKNOWN:
            return UNKNOWN
        if _truthy(held):
            out[key] = item
    return out


def _to_json(args: list[Any]) -> Any:
    """sprig's ``toJson`` of plain data (a map a helper built, to be read back with ``fromJson``)."""
    if len(args) != 1:
        return UNKNOWN
    try:
        text = json.dumps(args[0], sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        return UNKNOWN
    return text if len(text) <= _MAX_HELPER_EXPR else UNKNOWN


def _from_json(args: list[Any]) -> Any:
    """sprig's ``fromJson`` of text a helper rendered: a map, or unknown."""
    if len(args) != 1 or not isinstance(args[0], str) or len(args[0]) > _MAX_HELPER_EXPR:
        return UNKNOWN
    try:
        data = json.loads(args[0])
    except (ValueError, RecursionError):
        return UNKNOWN
    return data if isinstance(data, dict) else UNKNOWN


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", [], {})


def _pipeline(tokens: list[str], values: _Scope) -> tuple[Any, list[str]]:
    value, tokens = _command(tokens, values)
    while tokens and tokens[0] == "|":
        fn = tokens[1]
        args, tokens = _args(tokens[2:], values)
        value = _call(fn, [*args, value])
    return value, tokens


def _args(tokens: list[str], values: _Scope) -> tuple[list[Any], list[str]]:
    args: list[Any] = []
    while tokens and tokens[0] != "|" and not tokens[0].startswith(")"):
        arg, tokens = _operand(tokens, values)
        args.append(arg)
    return args, tokens


def _command(tokens: list[str], values: _Scope) -> tuple[Any, list[str]]:
    head = tokens[0]
    if head == "__pick":
        args, rest = _args(tokens[1:], values)
        return _pick(args, values), rest
    if head in _FUNCTIONS or (head[0].isalpha() and head not in ("true", "false", "nil")):
        args, rest = _args(tokens[1:], values)
        return _call(head, args), rest
    return _operand(tokens, values)


def _operand(tokens: list[str], values: _Scope) -> tuple[Any, list[str]]:
    tok = tokens[0]
    if tok == "(":
        value, rest = _pipeline(tokens[1:], values)
        if not rest or not rest[0].startswith(")"):
            raise ValueError("unbalanced")
        fields, rest = rest[0][2:], rest[1:]
        if fields and value is not UNKNOWN:
            # `(.Values.federatedETL).primaryCluster`: a field of what the parentheses give (nil
            # when they give nothing: the idiom exists to read an unset map safely)
            value = _lookup(value, fields) if isinstance(value, dict) else None
        return value, rest
    if tok.startswith('"'):
        return _UNESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), tok[1:-1]), tokens[1:]
    if tok.startswith("`"):
        return tok[1:-1], tokens[1:]
    if tok in ("true", "false"):
        return tok == "true", tokens[1:]
    if tok == "nil":
        return None, tokens[1:]
    if re.fullmatch(r"-?\d+", tok):
        return int(tok), tokens[1:]
    if tok.startswith((".Values.", "$.Values.")) or tok in (".Values", "$.Values"):
        path = tok.split(".Values", 1)[1].lstrip(".")
        return _lookup(values.values, path), tokens[1:]
    if tok.startswith("$") and tok.split(".", 1)[0] in values.variables:
        name, _, path = tok.partition(".")
        if values.variables[name].strip() in (".", "$") and path.startswith("Values."):
            # `$root := .` then `$root.Values.replicas.master` (yugabyte): the values themselves
            return _lookup(values.values, path.removeprefix("Values.")), tokens[1:]
        value = evaluate(values.variables[name], values.values, values.variables, values.depth + 1)
        if value is UNKNOWN or not path:
            return value, tokens[1:]
        return (_lookup(value, path) if isinstance(value, dict) else UNKNOWN), tokens[1:]
    return UNKNOWN, tokens[1:]  # .Release, .Capabilities, function results


_UNESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t"}


def _lookup(values: Any, path: str) -> Any:
    # a number indexes a list: only ocisec writes such paths (an item of a ranged list, below)
    return value_at(values, path) if path else values


def _call(fn: str, args: list[Any]) -> Any:
    impl = _FUNCTIONS.get(fn)
    if impl is None or any(a is UNKNOWN for a in args) and fn not in ("and", "or", "default", "ternary"):
        return UNKNOWN
    return impl(args)


def _and(args: list[Any]) -> Any:
    if any(a is not UNKNOWN and not _truthy(a) for a in args):
        return False
    return UNKNOWN if any(a is UNKNOWN for a in args) else (args[-1] if args else True)


def _or(args: list[Any]) -> Any:
    # Go's `or`: the first non-empty argument, else the last (a helper may print it)
    for a in args:
        if a is UNKNOWN:
            return UNKNOWN if not any(b is not UNKNOWN and _truthy(b) for b in args) else True
        if _truthy(a):
            return a
    return args[-1] if args else False


def _default(args: list[Any]) -> Any:
    # `default D X` / `X | default D`: X unless empty
    if len(args) != 2:
        return UNKNOWN
    fallback, given = args
    if given is UNKNOWN:
        return UNKNOWN
    return given if _truthy(given) else fallback


def _eq(args: list[Any]) -> Any:
    # booleans compare as Go prints them: `eq (include "x.enabled" .) "true"`
    return len(args) >= 2 and any(_to_string(args[0]) == _to_string(b) for b in args[1:])


def _rendered(args: list[Any]) -> Any:
    """Text a helper renders: its parts printed as Go prints them, a missing value as nothing
    (helm replaces ``<no value>``); a map or list printed is Go's own syntax: unknown."""
    out: list[str] = []
    for a in args:
        if a is UNKNOWN or isinstance(a, (dict, list)):
            return UNKNOWN
        if a is None:
            continue
        if isinstance(a, float) and a.is_integer():
            a = int(a)
        out.append(_to_string(a))
    text = "".join(out)
    return text if len(text) <= _MAX_HELPER_EXPR else UNKNOWN


def _from_yaml(args: list[Any]) -> Any:
    """sprig's ``fromYaml`` of text a helper rendered (kubescape's ``components``): a map, or
    unknown when the text is not one (helm would give a map holding only an error)."""
    if len(args) != 1 or not isinstance(args[0], str) or len(args[0]) > _MAX_HELPER_EXPR:
        return UNKNOWN
    try:  # the bounded reader every values file goes through (alias bombs, depth)
        docs = load_yaml_documents(args[0])
    except YamlInputError:
        return UNKNOWN
    data = docs[0].data if docs else None
    return data if isinstance(data, dict) else ({} if data is None else UNKNOWN)


def _int(a: list[Any]) -> Any:
    try:
        return int(a[0]) if len(a) == 1 and a[0] is not None else (0 if a == [None] else UNKNOWN)
    except (TypeError, ValueError):
        return UNKNOWN


def _compare(op: Any) -> Any:
    def run(a: list[Any]) -> Any:
        if len(a) != 2 or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in a):
            return UNKNOWN
        return op(a[0], a[1])

    return run


def _arithmetic(op: Any) -> Any:
    """sprig's integer arithmetic (`mul $poolCount $nodeCount`: minio's replica count)."""

    def run(a: list[Any]) -> Any:
        if len(a) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in a):
            return UNKNOWN
        try:
            return op(a[0], a[1])
        except ZeroDivisionError:
            return UNKNOWN

    return run


def _ternary(a: list[Any]) -> Any:
    if len(a) != 3:
        return UNKNOWN
    if a[2] is UNKNOWN:
        # yugabyte's `$useMoveOp | ternary .Values.moveOp.replicas.master .Values.replicas.master`,
        # its switch computed by a helper: when both choices agree, the switch does not matter
        return a[0] if a[0] is not UNKNOWN and a[0] == a[1] and type(a[0]) is type(a[1]) else UNKNOWN
    return a[0] if _truthy(a[2]) else a[1]


# one choice of a `ternary`: a values path, read from the root (`$root.Values.x` after `$root := .`)
_CHOICE = re.compile(r"\$?[A-Za-z0-9_]*\.Values((?:\.[A-Za-z0-9_-]+)+)")


def chosen_path(expr: str, values: dict[str, Any], variables: dict[str, str]) -> str | None:
    """The values path a ``ternary`` between two values renders from (``COND | ternary A B`` or
    ``ternary A B COND``): the first when its condition holds, the second when it does not, and
    the second too when the condition is unknown but both give the same value (the count is that
    value either way; the second is what renders with the switch off, the chart's ordinary
    state). None for any other expression."""
    # split by hand, not by one regular expression: a hostile line stays linear
    cond, bar, call = expr.strip().rpartition("|")
    if bar and "|" in cond:
        return None
    words = call.split()
    if len(words) < 3 or words[0] != "ternary" or (len(words) != 3 if bar else len(words) < 4):
        return None
    first, second = _CHOICE.fullmatch(words[1]), _CHOICE.fullmatch(words[2])
    if first is None or second is None:
        return None
    holds = guard_holds(cond.strip() if bar else " ".join(words[3:]), values, variables)
    if holds is None:
        return second.group(1).lstrip(".") if evaluate(expr, values, variables) is not UNKNOWN else None
    return (first if holds else second).group(1).lstrip(".")


_FUNCTIONS: dict[str, Any] = {
    "add": _arithmetic(lambda x, y: x + y),
    "sub": _arithmetic(lambda x, y: x - y),
    "mul": _arithmetic(lambda x, y: x * y),
    "div": _arithmetic(lambda x, y: x // y),
    "int": _int,
    "int64": _int,
    # only the branch the condition picks needs to be known
    "ternary": _ternary,
    # sprig's `contains SUBSTR STRING` (airflow: `contains "Local" .Values.executor`)
    "contains": lambda a: a[0] in a[1] if len(a) == 2 and all(isinstance(x, str) for x in a) else UNKNOWN,
    # sprig's `has NEEDLE LIST` (karmada: `has "descheduler" .Values.components`)
    "has": lambda a: a[0] in a[1] if len(a) == 2 and isinstance(a[1], list) else UNKNOWN,
    "gt": _compare(lambda x, y: x > y),
    "lt": _compare(lambda x, y: x < y),
    "ge": _compare(lambda x, y: x >= y),
    "le": _compare(lambda x, y: x <= y),
    "and": _and,
    "or": _or,
    "not": lambda a: not _truthy(a[0]) if len(a) == 1 else UNKNOWN,
    "eq": _eq,
    "ne": lambda a: (not _eq(a)) if len(a) == 2 else UNKNOWN,
    "empty": lambda a: not _truthy(a[0]) if len(a) == 1 else UNKNOWN,
    "default": _default,
    # `index $module "replicas"`, `index .Values "ingress-nginx" "controller"`: keys with dashes
    "index": lambda a: _index(a[0], a[1:]) if a else UNKNOWN,
    # `kindIs "invalid" .Values.x.replicas` (flux2): whether the value is unset
    "kindIs": lambda a: _kind_is(a[0], a[1]) if len(a) == 2 and isinstance(a[0], str) else UNKNOWN,
    "toString": lambda a: _to_string(a[0]) if len(a) == 1 else UNKNOWN,
    # what a helper renders (see helper_expression), and what reads it back
    "__render": _rendered,
    # a printed empty string is a setting left for the install to give (bitnami ghost's host,
    # `service.loadBalancerIP: ""`): what the helper renders then is not known from the chart
    "__printed": lambda a: UNKNOWN if len(a) != 1 or a[0] == "" else a[0],
    "fromYaml": _from_yaml,
    "toJson": _to_json,
    "fromJson": _from_json,
    # `$m := dict` (an empty map a helper fills; see `__pick`) or `dict "k" v …`
    "dict": lambda a: (
        dict(zip(a[::2], a[1::2], strict=True))
        if len(a) % 2 == 0 and all(isinstance(k, str) for k in a[::2])
        else UNKNOWN
    ),
    # `hasKey .Values.microservices.streamHub "enabled"` (rocketchat)
    "hasKey": lambda a: (
        a[1] in a[0] if len(a) == 2 and isinstance(a[0], dict) and isinstance(a[1], str) else UNKNOWN
    ),
    "len": lambda a: len(a[0]) if len(a) == 1 and isinstance(a[0], (str, list, dict)) else UNKNOWN,
    # `kind: {{ title $mode }}` with `mode: statefulSet` (VictoriaMetrics): sprig's title
    # upper-cases each word's first letter and leaves the rest as written
    "title": lambda a: _title(a[0]) if len(a) == 1 and isinstance(a[0], str) else UNKNOWN,
}


def _index(container: Any, keys: list[Any]) -> Any:
    """Go's ``index``: a map's value by string key (nil where it is missing), a list's item by
    number; anything else ocisec cannot follow is unknown."""
    for key in keys:
        if isinstance(container, dict) and isinstance(key, str):
            container = container.get(key)
        elif isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container):
            container = container[key]
        else:
            return UNKNOWN
    return container


def _kind_is(kind: str, value: Any) -> Any:
    """Go's kind of a values node, for the kinds YAML gives unambiguously (numbers are left
    unknown: helm reads them as float64 or int64 depending on how they were written)."""
    kinds = {"invalid": type(None), "string": str, "map": dict, "slice": list, "bool": bool}
    if kind not in kinds or isinstance(value, (int, float)) and not isinstance(value, bool):
        return UNKNOWN
    return isinstance(value, kinds[kind])


def _title(text: str) -> str:
    return re.sub(r"(^|\s)(\w)", lambda m: m.group(1) + m.group(2).upper(), text)


def _to_string(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def helper_reads(name: str, helpers: dict[str, str], depth: int = 0) -> list[tuple[str, list[str]]]:
    """Values paths a helper reads, each with the guards open inside the helper where it is
    read, through the helpers it calls in turn (three deep)."""
    body = helpers.get(name, "")
    guards = GuardIndex(body)
    paths = [(m.group(1).lstrip("."), guards.at(m.start())) for m in _VALUES_PATH.finditer(body)]
    if depth < 3:
        for call in _HELPER_CALL.finditer(body):
            if call.group("name") != name:
                outer = guards.at(call.start())
                paths += [(p, outer + g) for p, g in helper_reads(call.group("name"), helpers, depth + 1)]
    return paths


def variable_path(token: str, variables: dict[str, str]) -> str | None:
    """``$storage.swift.password`` as a values path when ``$storage := .Values.a.b``."""
    name, _, rest = token.partition(".")
    expr = variables.get(name, "").strip()
    m = re.fullmatch(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)", expr)
    if m is None:
        return None
    return m.group(1).lstrip(".") + (f".{rest}" if rest else "")


def variable_reads(expr: str, variables: dict[str, str]) -> list[str]:
    """The values paths an expression reads, directly or through the template's variables
    (``$replicas`` after ``$replicas := mul $poolCount $nodeCount`` and ``$nodeCount :=
    .Values.replicas | int``), each variable followed once."""
    paths: list[str] = []
    seen: set[str] = set()
    todo = [expr]
    while todo:
        text = todo.pop(0)
        paths += [p.lstrip(".") for p in _VALUES_PATH.findall(text)]
        for name in re.findall(r"\$[A-Za-z_]\w*", text):
            if name in variables and name not in seen:
                seen.add(name)
                todo.append(variables[name])
    return list(dict.fromkeys(paths))
