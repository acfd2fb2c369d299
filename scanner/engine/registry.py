"""Named Python checks, for what the declarative condition language cannot say.

A check is registered by name and referenced from a policy as ``{check: NAME, with: {...}}``::

    @check("listener_redirects_to_https")
    def _redirects(resource: Resource, index: ResourceIndex, params: dict) -> Outcome:
        ...
        return Outcome(False, path="protocol", detail="plain HTTP without a redirect")

``Outcome.result`` is three-valued: True (compliant), False (violation), None (unknown).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from scanner.model import Location, Resource, Unknown, strip_instance_keys


@dataclass(frozen=True)
class Outcome:
    """Result of a condition or check: True / False / None (unknown), with the attribute path
    that decided it (for the finding's location) and an optional human detail. A check that
    finds something outside any attribute (a line of raw text) gives ``location`` instead."""

    result: bool | None
    path: str | None = None
    detail: str | None = None
    location: Location | None = None
    # Further violations of the same rule on the same resource, each at its own place (a second
    # secret in the same values file): one finding each, so each has its line and fingerprint.
    more: tuple[Outcome, ...] = ()


class ResourceIndex:
    """All resources of one scan, looked up by kind and by address (module-aware)."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = list(resources)
        self._by_kind: dict[str, list[Resource]] = defaultdict(list)
        # Two roots (envs/dev, envs/prod) often declare the same addresses: every lookup keeps
        # all of them, and joins pick the one in their own scope.
        self._by_address: dict[str, list[Resource]] = defaultdict(list)
        self._by_base: dict[str, list[Resource]] = defaultdict(list)
        self._by_scope: dict[str, dict[Any, list[Resource]] | None] = {}  # kind -> scope -> resources
        for res in self.resources:
            self._by_kind[res.kind].append(res)
            self._by_address[res.address].append(res)
            self._by_base[strip_instance_keys(res.address)].append(res)

    def by_kind(self, kind: str) -> list[Resource]:
        """Every resource of a kind, in scan order."""
        return self._by_kind.get(kind, [])

    def by_address(self, address: str, within: Resource | None = None) -> list[Resource]:
        """Resources at an address; an address without instance keys (``oci_core_subnet.a``)
        matches every instance of a counted / for_each resource. ``within``: only those in
        the same scope (Terraform root, plan, snapshot) as that resource."""
        found = self._by_address.get(address) or self._by_base.get(strip_instance_keys(address), [])
        if within is not None:
            scope = within.context.get("scope")
            found = [r for r in found if r.context.get("scope") == scope]
        return list(found)

    def referenced(self, value: Any, within: Resource | None = None) -> list[Resource]:
        """The resources a value refers to (an ``Unknown`` carrying ``ref``, or the OCID of a live
        resource), else none; ``within`` keeps the join inside that resource's scope."""
        if isinstance(value, Unknown) and value.ref:
            return self.by_address(value.ref, within)
        # Live resources are addressed by OCID, and their references are literal OCIDs.
        if isinstance(value, str) and value.startswith("ocid1.") and value in self._by_address:
            return self.by_address(value, within)
        return []

    def same_scope(self, resource: Resource, kind: str) -> list[Resource]:
        """Resources of ``kind`` from the same source scope (same Terraform root, plan, or
        tenancy snapshot) as ``resource``: cross-resource joins never cross scan roots."""
        scope = resource.context.get("scope")
        if kind not in self._by_scope:
            # Grouped once per kind: a check that joins every workload with the Services of its
            # scope would otherwise filter the whole kind again for each resource (quadratic).
            try:
                by_scope: dict[Any, list[Resource]] | None = {}
                for r in self.by_kind(kind):
                    by_scope.setdefault(r.context.get("scope"), []).append(r)
            except TypeError:  # an unhashable scope (sources set strings): compared one by one
                by_scope = None
            self._by_scope[kind] = by_scope
        grouped = self._by_scope[kind]
        if grouped is not None:
            try:
                return list(grouped.get(scope, ()))
            except TypeError:
                pass
        return [r for r in self.by_kind(kind) if r.context.get("scope") == scope]


CheckFn = Callable[[Resource, ResourceIndex, dict[str, Any]], Outcome]
_CHECKS: dict[str, CheckFn] = {}


def check(name: str) -> Callable[[CheckFn], CheckFn]:
    """Register a named check."""

    def deco(fn: CheckFn) -> CheckFn:
        if name in _CHECKS:
            raise ValueError(f"named check {name!r} registered twice")
        _CHECKS[name] = fn
        return fn

    return deco


_PLUGINS_LOADED = False
PLUGIN_GROUP = "ocisec.checks"


def load_plugins() -> None:
    """Import every module declared under the ``ocisec.checks`` entry-point group (the built-in
    ``scanner.checks`` is one, declared in pyproject.toml); each registers its checks with
    ``@check`` on import, as c7n's plugins do. Runs once per process."""
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    from importlib.metadata import entry_points

    for entry in entry_points(group=PLUGIN_GROUP):
        entry.load()


def get_check(name: str) -> CheckFn:
    """The check registered under ``name`` (plugins are loaded on first use)."""
    load_plugins()
    try:
        return _CHECKS[name]
    except KeyError:
        raise KeyError(f"unknown named check {name!r}") from None


def check_names() -> list[str]:
    """Names of every registered check."""
    load_plugins()

    return sorted(_CHECKS)


def checks_in(condition: Any) -> list[str]:
    """Names of the named checks a declarative condition calls, in order, each once."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("check")
            if isinstance(name, str) and name not in found:
                found.append(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(condition)
    return found


def checks_of_rule(rule: Any) -> list[tuple[str, str]]:
    """``(check name, module that defines it)`` for every named check ``rule`` uses: how a
    policy is traced to its Python (``ocisec rules show ID``)."""
    names: list[str] = []
    for target in rule.targets:
        for name in checks_in([target.when, target.condition]):
            if name not in names:
                names.append(name)
    load_plugins()
    return [(name, getattr(_CHECKS.get(name), "__module__", "?")) for name in names]
