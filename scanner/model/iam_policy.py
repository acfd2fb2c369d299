"""The OCI IAM policy statement language: one parser, a small public API.

A statement (``Allow group 'Default'/'Ops' to read secret-family in compartment App:Prod where
target.vault.id = 'ocid1.vault...'``) is parsed once into a ``Statement``: who (``Subject``), the
verb and resource type or the permission list, where (``Location``) and the ``where`` condition as
a tree (``Clause`` / ``ConditionGroup``). The grammar follows Oracle's "Policy Syntax" reference:

    Allow|Endorse <subject>[, <subject>...] to <verb> <resource-type> | {PERM, ...}
        in tenancy | compartment <name>[:<child>...] | compartment id <ocid> | any-tenancy
        [where <clause> | any {<condition>, ...} | all {<condition>, ...}]

    <subject> := group <name> | group id <ocid> | dynamic-group <name> | dynamic-group id <ocid>
               | any-user | any-group | service <name>   (names may carry an identity domain:
                 'Domain'/'Name' or Domain/Name; a bare name continues the previous kind)

Text that is not known statically (a Terraform ``${...}`` placeholder) is kept as written inside
the part it belongs to, so callers can tell a literal subject from an interpolated one
(``Subject.known``, ``Location.known``). Nothing here knows about sources or resources: it is the
base of the checks that judge statements and of a later "who can read bucket X" evaluation.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

VERBS = ("inspect", "read", "use", "manage")
VERB_RANK = {verb: i + 1 for i, verb in enumerate(VERBS)}

# Aggregate resource types and the individual types they stand for (Oracle's policy reference,
# one page per service). ``all-resources`` covers every type and is handled apart.
RESOURCE_FAMILIES: dict[str, frozenset[str]] = {
    "secret-family": frozenset({"secrets", "secret-versions", "secret-bundles"}),
    "object-family": frozenset({"buckets", "objects"}),
    "stream-family": frozenset({"stream-pools", "streams", "stream-push", "stream-pull"}),
    "cluster-family": frozenset(
        {"clusters", "cluster-node-pools", "cluster-virtualnode-pools", "cluster-work-requests"}
    ),
    "volume-family": frozenset(
        {"volumes", "volume-attachments", "volume-backups", "boot-volume-backups", "volume-groups",
         "volume-group-backups", "backup-policies", "backup-policy-assignments"}
    ),
    "instance-family": frozenset(
        {"instances", "instance-images", "volume-attachments", "console-histories",
         "instance-console-connection", "vnic-attachments"}
    ),
    "database-family": frozenset(
        {"db-systems", "db-nodes", "db-homes", "databases", "db-backups", "pluggable-databases"}
    ),
    "autonomous-database-family": frozenset(
        {"autonomous-databases", "autonomous-backups", "autonomous-container-databases",
         "autonomous-exadata-infrastructures"}
    ),
    "virtual-network-family": frozenset(
        {"vcns", "subnets", "route-tables", "network-security-groups", "security-lists",
         "dhcp-options", "private-ips", "public-ips", "internet-gateways", "nat-gateways",
         "service-gateways", "local-peering-gateways", "drgs", "vnics", "vnic-attachments"}
    ),
    "devops-family": frozenset(
        {"devops-projects", "devops-deploy-pipelines", "devops-deploy-stages", "devops-deploy-artifacts",
         "devops-deploy-environments", "devops-build-pipelines", "devops-repositories"}
    ),
    "logging-family": frozenset({"log-groups", "log-content", "unified-configuration"}),
}

# Permission names start with the resource they act on; a permission list reaches a resource
# type when one of its permissions has that type's prefix (``*_INSPECT`` only lists it).
PERMISSION_PREFIXES: dict[str, tuple[str, ...]] = {
    "secrets": ("SECRET_",),
    "secret-versions": ("SECRET_VERSION_",),
    "secret-bundles": ("SECRET_BUNDLE_",),
    "vaults": ("VAULT_",),
    "keys": ("KEY_",),
    "key-delegate": ("KEY_",),
    "buckets": ("BUCKET_", "PAR_"),
    "objects": ("OBJECT_",),
    "streams": ("STREAM_",),
    "stream-push": ("STREAM_PRODUCE",),
    "stream-pull": ("STREAM_CONSUME",),
    "users": ("USER_",),
    "groups": ("GROUP_",),
    "dynamic-groups": ("DYNAMIC_GROUP_",),
    "policies": ("POLICY_",),
}


# Permissions that only change or remove: the ``manage`` level of the verb they belong to.
_MANAGE_SUFFIXES = ("_CREATE", "_DELETE", "_MOVE", "_CREATE_VERSION", "_ROTATE", "_PURGE")


def permission_rank(permission: str) -> int:
    """The verb level a permission belongs to, from its name: ``*_INSPECT`` 1, ``*_READ`` 2,
    creating or deleting 4, anything else (update, use, encrypt) 3."""
    name = permission.upper()
    if name.endswith("_INSPECT"):
        return VERB_RANK["inspect"]
    if name.endswith("_READ"):
        return VERB_RANK["read"]
    if name.endswith(_MANAGE_SUFFIXES):
        return VERB_RANK["manage"]
    return VERB_RANK["use"]


def has_placeholder(text: str | None) -> bool:
    """True when ``text`` holds a value not known statically (a ``${...}`` interpolation)."""
    return text is not None and "${" in text


def family_members(resource_type: str) -> frozenset[str]:
    """The individual types an aggregate type stands for; a single type stands for itself."""
    rtype = resource_type.lower()
    return RESOURCE_FAMILIES.get(rtype, frozenset({rtype}))


def covers_type(granted: str, wanted: str) -> bool:
    """Whether a grant on resource type ``granted`` reaches resource type ``wanted`` (both may be
    families: ``all-resources`` covers everything, a family its members and sub-families)."""
    granted, wanted = granted.lower(), wanted.lower()
    if granted == "all-resources" or granted == wanted:
        return True
    return bool(family_members(granted) & family_members(wanted)) and (
        wanted in RESOURCE_FAMILIES or granted in RESOURCE_FAMILIES
    )


# --------------------------------------------------------------------------------------------
# The parts of a statement


@dataclass(frozen=True)
class Subject:
    """Who a statement is for.

    ``kind``: ``group``, ``dynamic-group``, ``any-user``, ``any-group`` or ``service``. ``name``
    is without its identity-domain prefix, which is ``domain`` (None: the default domain);
    ``ocid`` is set for ``group id ocid1...``.
    """

    kind: str
    name: str | None = None
    ocid: str | None = None
    domain: str | None = None

    @property
    def known(self) -> bool:
        """False when the name or OCID is interpolated (``group ${var.admins}``)."""
        return not (has_placeholder(self.name) or has_placeholder(self.ocid) or has_placeholder(self.domain))

    @property
    def is_anyone(self) -> bool:
        """``any-user`` / ``any-group``: every principal of the tenancy."""
        return self.kind in ("any-user", "any-group")

    def names(self, kind: str, name: str | None) -> bool | None:
        """Whether this subject names the principal of ``kind`` called ``name`` (case-insensitive,
        as OCI compares names). None when it cannot be told (an OCID subject, an unknown name)."""
        if self.kind != kind:
            return False
        if self.name is None or name is None or not self.known:
            return None
        return self.name.casefold() == name.casefold()

    def __str__(self) -> str:
        if self.is_anyone:
            return self.kind
        who = f"id {self.ocid}" if self.ocid else (f"{self.domain}/{self.name}" if self.domain else self.name)
        return f"{self.kind} {who}"


@dataclass(frozen=True)
class Location:
    """Where a statement applies.

    ``kind``: ``tenancy``, ``compartment`` or ``any-tenancy``; a compartment is named by ``path``
    (``('Project-A', 'Project-A2')`` for ``Project-A:Project-A2``) or by ``ocid``. ``alias`` is
    the tenancy alias of an Endorse statement (``in tenancy Acceptor``).
    """

    kind: str
    path: tuple[str, ...] = ()
    ocid: str | None = None
    alias: str | None = None
    text: str = ""

    @property
    def is_tenancy(self) -> bool:
        """The whole tenancy: ``tenancy``, ``any-tenancy``, or the root compartment by its OCID."""
        return self.kind in ("tenancy", "any-tenancy") or (
            self.ocid is not None and self.ocid.startswith("ocid1.tenancy.")
        )

    @property
    def name(self) -> str | None:
        """The compartment's own name (the last element of its path)."""
        return self.path[-1] if self.path else None

    @property
    def known(self) -> bool:
        """False when the compartment is interpolated in a way that could be the tenancy."""
        return not has_placeholder(self.text)


