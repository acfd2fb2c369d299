"""Named checks over OCI IAM: policy statements, groups, dynamic groups and user API keys.

OCI policies are free text (``Allow group X to read objects in compartment Y where ...``), so
the rules OCI-IAM-002..006 need a small statement parser and joins the condition language cannot
express: API key -> user -> group memberships -> groups -> policy statements naming those groups.

Values follow the Terraform source's contract: a reference to another resource's attribute is its
literal value when written in that block, else an ``Unknown`` whose ``ref`` names the resource and
whose ``symbol`` renders the expression (an interpolated statement keeps its literal text with
``${...}`` around the unknown parts).

Policies that call these checks: OCI-IAM-002, OCI-IAM-003, OCI-IAM-004, OCI-IAM-005, OCI-IAM-006.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown

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
VERB_RANK = {"inspect": 1, "read": 2, "use": 3, "manage": 4}

Params = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Policy statement parsing


@dataclass(frozen=True)
class Subject:
    """Who a statement is for: ``kind`` is group, dynamic-group, any-user, any-group or service.

    ``name`` is the group name without an identity-domain prefix (``'Default'/'Ops'`` -> ``Ops``);
    ``ocid`` is set for ``group id ocid1...`` subjects.
    """

    kind: str
    name: str | None = None
    ocid: str | None = None


@dataclass(frozen=True)
class PolicyStatement:
    """One parsed ``Allow``/``Endorse`` statement.

    ``verb``/``resource_type`` are lower-cased (``manage``, ``all-resources``); statements written
    with a permission list (``to {OBJECT_READ}``) have ``permissions`` instead. ``location`` is
    the text after ``in`` (``tenancy``, ``compartment App``); ``condition`` the ``where`` clause.
    """

    text: str
    action: str
    subjects: tuple[Subject, ...]
    verb: str | None
    resource_type: str | None
    permissions: tuple[str, ...]
    location: str
    condition: str | None

    @property
    def in_tenancy(self) -> bool:
        """True when the statement applies to the whole tenancy (or any tenancy, for Endorse)."""
        words = self.location.lower().split()
        # The root compartment may also be named by the tenancy OCID.
        by_id = words[:2] == ["compartment", "id"] and " ".join(words[2:3]).startswith("ocid1.tenancy.")
        return words[0] in ("tenancy", "any-tenancy") or by_id

    def grants_at_least(self, verb: str, resource_types: set[str]) -> bool:
        """True when the verb is ``verb`` or stronger on one of ``resource_types``."""
        return (
            self.verb is not None
            and VERB_RANK.get(self.verb, 0) >= VERB_RANK[verb]
            and self.resource_type in resource_types
        )


_STATEMENT = re.compile(
    r"^\s*(?P<action>allow|endorse)\s+(?P<subjects>.+?)\s+to\s+"
    r"(?:\{(?P<perms>[^}]*)\}|(?P<verb>inspect|read|use|manage)\s+(?P<rtype>[\w-]+))"
    r"\s+in\s+(?P<location>.+?)(?:\s+where\s+(?P<condition>.+?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SUBJECT = re.compile(
    r"^(?:(?P<kind>group|dynamic-group|service)\s+)?(?P<rest>.+)$", re.IGNORECASE | re.DOTALL
)


def parse_statement(text: str) -> PolicyStatement | None:
    """Parse an ``Allow``/``Endorse`` statement; None for other verbs (Define, Admit) or bad text."""
    m = _STATEMENT.match(text)
    if not m:
        return None
    perms = tuple(p.strip().upper() for p in (m.group("perms") or "").split(",") if p.strip())
    return PolicyStatement(
        text=text,
        action=m.group("action").lower(),
        subjects=_parse_subjects(m.group("subjects")),
        verb=m.group("verb").lower() if m.group("verb") else None,
        resource_type=m.group("rtype").lower() if m.group("rtype") else None,
        permissions=perms,
        location=m.group("location").strip(),
        condition=m.group("condition"),
    )


def _parse_subjects(text: str) -> tuple[Subject, ...]:
    """``group A, group id ocid1..., B`` -> subjects; a bare name continues the previous kind."""
    subjects: list[Subject] = []
    kind = "group"
    for part in _split_outside_quotes(text, ","):
        part = part.strip()
        low = part.lower()
        if low in ("any-user", "any-group"):
            subjects.append(Subject(low))
            continue
        m = _SUBJECT.match(part)
        if not m:
            continue
        if m.group("kind"):
            kind = m.group("kind").lower()
        rest = m.group("rest").strip()
        id_match = re.match(r"^id\s+(\S+)$", rest, re.IGNORECASE)
        if id_match:
            subjects.append(Subject(kind, ocid=_unquote(id_match.group(1))))
        else:
            # Identity domains qualify names: 'Default'/'Ops' or Default/Ops.
            subjects.append(Subject(kind, name=_unquote(rest.rpartition("/")[2])))
    return tuple(subjects)


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts, current, quote, depth = [], [], "", 0
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _unquote(text: str) -> str:
    return text.strip().strip("'\"").strip()


def grants_data_plane(stmt: PolicyStatement, data_plane_types: set[str]) -> bool:
    """True when the statement lets its subjects read or change data (objects, secrets, streams)."""
    if stmt.permissions:
        return any(
            p.startswith(DATA_PLANE_PERMISSION_PREFIXES) and p != "OBJECT_INSPECT" for p in stmt.permissions
        )
    return stmt.verb in DATA_PLANE_VERBS and stmt.resource_type in data_plane_types


def grants_tenancy_admin(stmt: PolicyStatement) -> bool:
    """True for ``manage all-resources in tenancy``: full administrator rights."""
    return stmt.verb == "manage" and stmt.resource_type == "all-resources" and stmt.in_tenancy


# --------------------------------------------------------------------------------------------
# Statements of a scope


@dataclass(frozen=True)
class ScopedStatement:
    """A statement together with the policy and attribute path it came from."""

    policy: Resource
    path: str
    statement: PolicyStatement | None  # None: not statically known (see ``symbol``)
    symbol: str | None = None


def policy_statements(resource: Resource, index: ResourceIndex) -> Iterator[ScopedStatement]:
    """Every ``Allow``/``Endorse`` statement of the policies in ``resource``'s scope, plus one
    entry with ``statement=None`` for each statement (or statement list) that is not known."""
    for policy in index.same_scope(resource, POLICY_KIND):
        statements = policy.attributes.get("statements")
        if is_unknown(statements):
            yield ScopedStatement(policy, "statements", None, statements.symbol)
            continue
        for i, text in enumerate(statements or []):
            parsed, decided = statement_of(text)
            if not decided:
                yield ScopedStatement(policy, f"statements.{i}", None, getattr(text, "symbol", None))
            elif parsed is not None:
                yield ScopedStatement(policy, f"statements.{i}", parsed)


def statement_of(value: Any) -> tuple[PolicyStatement | None, bool]:
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
    m = _STATEMENT.match(symbol)
    if m is None:
        # Define/Admit statements grant nothing to check; anything else may be a grant.
        return None, bool(re.match(r"^\s*(define|admit)\b", symbol, re.IGNORECASE))
    who_and_what = " ".join(m.group(g) or "" for g in ("subjects", "perms", "verb", "rtype"))
    location = m.group("location").lower()
    # "compartment ${...}" is some compartment, unless the placeholder names the tenancy (root).
    location_known = "${" not in location or (
        location.startswith("compartment") and "tenancy" not in location
    )
    if "${" in who_and_what or not location_known:
        return None, False
    return parse_statement(symbol), True


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
        name = found[0].attributes.get("name") if found else None
        if isinstance(name, str):
            return GroupIdentity(name, group_id, f"{name} ({group_id})")
        return GroupIdentity(None, group_id, group_id)
    groups = _scoped_referenced(member, index, group_id, GROUP_KIND)
    if len(groups) == 1:
        name = groups[0].attributes.get("name")
        if isinstance(name, str):
            return GroupIdentity(name, None, f"{name} ({groups[0].address})")
    return None


@dataclass
class UserGroups:
    """The groups of an API key's user; ``complete`` is False when some membership could not be
    attributed or some group not identified."""

    groups: list[GroupIdentity]
    complete: bool


def api_key_user_groups(api_key: Resource, index: ResourceIndex) -> UserGroups | None:
    """Groups of the user an ``oci_identity_api_key`` belongs to; None when the user is unknown."""
    user = api_key.attributes.get("user_id")
    if user is None or (is_unknown(user) and not user.ref and not user.symbol):
        return None
    result = UserGroups([], True)
    for member in index.same_scope(api_key, MEMBERSHIP_KIND):
        same = _refs_equal(member.attributes.get("user_id"), user)
        if same is False:
            continue
        if same is None:
            result.complete = False
            continue
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
            return subject.name.casefold() == group.name.casefold()
        return None
    if subject.ocid is not None and group.ocid is not None:
        return subject.ocid == group.ocid
    return None


def _user_grant(
    api_key: Resource, index: ResourceIndex, grants: Callable[[PolicyStatement], bool], admin_names: set[str]
) -> Outcome:
    """Shared logic of OCI-IAM-002/005: does a group of the key's user get what ``grants`` tests
    for (or is it one of ``admin_names``)?  False = violation found."""
    user_groups = api_key_user_groups(api_key, index)
    if user_groups is None:
        return Outcome(None, path="user_id", detail="the key's user cannot be resolved statically")
    for group in user_groups.groups:
        if group.name is not None and group.name.casefold() in admin_names:
            return Outcome(False, path="user_id", detail=f"the user is a member of {group.label}")
    undecided = not user_groups.complete
    for entry in policy_statements(api_key, index):
        stmt = entry.statement
        if stmt is None:
            undecided = undecided or _unknown_may_concern(entry.symbol, ("group",))
            continue
        if not grants(stmt):
            continue
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


def _admin_names(params: Params) -> set[str]:
    return {str(n).casefold() for n in params.get("admin_groups", DEFAULT_ADMIN_GROUPS)}


@check("api_key_user_without_data_access")
def api_key_user_without_data_access(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-002: the user of an ``oci_identity_api_key`` gets no data-plane access.

    Follows ``user_id`` to the user's ``oci_identity_user_group_membership`` resources, their
    groups, and every policy statement in the same scope. False when a statement grants one of
    those groups (or every user) read/use/manage on a data-plane resource type (parameter
    ``data_plane_types``); unknown when a membership, group or statement cannot be resolved.
    """
    types = {str(t).lower() for t in params.get("data_plane_types", DEFAULT_DATA_PLANE_TYPES)}
    return _user_grant(resource, index, lambda s: grants_data_plane(s, types), set())


