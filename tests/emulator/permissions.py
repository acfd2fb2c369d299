"""The emulator's permission model: what the auditing principal's policy lets it see.

A ``PrincipalPolicy`` holds the statements that apply to the principal making the calls
(``allow group Auditors to inspect all-resources in tenancy``). Only what the emulator needs is
modelled, written from the IAM documentation ("How Policies Work", "Verbs", "Policy
Inheritance"):

* verbs are cumulative: ``inspect`` < ``read`` < ``use`` < ``manage``;
* a resource-type is granted by its own name, by a family that contains it, or by
  ``all-resources``;
* ``in tenancy`` covers every compartment; ``in compartment A:B`` (a path of names) and
  ``in compartment id <ocid>`` cover that compartment and everything below it.

The one condition modelled is ``where target.bucket.name = 'NAME'`` (Object Storage policy
reference: the variable applies to ``buckets`` and ``objects``): the statement then grants only
on that bucket. Other conditions and ``deny``/``endorse``/``admit`` are refused with a
ValueError: the emulator must not grant more than the real service would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .doc_types import FAMILIES

VERBS = {"inspect": 1, "read": 2, "use": 3, "manage": 4}

_STATEMENT = re.compile(
    r"^\s*allow\s+(?P<subject>.+?)\s+to\s+(?P<verb>inspect|read|use|manage)\s+(?P<resource>[\w-]+)"
    r"\s+in\s+(?P<where>tenancy|compartment\s+id\s+\S+|compartment\s+\S+)"
    r"(?:\s+where\s+target\.bucket\.name\s*=\s*'(?P<bucket>[A-Za-z0-9_.-]+)')?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Grant:
    """One parsed statement: verb level, resource-type (or family), and location (None: tenancy;
    else a compartment OCID, or a path of names to resolve against the tree)."""

    text: str
    verb: int
    resource: str
    compartment_id: str | None
    compartment_path: tuple[str, ...] | None
    bucket: str | None = None  # ``where target.bucket.name = '...'``


def parse_statement(text: str) -> Grant:
    """Parse one allow statement; ValueError for anything the emulator does not model."""
    m = _STATEMENT.match(text)
    if not m:
        raise ValueError(f"the emulator's permission model cannot read this statement: {text!r}")
    where = m.group("where").split()
    compartment_id = path = None
    if where[0].lower() == "compartment":
        if where[1].lower() == "id":
            compartment_id = where[2]
        else:
            path = tuple(where[1].split(":"))
    return Grant(
        text,
        VERBS[m.group("verb").lower()],
        m.group("resource").lower(),
        compartment_id,
        path,
        m.group("bucket"),
    )


class PrincipalPolicy:
    """The statements that apply to the caller, over a compartment tree.

    ``parents`` maps every compartment OCID to its parent's (the tenancy maps to None) and
    ``names`` to its name, so that ``in compartment apps`` and inheritance can be resolved.
    """

    def __init__(
        self,
        statements: Iterable[str],
        tenancy_id: str,
        parents: dict[str, str | None],
        names: dict[str, str],
    ) -> None:
        self.tenancy_id = tenancy_id
        self.parents = parents
        self.names = names
        self.grants = [parse_statement(s) for s in statements]
        self._resolved = [(g, self._resolve(g)) for g in self.grants]

    def _resolve(self, grant: Grant) -> str | None:
        if grant.compartment_id is not None:
            return grant.compartment_id
        if grant.compartment_path is None:
            return self.tenancy_id
        node = self.tenancy_id
        for name in grant.compartment_path:
            child = next(
                (c for c, p in self.parents.items() if p == node and self.names.get(c) == name), None
            )
            if child is None:
                return None  # names a compartment that does not exist: grants nothing
            node = child
        return node

    def _ancestors(self, compartment_id: str | None) -> set[str]:
        seen: set[str] = set()
        node = compartment_id
        while node is not None and node not in seen:
            seen.add(node)
            node = self.parents.get(node)
        return seen

    def allows(self, verb: str, resource: str, compartment_id: str | None, bucket: str | None = None) -> bool:
        """True when some statement grants ``verb`` on ``resource`` in ``compartment_id``
        (or above it); a statement conditioned on a bucket name grants only on ``bucket``."""
        need = VERBS[verb]
        # Every compartment lies in the tenancy, even one missing from the tree.
        chain = self._ancestors(compartment_id or self.tenancy_id) | {self.tenancy_id}
        for grant, where in self._resolved:
            if grant.verb < need or where is None or where not in chain:
                continue
            if grant.bucket is not None and grant.bucket != bucket:
                continue
            if grant.resource in ("all-resources", resource) or resource in FAMILIES.get(grant.resource, ()):
                return True
        return False

    def path_of(self, compartment_id: str | None) -> str:
        """``compartment prod:apps`` or ``tenancy``: how a statement would name the location."""
        if compartment_id in (None, self.tenancy_id):
            return "tenancy"
        names = []
        node = compartment_id
        while node is not None and node != self.tenancy_id:
            names.append(self.names.get(node, node))
            node = self.parents.get(node)
        return "compartment " + ":".join(reversed(names))