@dataclass(frozen=True)
class Clause:
    """One comparison of a ``where`` condition: ``variable op value``.

    ``op``: ``=``, ``!=``, ``before``, ``after``, ``in``, ``between`` (time and network-source
    forms). ``value`` is unquoted; ``pattern`` is True for ``/prod-*/`` wildcard values.
    """

    variable: str
    op: str
    value: str
    pattern: bool = False

    @property
    def known(self) -> bool:
        """False when the value is interpolated."""
        return not has_placeholder(self.value) and not has_placeholder(self.variable)


@dataclass(frozen=True)
class ConditionGroup:
    """``any {...}`` (one must hold) or ``all {...}`` (every one must hold)."""

    mode: str
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Opaque:
    """A condition the grammar does not understand, kept as text: it may narrow anything."""

    text: str


Condition = Clause | ConditionGroup | Opaque


def required_clauses(condition: Condition | None) -> Iterator[Clause]:
    """Clauses every request allowed by ``condition`` satisfies: reached from the root through
    ``all`` groups (or an ``any`` group of one item). Clauses under a wider ``any`` are optional."""
    if isinstance(condition, Clause):
        yield condition
    elif isinstance(condition, ConditionGroup) and (condition.mode == "all" or len(condition.items) == 1):
        for item in condition.items:
            yield from required_clauses(item)