@check("api_key_user_not_tenancy_admin")
def api_key_user_not_tenancy_admin(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-005: the user of an ``oci_identity_api_key`` is no tenancy administrator.

    An administrator is a member of a group named in ``admin_groups`` or of a group granted
    ``manage all-resources in tenancy``.
    """
    return _user_grant(resource, index, grants_tenancy_admin, _admin_names(params))


# --------------------------------------------------------------------------------------------
# Dynamic groups


_MATCHING_SET = re.compile(r"^\s*(any|all)\s*\{(?P<body>.*)\}\s*$", re.IGNORECASE | re.DOTALL)
_MATCHING_CLAUSE = re.compile(r"^\s*(?P<var>[\w.\-]+)\s*(?:(?P<op>!=|=)\s*(?P<value>.*?))?\s*$", re.DOTALL)


def matching_rule_breadth(rule: str) -> str | None:
    """Why a dynamic-group matching rule admits every resource of a type in the tenancy, or None.

    A clause narrows membership when it pins an OCID, a compartment or a tag with ``=``; a
    ``!=`` clause or a bare ``resource.type = '...'`` does not. ``ALL {...}`` is broad when no
    clause narrows; ``ANY {...}`` when one clause alone is broad.
    """
    m = _MATCHING_SET.match(rule)
    if m:
        mode = m.group(1).lower()
        clauses = [c for c in _split_outside_quotes(m.group("body"), ",") if c.strip()]
    else:
        mode, clauses = "all", [rule]
    if not clauses:
        return None
    broad = [c.strip() for c in clauses if _clause_is_broad(c)]
    if mode == "all" and len(broad) == len(clauses):
        return f"no clause narrows membership ({', '.join(broad)})"
    if mode == "any" and broad:
        return f"ANY clause {broad[0]!r} alone admits nearly every resource"
    return None


def _clause_is_broad(clause: str) -> bool:
    m = _MATCHING_CLAUSE.match(clause)
    if not m:
        return False  # not understood: do not accuse
    if m.group("op") == "!=":
        return True
    return m.group("var").lower() == "resource.type"


def _without_keys(text: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", text)


def _dynamic_group_subject_matches(subject: Subject, name: Any) -> bool | None:
    if subject.kind != "dynamic-group":
        return False
    if subject.name is not None:
        if isinstance(name, str):
            return subject.name.casefold() == name.casefold()
        return None
    return None  # ``dynamic-group id <ocid>``: the OCID is only known after apply


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
    for entry in policy_statements(resource, index):
        if entry.statement is None:
            if entry.symbol and own_ref in _without_keys(entry.symbol):
                return Outcome(True, path="name")
            undecided = undecided or _unknown_may_concern(entry.symbol, ("dynamic-group",))
            continue
        for subject in entry.statement.subjects:
            match = _dynamic_group_subject_matches(subject, name)
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


def _statement_findings(resource: Resource, judge: Callable[[PolicyStatement], str | None | bool]) -> Outcome:
    """Apply ``judge`` to each statement of one policy: a string is a violation (the detail),
    None means unknown, anything else compliant."""
    statements = resource.attributes.get("statements")
    if is_unknown(statements):
        return Outcome(None, path="statements", detail="the statements are not known statically")
    if not isinstance(statements, list):
        return Outcome(None, path="statements", detail="no statements")
    unknown_path: str | None = None
    for i, text in enumerate(statements):
        stmt, decided = statement_of(text)
        if not decided:
            unknown_path = unknown_path or f"statements.{i}"
            continue
        if stmt is None:
            continue
        verdict = judge(stmt)
        if isinstance(verdict, str):
            return Outcome(False, path=f"statements.{i}", detail=verdict)
        if verdict is None:
            unknown_path = unknown_path or f"statements.{i}"
    if unknown_path:
        return Outcome(None, path=unknown_path, detail="a statement is not known statically")
    return Outcome(True, path="statements")


def _non_admin_subjects(stmt: PolicyStatement, admin_names: set[str]) -> tuple[list[str], bool]:
    """Subjects of ``stmt`` that are not an administrators group, and whether some are unknown."""
    offenders, unsure = [], False
    for s in stmt.subjects:
        if s.kind == "group" and s.name is not None:
            if s.name.casefold() not in admin_names:
                offenders.append(f"group {s.name}")
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
                scoped = stmt.condition is not None and "request.principal" in stmt.condition.lower()
                if not (scoped and scoped_any_user_ok):
                    return f"statement grants {s.kind}: {stmt.text!r}"
        if grants_tenancy_admin(stmt):
            offenders, unsure = _non_admin_subjects(stmt, admin_names)
            if offenders:
                return f"{', '.join(offenders)} gets manage all-resources in tenancy"
            if unsure:
                return None
        return True

    return _statement_findings(resource, judge)


_PROTECTS_ADMINS = re.compile(r"target\.group\.name\s*!=\s*'?\"?(?P<name>[^'\",}\s]+)", re.IGNORECASE)


@check("policy_protects_admin_group")
def policy_protects_admin_group(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-006: statements letting a non-administrator group ``use``/``manage`` users or
    groups in the tenancy exclude the administrators group with ``where target.group.name !=
    'Administrators'`` (not inside an ``any {...}`` condition, which would make it optional)."""
    admin_names = _admin_names(params)

    def judge(stmt: PolicyStatement) -> str | None | bool:
        if not (stmt.grants_at_least("use", {"users", "groups"}) and stmt.in_tenancy):
            return True
        offenders, unsure = _non_admin_subjects(stmt, admin_names)
        if not offenders:
            return None if unsure else True
        cond = stmt.condition or ""
        excluded = {m.group("name").casefold() for m in _PROTECTS_ADMINS.finditer(cond)}
        if admin_names <= excluded and not re.match(r"^\s*any\s*\{", cond, re.IGNORECASE):
            return True
        return (
            f"{', '.join(offenders)} can {stmt.verb} {stmt.resource_type} in tenancy without "
            f"excluding the administrators group: {stmt.text!r}"
        )

    return _statement_findings(resource, judge)
