"""Named checks over OCI IAM: policy statements, groups, dynamic groups and user API keys.

OCI policies are free text (``Allow group X to read objects in compartment Y where ...``), so
the rules OCI-IAM-002..006 read them through the statement grammar (``scanner.model.iam_policy``)
and need joins the condition language cannot express: API key -> user -> group memberships ->
groups -> policy statements naming those groups.

Values follow the Terraform source's contract: a reference to another resource's attribute is its
literal value when written in that block, else an ``Unknown`` whose ``ref`` names the resource and
whose ``symbol`` renders the expression (an interpolated statement keeps its literal text with
``${...}`` around the unknown parts).

Scale: each statement is parsed once per scan (``GrantIndex``, per scope) and its subjects are
indexed, so judging N users against M statements costs about N + M lookups, not N x M parses.

Policies that call these checks: OCI-IAM-002, OCI-IAM-003, OCI-IAM-004, OCI-IAM-005, OCI-IAM-006.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown
from scanner.model.iam_policy import (
    Clause,
    ConditionGroup,
    Location,
    Statement,
    Subject,
    all_clauses,
    has_opaque,
    has_placeholder,
    parse_condition,
    parse_statement,
    required_clauses,
)

POLICY_KIND = "oci_identity_policy"
GROUP_KIND = "oci_identity_group"
MEMBERSHIP_KIND = "oci_identity_user_group_membership"

DEFAULT_ADMIN_GROUPS = ["Administrators"]
# Resource types whose read/use/manage reaches data rather than configuration (OCI-IAM-002).
DEFAULT_DATA_PLANE_TYPES = [
    "object-family",
    "objects",
    "buckets",
    "secret-family",
    "secrets",
    "secret-bundles",
    "stream-family",
    "streams",
    "stream-push",
    "stream-pull",
    "all-resources",
]
# Permission-style statements (``to {OBJECT_READ, ...}``) that reach data.
DATA_PLANE_PERMISSION_PREFIXES = ("OBJECT_", "SECRET_BUNDLE_", "STREAM_CONSUME", "STREAM_PRODUCE")
DATA_PLANE_VERBS = frozenset({"read", "use", "manage"})

Params = dict[str, Any]

# An unqualified subject (``Allow group Admins``) names a group of the Default identity domain;
# ``'ops'/'Admins'`` is another group, of domain ``ops``, even with the same name.
DEFAULT_DOMAIN = "Default"


def principal_domain(resource: Resource) -> str | None:
    """The identity domain of a group or dynamic group: ``domain_name`` when the inventory holds
    it (live objects read from a domain), else the Default domain for objects of no domain (the
    legacy ``oci_identity_group``/``oci_identity_dynamic_group``, which the legacy IAM API serves
    from the Default domain only). None when the object has a domain whose name is not known."""
    name = resource.attributes.get("domain_name")
    if isinstance(name, str):
        return name
    if name is None and resource.attributes.get("domain_ocid") is None:
        return DEFAULT_DOMAIN
    return None


def subject_domain_matches(subject: Subject, domain: str | None) -> bool | None:
    """Whether ``subject``'s domain (Default when unqualified) is ``domain`` (case-insensitive,
    as OCI compares names); None when ``domain`` is not known."""
    if domain is None:
        return None
    return (subject.domain or DEFAULT_DOMAIN).casefold() == domain.casefold()


AdminGroups = frozenset[tuple[str, str]]


def admin_groups(params: Params, default: list[str] = DEFAULT_ADMIN_GROUPS) -> AdminGroups:
    """The ``admin_groups`` parameter as (domain, name) pairs, casefolded: ``Administrators``
    is the Default domain's, ``ops/Admins`` domain ``ops``'s."""
    out = set()
    for entry in params.get("admin_groups") or default:
        domain, _, name = str(entry).rpartition("/")
        out.add(((domain or DEFAULT_DOMAIN).casefold(), name.casefold()))
    return frozenset(out)


def is_admin_group(name: str | None, domain: str | None, admins: AdminGroups) -> bool:
    """Whether the group ``name`` of ``domain`` is an administrators group. An unknown domain
    counts by name alone (the older, broader reading: never a silent pass for a real admin)."""
    if name is None:
        return False
    if domain is None:
        return any(n == name.casefold() for _, n in admins)
    return (domain.casefold(), name.casefold()) in admins


def subject_is_admin_group(subject: Subject, admins: AdminGroups) -> bool:
    """Whether a ``group`` subject names an administrators group (its domain included)."""
    return is_admin_group(subject.name, subject.domain or DEFAULT_DOMAIN, admins)


# --------------------------------------------------------------------------------------------
# Policy statements: the grammar lives in ``scanner.model.iam_policy``; these are its judgements


PolicyStatement = Statement  # the name the checks have always used


def grants_data_plane(stmt: Statement, data_plane_types: set[str]) -> bool:
    """True when the statement lets its subjects read or change data (objects, secrets, streams)."""
    if stmt.permissions:
        return any(
            p.startswith(DATA_PLANE_PERMISSION_PREFIXES) and p != "OBJECT_INSPECT" for p in stmt.permissions
        )
    return stmt.verb in DATA_PLANE_VERBS and stmt.resource_type in data_plane_types


def grants_tenancy_admin(stmt: Statement) -> bool:
    """True for ``manage all-resources in tenancy``: full administrator rights."""
    return stmt.verb == "manage" and stmt.resource_type == "all-resources" and stmt.in_tenancy


# --------------------------------------------------------------------------------------------
# Statements of a scope


@dataclass(frozen=True)
class ScopedStatement:
    """A statement together with the policy and attribute path it came from."""

    policy: Resource
    path: str
    statement: Statement | None  # None: not statically known (see ``symbol``)
    symbol: str | None = None


class GrantIndex:
    """Every statement of one scope's policies, parsed once, with its subjects indexed.

    Built on first use per scan and scope, so a check over N users and M statements costs
    N + M, not N x M. ``candidates`` narrows the statements that may concern one principal;
    ``select`` memoizes a filter (statements that grant data access, tenancy admin...).
    """

    def __init__(self, policies: list[Resource]) -> None:
        self.entries: list[ScopedStatement] = []
        for policy in policies:
            statements = policy.attributes.get("statements")
            if is_unknown(statements):
                self.entries.append(ScopedStatement(policy, "statements", None, statements.symbol))
                continue
            for i, text in enumerate(statements if isinstance(statements, list) else []):
                parsed, decided = statement_of(text)
                if not decided:
                    self.entries.append(
                        ScopedStatement(policy, f"statements.{i}", None, getattr(text, "symbol", None))
                    )
                elif parsed is not None:
                    self.entries.append(ScopedStatement(policy, f"statements.{i}", parsed))
        self._selections: dict[str, GrantSet] = {}
        self._flags: dict[str, bool] = {}

    def select(self, key: str, keep: Callable[[Statement], bool]) -> GrantSet:
        """The statements ``keep`` accepts (memoized under ``key``), indexed by subject."""
        found = self._selections.get(key)
        if found is None:
            found = self._selections[key] = GrantSet(
                [(i, e) for i, e in enumerate(self.entries) if e.statement is not None and keep(e.statement)]
            )
        return found

    def unknown_may_concern(self, subject_kinds: tuple[str, ...]) -> bool:
        """Whether some statement not known statically may concern a subject of these kinds."""
        key = "\0may-concern:" + ",".join(subject_kinds)
        if key not in self._flags:
            self._flags[key] = any(_unknown_may_concern(e.symbol, subject_kinds) for e in self.unknown)
        return self._flags[key]

    @property
    def unknown(self) -> list[ScopedStatement]:
        """Statements (or statement lists) whose meaning is not known statically."""
        found = self._selections.get("\0unknown")
        if found is None:
            found = self._selections["\0unknown"] = GrantSet(
                [(i, e) for i, e in enumerate(self.entries) if e.statement is None]
            )
        return [e for _, e in found.items]


class GrantSet:
    """Some statements of a scope, looked up by the principal they name."""

    def __init__(self, items: list[tuple[int, ScopedStatement]]) -> None:
        self.items = items
        self._named: dict[tuple[str, str], list[int]] = {}
        self._by_ocid: dict[tuple[str, str], list[int]] = {}
        self._anyone: list[int] = []
        self._kinds_named: set[str] = set()
        self._kinds_by_ocid: set[str] = set()
        for pos, (_, entry) in enumerate(items):
            for s in entry.statement.subjects if entry.statement else ():
                if s.is_anyone:
                    self._anyone.append(pos)
                elif s.name is not None:
                    self._named.setdefault((s.kind, s.name.casefold()), []).append(pos)
                    self._kinds_named.add(s.kind)
                elif s.ocid is not None:
                    self._by_ocid.setdefault((s.kind, s.ocid), []).append(pos)
                    self._kinds_by_ocid.add(s.kind)

    def candidates(self, kind: str, name: str | None, ocid: str | None) -> list[ScopedStatement]:
        """Statements that may concern the principal of ``kind`` with this name and/or OCID (in
        policy order): those naming it, those for anyone, and those a missing name or OCID
        leaves undecided. Every other statement certainly does not concern it."""
        return self.candidates_of(kind, [(name, ocid)])

    def candidates_of(
        self, kind: str, principals: list[tuple[str | None, str | None]]
    ) -> list[ScopedStatement]:
        """``candidates`` for several principals of one kind (a user's groups) at once."""
        positions = set(self._anyone)
        for name, ocid in principals:
            self._add_positions(positions, kind, name, ocid)
        return [self.items[p][1] for p in sorted(positions)]

    def _add_positions(self, positions: set[int], kind: str, name: str | None, ocid: str | None) -> None:
        if name is not None:
            positions.update(self._named.get((kind, name.casefold()), ()))
        elif kind in self._kinds_named:
            positions.update(p for (k, _), ps in self._named.items() if k == kind for p in ps)
        if ocid is not None:
            positions.update(self._by_ocid.get((kind, ocid), ()))
        if ocid is None and kind in self._kinds_by_ocid:
            positions.update(p for (k, _), ps in self._by_ocid.items() if k == kind for p in ps)


_GRANT_INDEXES: weakref.WeakKeyDictionary[ResourceIndex, dict[Any, GrantIndex]] = weakref.WeakKeyDictionary()


def grant_index(resource: Resource, index: ResourceIndex) -> GrantIndex:
    """The ``GrantIndex`` of the policies in ``resource``'s scope (built once per scan)."""
    per_scope = _GRANT_INDEXES.setdefault(index, {})
    scope = resource.context.get("scope")
    found = per_scope.get(scope)
    if found is None:
        found = per_scope[scope] = GrantIndex(index.same_scope(resource, POLICY_KIND))
    return found


def policy_statements(resource: Resource, index: ResourceIndex) -> Iterator[ScopedStatement]:
    """Every ``Allow``/``Endorse`` statement of the policies in ``resource``'s scope, plus one
    entry with ``statement=None`` for each statement (or statement list) that is not known."""
    return iter(grant_index(resource, index).entries)


def statement_of(value: Any) -> tuple[Statement | None, bool]:
    """Parse a statement value; the flag says whether its meaning is known.

    An interpolated statement is understood from its symbol when the unknown parts are only in
    a compartment name or the where clause (``... in compartment id ${var.compartment_ocid}``):
    who gets which verb on which resource type is then literal text.
    """
    if isinstance(value, str):
        return parse_statement(value), True
    symbol = getattr(value, "symbol", None)
    if not is_unknown(value) or not isinstance(symbol, str):
        return None, False
    stmt = parse_statement(symbol)
    if stmt is None:
        # Define/Admit statements grant nothing to check; anything else may be a grant.
        return None, bool(re.match(r"^\s*(define|admit)\b", symbol, re.IGNORECASE))
    if not all(s.known for s in stmt.subjects) or has_placeholder(stmt.resource_type):
        return None, False
    if any(has_placeholder(p) for p in stmt.permissions) or not _location_known(stmt.location):
        return None, False
    return stmt, True


def _location_known(location: Location) -> bool:
    """"compartment ${...}" is some compartment, unless the placeholder names the tenancy (root)."""
    if location.known:
        return True
    return location.kind == "compartment" and "tenancy" not in location.text.lower()


def _unknown_may_concern(symbol: str | None, subject_kinds: tuple[str, ...]) -> bool:
    """Whether a statement known only by its symbol could be about a subject of these kinds.

    The symbol keeps the literal text of an interpolated statement, so ``Allow dynamic-group
    ${var.dg} to ...`` cannot concern a user group; anything less clear may.
    """
    if not symbol:
        return True
    m = re.match(r"^\s*(allow|endorse)\s+(any-user|any-group|dynamic-group|group|service)\b", symbol, re.I)
    if not m:
        return not re.match(r"^\s*(define|admit)\b", symbol, re.I)
    kind = m.group(2).lower()
    return kind in subject_kinds or kind in ("any-user", "any-group")


# --------------------------------------------------------------------------------------------
# Joins: API key -> user -> groups


@dataclass(frozen=True)
class GroupIdentity:
    """What is known about a group a user belongs to: its name and/or OCID."""

    name: str | None
    ocid: str | None
    label: str  # for messages
    domain: str | None = DEFAULT_DOMAIN  # None: not known


def _refs_equal(a: Any, b: Any) -> bool | None:
    """Whether two attribute values denote the same object: True, False or None (unknowable)."""
    if a is None or b is None:
        return None
    if is_unknown(a) and is_unknown(b):
        if a.ref and b.ref:
            return a.ref == b.ref
        if a.symbol and a.symbol == b.symbol:
            return True
        return None
    if is_unknown(a) or is_unknown(b):
        return None
    return a == b


def _scoped_referenced(resource: Resource, index: ResourceIndex, value: Any, kind: str) -> list[Resource]:
    scope = resource.context.get("scope")
    return [r for r in index.referenced(value) if r.kind == kind and r.context.get("scope") == scope]


def _group_identity(member: Resource, index: ResourceIndex) -> GroupIdentity | None:
    """The group a membership names, or None when it cannot be identified at all."""
    group_id = member.attributes.get("group_id")
    if isinstance(group_id, str):
        # A live inventory holds the group itself under its OCID: use its name too.
        found = [g for g in index.referenced(group_id) if g.kind == GROUP_KIND]
        if found:
            return group_identity(found[0], group_id)
        return GroupIdentity(None, group_id, group_id, None)
    groups = _scoped_referenced(member, index, group_id, GROUP_KIND)
    if len(groups) == 1:
        name = groups[0].attributes.get("name")
        if isinstance(name, str):
            return GroupIdentity(name, None, f"{name} ({groups[0].address})", principal_domain(groups[0]))
    return None


def group_identity(group: Resource, ocid: str) -> GroupIdentity:
    """A live group (found by its OCID) as the checks compare it: name, OCID and domain."""
    name = group.attributes.get("name")
    domain = principal_domain(group)
    if not isinstance(name, str):
        return GroupIdentity(None, ocid, ocid, domain)
    shown = name if domain in (None, DEFAULT_DOMAIN) else f"{domain}/{name}"
    return GroupIdentity(name, ocid, f"{shown} ({ocid})", domain)


@dataclass
class UserGroups:
    """The groups of an API key's user; ``complete`` is False when some membership could not be
    attributed or some group not identified."""

    groups: list[GroupIdentity]
    complete: bool


class Memberships:
    """The ``oci_identity_user_group_membership`` resources of one scope, by the user they name."""

    def __init__(self, members: list[Resource]) -> None:
        self.by_user: dict[str, list[Resource]] = {}
        self.by_ref: dict[str, list[Resource]] = {}
        self.unknown: list[Resource] = []  # user_id neither literal nor a reference
        for member in members:
            user = member.attributes.get("user_id")
            if isinstance(user, str):
                self.by_user.setdefault(user, []).append(member)
            elif is_unknown(user) and user.ref:
                self.by_ref.setdefault(user.ref, []).append(member)
            else:
                self.unknown.append(member)

    def of(self, user: Any) -> tuple[list[Resource], bool]:
        """Memberships that certainly name ``user``, and whether others might (undecided): the
        answers of comparing every membership with ``_refs_equal``, found by lookup."""
        if isinstance(user, str):
            undecided = bool(self.by_ref) or any(
                _refs_equal(m.attributes.get("user_id"), user) is None for m in self.unknown
            )
            return list(self.by_user.get(user, ())), undecided
        if is_unknown(user) and user.ref:
            undecided = bool(self.by_user) or any(
                _refs_equal(m.attributes.get("user_id"), user) is None for m in self.unknown
            )
            return list(self.by_ref.get(user.ref, ())), undecided
        matched: list[Resource] = []
        undecided = False
        for members in (*self.by_user.values(), *self.by_ref.values(), self.unknown):
            for m in members:
                same = _refs_equal(m.attributes.get("user_id"), user)
                if same:
                    matched.append(m)
                elif same is None:
                    undecided = True
        return matched, undecided


_MEMBERSHIPS: weakref.WeakKeyDictionary[ResourceIndex, dict[Any, Memberships]] = weakref.WeakKeyDictionary()


def memberships(resource: Resource, index: ResourceIndex) -> Memberships:
    """The memberships of ``resource``'s scope, indexed once per scan."""
    per_scope = _MEMBERSHIPS.setdefault(index, {})
    scope = resource.context.get("scope")
    found = per_scope.get(scope)
    if found is None:
        found = per_scope[scope] = Memberships(index.same_scope(resource, MEMBERSHIP_KIND))
    return found


def api_key_user_groups(api_key: Resource, index: ResourceIndex) -> UserGroups | None:
    """Groups of the user an ``oci_identity_api_key`` belongs to; None when the user is unknown."""
    user = api_key.attributes.get("user_id")
    if user is None or (is_unknown(user) and not user.ref and not user.symbol):
        return None
    matched, undecided = memberships(api_key, index).of(user)
    result = UserGroups([], not undecided)
    for member in matched:
        group = _group_identity(member, index)
        if group is None:
            result.complete = False
        else:
            result.groups.append(group)
    return result


def subject_matches_group(subject: Subject, group: GroupIdentity, stmt: PolicyStatement) -> bool | None:
    """Whether a statement subject covers members of ``group`` (None: cannot tell)."""
    if subject.kind in ("any-user", "any-group"):
        # A where clause on any-user almost always narrows it to a principal type (functions,
        # workloads); only an unconditional any-user certainly includes this user.
        return stmt.condition is None
    if subject.kind != "group":
        return False
    if subject.name is not None:
        if group.name is not None:
            if subject.name.casefold() != group.name.casefold():
                return False
            # The same name in another identity domain is another group.
            return subject_domain_matches(subject, group.domain)
        return None
    if subject.ocid is not None and group.ocid is not None:
        return subject.ocid == group.ocid
    return None


def _user_grant(
    api_key: Resource,
    index: ResourceIndex,
    key: str,
    grants: Callable[[Statement], bool],
    admin_names: AdminGroups,
) -> Outcome:
    """Shared logic of OCI-IAM-002/005: does a group of the key's user get what ``grants`` tests
    for (or is it one of ``admin_names``)?  False = violation found."""
    user_groups = api_key_user_groups(api_key, index)
    if user_groups is None:
        return Outcome(None, path="user_id", detail="the key's user cannot be resolved statically")
    for group in user_groups.groups:
        if is_admin_group(group.name, group.domain, admin_names):
            return Outcome(False, path="user_id", detail=f"the user is a member of {group.label}")
    undecided = not user_groups.complete
    grants_index = grant_index(api_key, index)
    undecided = undecided or grants_index.unknown_may_concern(("group",))
    selected = grants_index.select(key, grants)
    identities = [(g.name, g.ocid) for g in user_groups.groups]
    for entry in selected.candidates_of("group", identities):
        stmt = entry.statement
        assert stmt is not None
        for subject in stmt.subjects:
            if subject.kind in ("any-user", "any-group"):
                if stmt.condition is None:
                    return Outcome(
                        False,
                        path="user_id",
                        detail=f"{entry.policy.address} grants every user: {stmt.text!r}",
                    )
                continue
            for group in user_groups.groups:
                match = subject_matches_group(subject, group, stmt)
                if match:
                    return Outcome(
                        False,
                        path="user_id",
                        detail=f"{entry.policy.address} grants group {group.label}: {stmt.text!r}",
                    )
                if match is None:
                    undecided = True
    if undecided:
        return Outcome(
            None,
            path="user_id",
            detail="the user's groups or the policy statements are not all known statically",
        )
    return Outcome(True, path="user_id")


def _admin_names(params: Params) -> AdminGroups:
    return admin_groups(params)


@check("api_key_user_without_data_access")
def api_key_user_without_data_access(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-002: the user of an ``oci_identity_api_key`` gets no data-plane access.

    Follows ``user_id`` to the user's ``oci_identity_user_group_membership`` resources, their
    groups, and every policy statement in the same scope. False when a statement grants one of
    those groups (or every user) read/use/manage on a data-plane resource type (parameter
    ``data_plane_types``); unknown when a membership, group or statement cannot be resolved.
    """
    types = {str(t).lower() for t in params.get("data_plane_types", DEFAULT_DATA_PLANE_TYPES)}
    key = "data-plane:" + ",".join(sorted(types))
    return _user_grant(resource, index, key, lambda s: grants_data_plane(s, types), frozenset())


@check("api_key_user_not_tenancy_admin")
def api_key_user_not_tenancy_admin(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-005: the user of an ``oci_identity_api_key`` is no tenancy administrator.

    An administrator is a member of a group named in ``admin_groups`` or of a group granted
    ``manage all-resources in tenancy``.
    """
    return _user_grant(resource, index, "tenancy-admin", grants_tenancy_admin, _admin_names(params))


# --------------------------------------------------------------------------------------------
# Dynamic groups


def matching_rule_breadth(rule: str) -> str | None:
    """Why a dynamic-group matching rule admits every resource of a type in the tenancy, or None.

    A clause narrows membership when it pins an OCID, a compartment or a tag with ``=``; a
    ``!=`` clause or a bare ``resource.type = '...'`` does not. ``ALL {...}`` is broad when no
    clause narrows; ``ANY {...}`` when one clause alone is broad. Matching rules share the
    policy language's condition grammar; a rule it cannot read is not accused.
    """
    cond = parse_condition(rule)
    if isinstance(cond, ConditionGroup):
        mode, items = cond.mode, cond.items
    elif isinstance(cond, Clause):
        mode, items = "all", (cond,)
    else:
        return None
    broad = [_render(c) for c in items if isinstance(c, Clause) and _clause_is_broad(c)]
    if mode == "all" and len(broad) == len(items):
        return f"no clause narrows membership ({', '.join(broad)})"
    if mode == "any" and broad:
        return f"ANY clause {broad[0]!r} alone admits nearly every resource"
    return None


def _clause_is_broad(clause: Clause) -> bool:
    return clause.op == "!=" or clause.variable.lower() == "resource.type"


def _render(clause: Clause) -> str:
    value = f"/{clause.value}/" if clause.pattern else f"'{clause.value}'"
    return f"{clause.variable} {clause.op} {value}"


def _any_statement(stmt: Statement) -> bool:
    return True


def _without_keys(text: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", text)


def _dynamic_group_subject_matches(
    subject: Subject, name: Any, domain: str | None, ocid: Any = None
) -> bool | None:
    if subject.kind != "dynamic-group":
        return False
    if subject.name is not None:
        if isinstance(name, str):
            if subject.name.casefold() != name.casefold():
                return False
            return subject_domain_matches(subject, domain)  # same name, other domain: another group
        return None
    if subject.ocid is not None and isinstance(ocid, str):
        return subject.ocid == ocid  # a live group's OCID; the same in every domain's namespace
    return None  # ``dynamic-group id <ocid>``: in code the OCID is only known after apply


@check("dynamic_group_granted_and_narrow")
def dynamic_group_granted_and_narrow(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-003: an ``oci_identity_dynamic_group`` is used by a policy and its matching rule
    does not admit every instance (or every resource of a type) in the tenancy.

    The rule text is analysed even when interpolated (its symbol keeps the literal parts). A
    statement whose text is unknown but mentions this group's resource address counts as a use.
    """
    rule = resource.attributes.get("matching_rule")
    rule_text = rule.symbol if is_unknown(rule) else rule
    if isinstance(rule_text, str):
        why = matching_rule_breadth(rule_text)
        if why:
            return Outcome(False, path="matching_rule", detail=why)

    name = resource.attributes.get("name")
    own_ref = _without_keys(resource.address) + "."
    undecided = not isinstance(name, str)
    grants_index = grant_index(resource, index)
    for entry in grants_index.unknown:
        if entry.symbol and own_ref in _without_keys(entry.symbol):
            return Outcome(True, path="name")
        undecided = undecided or _unknown_may_concern(entry.symbol, ("dynamic-group",))
    candidates = grants_index.select("all", _any_statement).candidates(
        "dynamic-group", name if isinstance(name, str) else None, None
    )
    for entry in candidates:
        assert entry.statement is not None
        for subject in entry.statement.subjects:
            match = _dynamic_group_subject_matches(
                subject, name, principal_domain(resource), resource.attributes.get("id")
            )
            if match:
                return Outcome(True, path="name")
            if match is None:
                undecided = True
    if not isinstance(rule_text, str):
        undecided = True
    if undecided:
        return Outcome(None, path="name", detail="the group's name or some policy statements are not known")
    return Outcome(
        False,
        path="name",
        detail="no policy statement in this configuration grants the dynamic group anything",
    )


# --------------------------------------------------------------------------------------------
# Policy statements on their own


class Undecided(str):
    """A judge's answer that one statement cannot be decided, with the reason (``"a group given
    by OCID"``); plain None gives the generic reason."""


def statement_findings(
    resource: Resource, judge: Callable[[PolicyStatement], str | Undecided | None | bool]
) -> Outcome:
    """Apply ``judge`` to each statement of one policy: a string is a violation (the detail),
    None or an ``Undecided`` reason means unknown, anything else compliant. The first violation
    decides; otherwise the first undecided statement makes the policy unknown."""
    statements = resource.attributes.get("statements")
    if is_unknown(statements):
        return Outcome(None, path="statements", detail="the statements are not known statically")
    if not isinstance(statements, list):
        return Outcome(None, path="statements", detail="no statements")
    unsure: Outcome | None = None
    for i, text in enumerate(statements):
        stmt, decided = statement_of(text)
        verdict = judge(stmt) if decided and stmt is not None else (None if not decided else True)
        if isinstance(verdict, Undecided):
            unsure = unsure or Outcome(None, path=f"statements.{i}", detail=str(verdict))
        elif isinstance(verdict, str):
            return Outcome(False, path=f"statements.{i}", detail=verdict)
        elif verdict is None:
            unsure = unsure or Outcome(
                None, path=f"statements.{i}", detail="a statement is not known statically"
            )
    return unsure or Outcome(True, path="statements")


def _non_admin_subjects(stmt: PolicyStatement, admin_names: AdminGroups) -> tuple[list[str], bool]:
    """Subjects of ``stmt`` that are not an administrators group, and whether some are unknown."""
    offenders, unsure = [], False
    for s in stmt.subjects:
        if s.kind == "group" and s.name is not None:
            if not subject_is_admin_group(s, admin_names):
                offenders.append(f"group {s.domain + '/' if s.domain else ''}{s.name}")
        elif s.kind in ("dynamic-group", "any-user", "any-group"):
            offenders.append(f"{s.kind} {s.name or s.ocid or ''}".strip())
        elif s.kind == "group":
            unsure = True  # group id <ocid>: may be the Administrators group
    return offenders, unsure


@check("policy_not_overbroad")
def policy_not_overbroad(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-004: no statement of an ``oci_identity_policy`` is for ``any-user``/``any-group``
    (unless its where clause narrows ``request.principal``), and ``manage all-resources in
    tenancy`` is granted only to the groups in ``admin_groups``."""
    admin_names = _admin_names(params)
    scoped_any_user_ok = bool(params.get("allow_principal_scoped_any_user", True))

    def judge(stmt: PolicyStatement) -> str | None | bool:
        for s in stmt.subjects:
            if s.kind in ("any-user", "any-group"):
                scoped = _conditions_on(stmt, "request.principal")
                if not (scoped and scoped_any_user_ok):
                    return f"statement grants {s.kind}: {stmt.text!r}"
        if grants_tenancy_admin(stmt):
            offenders, unsure = _non_admin_subjects(stmt, admin_names)
            if offenders:
                return f"{', '.join(offenders)} gets manage all-resources in tenancy"
            if unsure:
                return None
        return True

    return statement_findings(resource, judge)


# Permissions that change users or group membership (``{USER_UPDATE, GROUP_UPDATE}``): the
# permission-list form of ``use users`` / ``use groups``.
IAM_ADMIN_PERMISSION_PREFIXES = ("USER_", "GROUP_")
READ_ONLY_SUFFIXES = ("_INSPECT", "_READ")


def changes_users_or_groups(stmt: Statement) -> bool:
    """True when the statement lets its subjects change users or groups: ``use``/``manage`` on
    ``users`` or ``groups`` (or ``all-resources``... judged by OCI-IAM-004), or a permission list
    with a ``USER_*`` / ``GROUP_*`` permission beyond inspect and read."""
    if stmt.permissions:
        return any(
            p.startswith(IAM_ADMIN_PERMISSION_PREFIXES) and not p.endswith(READ_ONLY_SUFFIXES)
            for p in stmt.permissions
        )
    return stmt.grants_at_least("use", {"users", "groups"})


def _conditions_on(stmt: Statement, prefix: str) -> bool:
    """Whether any clause of the where condition reads a variable starting with ``prefix``."""
    if stmt.condition is None:
        return False
    if has_opaque(stmt.condition):
        return prefix in (stmt.condition_text or "").lower()
    return any(c.variable.lower().startswith(prefix) for c in all_clauses(stmt.condition))


@check("policy_protects_admin_group")
def policy_protects_admin_group(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-006: statements letting a non-administrator group ``use``/``manage`` users or
    groups in the tenancy (or granting ``{USER_UPDATE, GROUP_UPDATE, ...}``) exclude the
    administrators group with ``where target.group.name != 'Administrators'``, as a clause every
    request must satisfy (not inside an ``any {...}`` condition, which would make it optional)."""
    admin_names = _admin_names(params)

    def judge(stmt: Statement) -> str | None | bool:
        if not (changes_users_or_groups(stmt) and stmt.in_tenancy):
            return True
        offenders, unsure = _non_admin_subjects(stmt, admin_names)
        if not offenders:
            return None if unsure else True
        if has_opaque(stmt.condition):
            return None
        excluded = {
            c.value.casefold() for c in required_clauses(stmt.condition)
            if c.variable.lower() == "target.group.name" and c.op == "!=" and not c.pattern
        }
        if {name for _, name in admin_names} <= excluded:
            return True
        what = f"{stmt.verb} {stmt.resource_type}" if stmt.verb else "{" + ", ".join(stmt.permissions) + "}"
        return (
            f"{', '.join(offenders)} can {what} in tenancy without "
            f"excluding the administrators group: {stmt.text!r}"
        )

    return statement_findings(resource, judge)