def all_clauses(condition: Condition | None) -> Iterator[Clause]:
    """Every clause of ``condition``, at any depth."""
    if isinstance(condition, Clause):
        yield condition
    elif isinstance(condition, ConditionGroup):
        for item in condition.items:
            yield from all_clauses(item)


def has_opaque(condition: Condition | None) -> bool:
    """True when some part of ``condition`` was not understood."""
    if isinstance(condition, Opaque):
        return True
    return isinstance(condition, ConditionGroup) and any(has_opaque(i) for i in condition.items)


@dataclass(frozen=True)
class Statement:
    """One parsed ``Allow`` / ``Endorse`` statement.

    Either ``verb`` and ``resource_type`` (lower-cased) or ``permissions`` (upper-cased) are set.
    ``condition`` is None without a ``where`` clause.
    """

    text: str
    action: str
    subjects: tuple[Subject, ...]
    verb: str | None
    resource_type: str | None
    permissions: tuple[str, ...]
    location: Location
    condition: Condition | None = None
    condition_text: str | None = field(default=None, compare=False)

    @property
    def in_tenancy(self) -> bool:
        """True when the statement applies to the whole tenancy."""
        return self.location.is_tenancy

    def verb_at_least(self, verb: str) -> bool:
        """True when the statement's verb is ``verb`` or stronger (never for permission lists)."""
        return self.verb is not None and VERB_RANK.get(self.verb, 0) >= VERB_RANK[verb]

    def grants_at_least(self, verb: str, resource_types: set[str] | frozenset[str]) -> bool:
        """True when the verb is ``verb`` or stronger on one of ``resource_types`` *as written*
        (``manage users``; families are not expanded: see ``reaches``)."""
        return self.verb_at_least(verb) and self.resource_type in resource_types

    def reaches(self, resource_type: str, verb: str = "read") -> bool:
        """True when the statement grants ``verb`` or more on ``resource_type``: through the verb
        on that type, a family holding it or ``all-resources``, or through a permission of that
        type whose level (``permission_rank``) is at least the verb's."""
        if self.resource_type is not None:
            return self.verb_at_least(verb) and covers_type(self.resource_type, resource_type)
        prefixes = tuple(p for t in family_members(resource_type) for p in PERMISSION_PREFIXES.get(t, ()))
        return any(p.startswith(prefixes) and permission_rank(p) >= VERB_RANK[verb] for p in self.permissions)

    def required(self, variable: str) -> list[Clause]:
        """The clauses on ``variable`` (case-insensitive) that every allowed request satisfies."""
        var = variable.lower()
        return [c for c in required_clauses(self.condition) if c.variable.lower() == var]

    def requires_equal(self, variable: str, value: str | None = None) -> bool:
        """True when every allowed request has ``variable = value`` (any value when None)."""
        return any(
            c.op == "=" and (value is None or c.value.casefold() == value.casefold())
            for c in self.required(variable)
        )

    def narrowed_by(self, *prefixes: str) -> bool:
        """True when a required ``=`` clause pins a variable starting with one of ``prefixes``
        (``target.vault.id``, ``request.principal.``)."""
        low = tuple(p.lower() for p in prefixes)
        return any(
            c.op == "=" and c.variable.lower().startswith(low) for c in required_clauses(self.condition)
        )


# --------------------------------------------------------------------------------------------
# Tokens


_SPECIAL = "{},"


