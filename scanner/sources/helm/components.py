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

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from typing import Any

from scanner.sources.helm.yamlmarks import value_at

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
_INCLUDE_CALL = re.compile(r"\(?\s*include\s+\"(?P<name>[^\"]+)\"\s+[.$]\s*\)?")
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
            if term.kind == "spread":
                at = f"{len(spread)}.topologyKey"
                spread.append({"topologyKey": key})
            else:
                entries = anti.setdefault(term.kind, [])
                required = term.kind.startswith("required")
                at = f"podAntiAffinity.{term.kind}.{len(entries)}." + ("" if required else "podAffinityTerm.")
                at += "topologyKey"
                term_of = {"topologyKey": key}
                entries.append(term_of if required else {"podAffinityTerm": term_of})
            if isinstance(term.key, ValuesRead):
                reads.append((at, term.key.path))
        spec = spread or ({"podAntiAffinity": anti} if anti else None)
        return spec, reads


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
        wt = WorkloadTemplate(
            name,
            m.group("kind") or "",
            line,
            expr,
            guards=[inline_helpers(g, helpers) for g in guards.at(m.start())],
            variables=template_variables(before),
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
        if wt.replica_branches:
            first = wt.replica_branches[0]
            wt.replicas_line, wt.replicas_guards = first.line, first.guards
            wt.literal_replicas, wt.replicas_expr = first.literal, first.expr
            # the component is named by the values its branches read; `global.*` is shared by
            # every subchart of an umbrella, so it names no component (dapr's operator reads
            # `global.ha.replicaCount` in HA mode, its own `replicaCount` otherwise); a count key
            # names it before other paths the line reads (`autoscaling.minReplicas` in one branch)
            paths = [p for b in wt.replica_branches for p in b.paths]
            wt.replica_paths = sorted(dict.fromkeys(paths), key=_naming_rank)
            item = _item_field(first.expr, ranged[1]) if ranged and not paths else None
            if ranged and item:
                wt.range_path, wt.range_field = ranged[0], item
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
            terms = _literal_placement(pb, body, helpers, guards, m.end())
            if terms:
                at = m.end() + pb.start("key")
                line = stripped.count("\n", 0, at) + 1
                wt.literal_placements.append(
                    LiteralPlacement(pb.group("key"), terms, line, _inner(guards.at(at), outer))
                )
        for pm in _PLACEMENT_LINE.finditer(body):
            wt.placement_paths.setdefault(pm.group("key"), pm.group("path"))
        named = (h.group("name") for h in _PLACEMENT_HELPER.finditer(body))
        wt.placement_helper = next((n for n in named if n not in helpers), None)
        keys = Counter(p.lstrip(".").split(".")[0] for p in _VALUES_PATH.findall(body))
        keys.pop("global", None)
        wt.main_key = keys.most_common(1)[0][0] if keys else None
        found.append(wt)
    return found


# `range .Values.x`, `range $w := $ctx.Values.x`, `range $i, $w := .Values.x`
_RANGE = re.compile(
    r"range\s+(?:(?:\$[A-Za-z_]\w*\s*,\s*)?(?P<var>\$[A-Za-z_]\w*)\s*:?=\s*)?"
    r"\$?[A-Za-z_]*\.Values(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*"
)


def _open_range(before: str) -> tuple[str, str | None] | None:
    """The values list a ``{{ range }}`` still open at the end of ``before`` walks over (the
    innermost), with the variable bound to each item, if any; None outside a range over values."""
    # each open block: a range's match (None for a range over anything else), "with" (it moves
    # the dot too), or "" (`if`, `define`, `block`: the dot stays where it was)
    stack: list[re.Match[str] | str | None] = []
    for m in _ACTION.finditer(before):
        body = m.group("body")
        word = body.split(None, 1)[0] if body else ""
        if word == "range":
            stack.append(_RANGE.fullmatch(body))
        elif word == "with":
            stack.append("with")
        elif word in ("if", "define", "block"):
            stack.append("")
        elif word == "end" and stack:
            stack.pop()
    inner = next((b for b in reversed(stack) if b != ""), None)
    if not isinstance(inner, re.Match):
        return None  # no range over values, or a `with` inside it has moved the dot elsewhere
    return inner.group("path").lstrip("."), inner.group("var")


# `{{ . }}`: the dot alone (not `.x`, `$.x`, `x.y`)
_DOT_ALONE = re.compile(r"(?<![\w$)\].\"])\.(?![\w.])")
_WITH = re.compile(r"with\s+\$?\.Values(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*")


def _open_with(before: str) -> str | None:
    """The values path a ``{{ with .Values.x }}`` still open at the end of ``before`` moves the dot
    to, when it is the innermost block that moves the dot (a ``range`` does too); else None."""
    stack: list[str | None] = []  # per open block: its path (with), None (range), "" (if, ...)
    for m in _ACTION.finditer(before):
        body = m.group("body")
        word = body.split(None, 1)[0] if body else ""
        if word == "with":
            w = _WITH.fullmatch(body)
            stack.append(w.group("path").lstrip(".") if w else None)
        elif word == "range":
            stack.append(None)
        elif word in ("if", "define", "block"):
            stack.append("")
        elif word == "end" and stack:
            stack.pop()
    return next((b for b in reversed(stack) if b != ""), None)


def _naming_rank(path: str) -> int:
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


def _item_field(expr: str | None, var: str | None) -> str | None:
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
    if m is None or (m.group("at") and m.group("at") != var):
        return None
    return m.group("f")


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
        for line, at in _lines_at(text_of, 0, 0):
            yield inner + line, partial(_joined, outer, own, at)


def _joined(outer: list[str], own: GuardIndex, at: int) -> list[str]:
    """The guards at ``at`` inside a helper, after those around the call that includes it."""
    return outer + own.at(at)


def _lines_at(text: str, pos: int, offset: int) -> Iterator[tuple[str, int]]:
    """``_lines_from`` with each line's start, shifted by ``offset``."""
    for line in _lines_from(text, pos):
        yield line, pos + offset
        pos += len(line) + 1


def _literal_placement(
    pb: re.Match[str], body: str, helpers: dict[str, str], guards: GuardIndex, offset: int
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
            continue  # `{{- end }}`, `{{- with … }}`: no part of the block's YAML
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
        b = _BOOLEAN_HELPER.match(body)
        if b:
            cond = _DIG_READ.sub(_dig_as_default, b.group("cond"))
            return f"({inline_helpers(cond, helpers, depth - 1) if depth > 0 else cond})"
        single = _SINGLE_ACTION.fullmatch(body)
        if single and _DIG_READ.fullmatch(single.group("e")):
            # `{{- dig "mode" "static" (.Values.tenancy | default dict) -}}`: the value it prints
            return f"({_DIG_READ.sub(_dig_as_default, single.group('e'))})"
        chosen = _value_helper(body)
        return f"({chosen})" if chosen else m.group(0)

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


def _word(printed: str | None) -> str:
    return "fail" if printed == "\x00fail" else f'"{printed}"'


def template_variables(before: str) -> dict[str, str]:
    """``{{ $name := expr }}`` assignments in a template before some point (the last one wins),
    so guards such as ``{{ if $autoHTTPS }}`` can be evaluated."""
    return {m.group("name"): m.group("expr") for m in _ASSIGN.finditer(before)}


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


def _item_reads(guard: str, prefix: str) -> str:
    """A guard inside a ``range`` with the item's fields (``.enabled``) read as the values path of
    that item (``.Values.workers.0.enabled``), so it can be evaluated per item."""

    def read(m: re.Match[str]) -> str:
        name = m.group("field")
        return m.group(0) if name in _ROOT_OBJECTS else f".Values.{prefix}.{name}"

    return _DOT_READ.sub(read, guard)


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

    for wt in templates:
        items = _ranged_items(values, wt.range_path)
        if items is not None:
            # one workload per item of the list (or map) the template ranges over (mastodon's
            # sidekiq workers), named by the item's `name` (or its key), its count at its field
            for key, item in items:
                label = item.get("name") if isinstance(item.get("name"), str) else key
                prefix = f"{wt.range_path}.{key}"
                comp = Component(f"{wt.range_path}.{label}", f"{prefix}.", f"{prefix}.{wt.range_field}")
                # `{{ if .enabled }}` inside the range reads this item
                item_guards = [_item_reads(g, prefix) for g in wt.guards]
                add(f"@{wt.template}#{key}", comp, replace(wt, guards=item_guards))
            continue
        replica = next(iter(wt.replica_paths), None)
        if replica is None:
            continue
        if replica.startswith("global."):
            # only values every subchart shares (`global.replicaCount`): the chart's own workload
            add("", Component("", "", replica), wt)
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
    if tok.startswith(('"', "`")):
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
        value = evaluate(values.variables[name], values.values, values.variables, values.depth + 1)
        if value is UNKNOWN or not path:
            return value, tokens[1:]
        return (_lookup(value, path) if isinstance(value, dict) else UNKNOWN), tokens[1:]
    return UNKNOWN, tokens[1:]  # .Release, .Capabilities, function results


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
    if any(a is not UNKNOWN and _truthy(a) for a in args):
        return True
    return UNKNOWN if any(a is UNKNOWN for a in args) else False


def _default(args: list[Any]) -> Any:
    # `default D X` / `X | default D`: X unless empty
    if len(args) != 2:
        return UNKNOWN
    fallback, given = args
    if given is UNKNOWN:
        return UNKNOWN
    return given if _truthy(given) else fallback


def _eq(args: list[Any]) -> Any:
    return len(args) >= 2 and any(str(args[0]) == str(b) for b in args[1:])


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
    if len(a) != 3 or a[2] is UNKNOWN:
        return UNKNOWN
    return a[0] if _truthy(a[2]) else a[1]


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