def _tokens(text: str) -> list[str]:
    """Split a statement into words, ``{``, ``}``, ``,`` and operators (``=``, ``!=``); quotes and
    ``${...}`` placeholders stay inside the word they are glued to."""
    out: list[str] = []
    word: list[str] = []
    i, n = 0, len(text)

    def flush() -> None:
        if word:
            out.append("".join(word))
            word.clear()

    while i < n:
        ch = text[i]
        if ch in "'\"":
            end = text.find(ch, i + 1)
            end = n - 1 if end < 0 else end
            word.append(text[i : end + 1])
            i = end + 1
        elif ch == "$" and text.startswith("${", i):
            depth, j = 0, i + 1
            while j < n:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            word.append(text[i : j + 1])
            i = j + 1
        elif ch.isspace():
            flush()
            i += 1
        elif ch in _SPECIAL:
            flush()
            out.append(ch)
            i += 1
        elif ch == "!" and text.startswith("!=", i):
            flush()
            out.append("!=")
            i += 2
        elif ch == "=":
            flush()
            out.append("=")
            i += 1
        else:
            word.append(ch)
            i += 1
    flush()
    return out


def _unquote(word: str) -> str:
    word = word.strip()
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def _top_level(text: str) -> Iterator[int]:
    """The positions in ``text`` outside quotes and ``{...}`` placeholders or permission lists:
    where a separator (``/``, ``:``, ``where``) means what it says."""
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            yield i


def _split_domain(word: str) -> tuple[str | None, str]:
    """``'Domain'/'Name'`` or ``Domain/Name`` -> (domain, name); a name alone -> (None, name)."""
    for i in _top_level(word):
        if word[i] == "/":
            return _unquote(word[:i]), _unquote(word[i + 1 :])
    return None, _unquote(word)


# --------------------------------------------------------------------------------------------
# Parser


class StatementSyntaxError(ValueError):
    """A statement that does not follow the grammar."""


SUBJECT_KINDS = ("group", "dynamic-group", "service")


@functools.lru_cache(maxsize=1 << 16)
def parse_statement(text: str) -> Statement | None:
    """Parse an ``Allow`` / ``Endorse`` statement; None for ``Define`` / ``Admit`` statements (they
    grant nothing by themselves) and for text that does not follow the grammar.

    Results are immutable and memoized: every check of a scan reads a statement parsed once."""
    try:
        return parse_statement_strict(text)
    except StatementSyntaxError:
        return None


def parse_statement_strict(text: str) -> Statement | None:
    """As ``parse_statement``, but raise ``StatementSyntaxError`` saying what is wrong."""
    toks = _tokens(text)
    if not toks:
        raise StatementSyntaxError("empty statement")
    action = toks[0].lower()
    if action in ("define", "admit"):
        return None
    if action not in ("allow", "endorse"):
        raise StatementSyntaxError(
            f"a statement starts with Allow, Endorse, Define or Admit, not {toks[0]!r}"
        )
    to = _find_word(toks, "to", 1)
    if to is None:
        raise StatementSyntaxError("no 'to' after the subject")
    subjects = _subjects(toks[1:to])
    i = to + 1
    verb = rtype = None
    permissions: tuple[str, ...] = ()
    if i < len(toks) and toks[i] == "{":
        close = _matching(toks, i)
        permissions = tuple(t.upper() for t in toks[i + 1 : close] if t != ",")
        if not permissions:
            raise StatementSyntaxError("empty permission list")
        i = close + 1
    else:
        if i + 1 >= len(toks) or toks[i].lower() not in VERBS:
            raise StatementSyntaxError(
                f"expected a verb ({', '.join(VERBS)}) or a permission list after 'to'"
            )
        verb, rtype = toks[i].lower(), toks[i + 1].lower()
        i += 2
    if i >= len(toks) or toks[i].lower() != "in":
        raise StatementSyntaxError("expected 'in <location>'")
    where = _find_word(toks, "where", i + 1)
    location = _location(toks[i + 1 : where])
    condition = condition_text = None
    if where is not None:
        cond_toks = toks[where + 1 :]
        condition_text = _condition_source(text)
        condition = _condition(cond_toks, condition_text or " ".join(cond_toks))
    return Statement(
        text=text,
        action=action,
        subjects=subjects,
        verb=verb,
        resource_type=rtype,
        permissions=permissions,
        location=location,
        condition=condition,
        condition_text=condition_text,
    )


def _find_word(toks: list[str], word: str, start: int) -> int | None:
    depth = 0
    for i in range(start, len(toks)):
        t = toks[i]
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
        elif depth == 0 and t.lower() == word:
            return i
    return None


def _matching(toks: list[str], start: int) -> int:
    depth = 0
    for i in range(start, len(toks)):
        if toks[i] == "{":
            depth += 1
        elif toks[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise StatementSyntaxError("unbalanced '{'")


def _subjects(toks: list[str]) -> tuple[Subject, ...]:
    if not toks:
        raise StatementSyntaxError("no subject")
    subjects: list[Subject] = []
    kind = "group"
    part: list[str] = []
    for t in [*toks, ","]:
        if t != ",":
            part.append(t)
            continue
        if not part:
            raise StatementSyntaxError("empty subject between commas")
        head = part[0].lower()
        if head in ("any-user", "any-group") and len(part) == 1:
            subjects.append(Subject(head))
            part = []
            continue
        if head in SUBJECT_KINDS:
            kind = head
            part = part[1:]
        if len(part) == 2 and part[0].lower() == "id":
            subjects.append(Subject(kind, ocid=_unquote(part[1])))
        elif len(part) == 1:
            domain, name = _split_domain(part[0])
            subjects.append(Subject(kind, name=name, domain=domain))
        else:
            raise StatementSyntaxError(f"cannot read the subject {' '.join(part)!r}")
        part = []
    return tuple(subjects)


def _location(toks: list[str]) -> Location:
    text = " ".join(toks)
    if not toks:
        raise StatementSyntaxError("no location after 'in'")
    head = toks[0].lower()
    if len(toks) == 1 and has_placeholder(toks[0]):
        return Location("unknown", text=text)  # the whole location interpolated: maybe the tenancy
    if head == "any-tenancy" and len(toks) == 1:
        return Location("any-tenancy", text=text)
    if head == "tenancy":
        if len(toks) == 1:
            return Location("tenancy", text=text)
        if len(toks) == 2:
            return Location("tenancy", alias=_unquote(toks[1]), text=text)
    if head == "compartment" and len(toks) >= 2:
        if toks[1].lower() == "id" and len(toks) == 3:
            return Location("compartment", ocid=_unquote(toks[2]), text=text)
        if len(toks) == 2:
            return Location("compartment", path=tuple(_unquote(p) for p in _split_path(toks[1])), text=text)
    raise StatementSyntaxError(f"cannot read the location {text!r}")


def _split_path(word: str) -> list[str]:
    """``A:B:C`` -> [A, B, C], leaving colons inside quotes or placeholders alone."""
    cuts = [i for i in _top_level(word) if word[i] == ":"]
    return [word[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(word)], strict=True)]


_CLAUSE_OPS = ("=", "!=")
_WORD_OPS = ("before", "after", "in", "between")


def parse_condition(text: str) -> Condition:
    """Parse the text after ``where`` into a condition tree (``Opaque`` when not understood)."""
    return _condition(_tokens(text), text)


def _condition(toks: list[str], text: str) -> Condition:
    try:
        cond, end = _parse_cond(toks, 0)
    except (StatementSyntaxError, IndexError):
        return Opaque(text.strip())
    if end != len(toks):
        return Opaque(text.strip())
    return cond


def _parse_cond(toks: list[str], i: int) -> tuple[Condition, int]:
    head = toks[i].lower()
    if head in ("any", "all") and i + 1 < len(toks) and toks[i + 1] == "{":
        items: list[Condition] = []
        i += 2
        while True:
            item, i = _parse_cond(toks, i)
            items.append(item)
            if toks[i] == ",":
                i += 1
                continue
            if toks[i] == "}":
                return ConditionGroup(head, tuple(items)), i + 1
            raise StatementSyntaxError(f"expected ',' or '}}' in a condition, got {toks[i]!r}")
    variable = toks[i]
    op = toks[i + 1]
    if op in _CLAUSE_OPS or op.lower() in _WORD_OPS:
        value = toks[i + 2]
        if value in _SPECIAL or value in _CLAUSE_OPS:
            raise StatementSyntaxError("a clause without a value")
        j = i + 3
        if op.lower() == "between" and j + 1 < len(toks) and toks[j].lower() == "and":
            value = f"{_unquote(value)} and {_unquote(toks[j + 1])}"
            j += 2
        pattern = len(value) >= 2 and value.startswith("/") and value.endswith("/")
        return Clause(variable, op.lower(), value.strip("/") if pattern else _unquote(value), pattern), j
    raise StatementSyntaxError(f"cannot read the condition at {variable!r}")


def _condition_source(text: str) -> str | None:
    """The text after the top-level ``where`` of a statement, as written."""
    low = text.lower()
    for i in _top_level(text):
        if low.startswith("where", i) and (i == 0 or text[i - 1].isspace()):
            after = i + 5
            if after < len(text) and text[after].isspace():
                return text[after:].strip()
    return None
