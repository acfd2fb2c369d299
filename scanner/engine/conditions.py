"""Evaluation of the declarative condition language (docs/policy-language.md).

Three-valued throughout: True (compliant), False (violation), None (unknown). Every outcome
carries the concrete attribute path that decided it so the finding can point at its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, get_check
from scanner.guards.safe_regex import RegexError, compile_policy
from scanner.model import Resource, Unknown
from scanner.model.timestamps import age_days

Value = tuple[Any, str]  # a value and its concrete path


class ConditionError(ValueError):
    """A condition that is well-formed per the schema but cannot be evaluated (bad regex...)."""


def resolve(attrs: Any, path: str, base: str = "") -> list[Value]:
    """Every value at ``path`` (mapping over lists of blocks), with concrete paths."""
    current: list[Value] = [(attrs, base)]
    if path in (".", ""):
        return current
    for seg in path.split("."):
        nxt: list[Value] = []
        for value, at in current:
            _step(value, seg, at, nxt)
        current = nxt
    return current


def _join(at: str, seg: str | int) -> str:
    return f"{at}.{seg}" if at else str(seg)


def _step(value: Any, seg: str, at: str, out: list[Value]) -> None:
    if isinstance(value, Unknown):
        out.append((value, at))  # cannot look deeper: the whole subtree is unknown
    elif isinstance(value, dict):
        if seg in value:
            out.append((value[seg], _join(at, seg)))
    elif isinstance(value, list):
        if seg.isdigit():
            i = int(seg)
            if i < len(value):
                out.append((value[i], _join(at, i)))
        else:
            for i, item in enumerate(value):
                _step(item, seg, _join(at, i), out)


def _is_empty(v: Any) -> bool:
    return v is None or v == "" or v == [] or v == {}


def _has_literal(v: Any) -> bool:
    if isinstance(v, Unknown) or v is None or v == "":
        return False
    if isinstance(v, list):
        return any(_has_literal(x) for x in v)
    if isinstance(v, dict):
        return any(_has_literal(x) for x in v.values())
    return True


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


_DURATION = re.compile(
    r"^P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def duration_days(text: Any) -> float | None:
    """Days in an ISO-8601 duration (``P90D``, ``PT2160H``, ``P3M`` = 90 days); None if invalid."""
    if not isinstance(text, str):
        return None
    m = _DURATION.match(text.strip().upper())
    if not m or text.strip().upper() in ("P", "PT"):
        return None
    g = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    return g["y"] * 365 + g["mo"] * 30 + g["w"] * 7 + g["d"] + g["h"] / 24 + g["mi"] / 1440 + g["s"] / 86400


def _regex(pattern: str) -> Any:
    """The pattern compiled with RE2 (linear-time matching: policies and values may be untrusted),
    or bounded in time when RE2 cannot run it."""
    try:
        return compile_policy(pattern)
    except RegexError as exc:
        raise ConditionError(f"invalid regular expression {pattern!r}: {exc}") from None


class Evaluator:
    """Evaluates one rule's conditions against resources."""

    def __init__(self, params: dict[str, Any], index: ResourceIndex) -> None:
        self.params = params
        self.index = index

    def run(self, cond: dict[str, Any], resource: Resource) -> Outcome:
        """Evaluate ``cond`` at the top level of ``resource``."""
        return self._eval(cond, resource, resource.attributes, "")

    # --- dispatch ---------------------------------------------------------------------------
    def _eval(self, cond: dict[str, Any], res: Resource, attrs: Any, base: str) -> Outcome:
        if "op" in cond and "attr" in cond:
            return self._leaf(cond, res, attrs, base)
        if "distinct" in cond:
            return self._distinct(cond, attrs, base)
        if "each" in cond:
            return self._each(cond, res, attrs, base)
        if "all" in cond:
            return _all(self._eval(c, res, attrs, base) for c in cond["all"])
        if "any" in cond:
            return _any(self._eval(c, res, attrs, base) for c in cond["any"])
        if "none" in cond:
            return _not(_any(self._eval(c, res, attrs, base) for c in cond["none"]))
        if "not" in cond:
            return _not(self._eval(cond["not"], res, attrs, base))
        if "check" in cond:
            fn = get_check(cond["check"])
            return fn(res, self.index, {**self.params, **cond.get("with", {})})
        raise ConditionError(f"unrecognised condition {sorted(cond)}")

    def _operand(self, cond: dict[str, Any], attrs: Any, base: str) -> Any:
        if "param" in cond:
            name = cond["param"]
            if name not in self.params:
                raise ConditionError(f"condition refers to undeclared parameter {name!r}")
            return self.params[name]
        if "count_of" in cond:
            vals = resolve(attrs, cond["count_of"], base)
            if any(isinstance(v, Unknown) for v, _ in vals):
                return Unknown("count of an unknown collection")
            return _element_count(vals)
        if "distinct_of" in cond:
            vals = [v for v, _ in resolve(attrs, cond["distinct_of"], base)]
            if any(isinstance(v, Unknown) for v in vals):
                return Unknown("distinct count of unknown values")
            return len({repr(v) for v in vals})
        return cond.get("value")

    # --- leaves -----------------------------------------------------------------------------
    def _leaf(self, cond: dict[str, Any], res: Resource, attrs: Any, base: str) -> Outcome:
        op, path = cond["op"], cond["attr"]
        values = resolve(attrs, path, base)
        where = _join(base, path) if path not in (".", "") else base
        operand = self._operand(cond, attrs, base)
        if isinstance(operand, Unknown):
            return Outcome(None, where, operand.reason)
        if op == "count_gte" or op == "count_lte":
            if any(isinstance(v, Unknown) for v, _ in values):
                return Outcome(None, where, "collection not known statically")
            n = _element_count(values)
            ok = n >= operand if op == "count_gte" else n <= operand
            return Outcome(ok, where, f"{path} has {n} element(s)")
        if not values:
            return Outcome(_missing(op), where, f"{path} is not set")
        if op in AGE_OPS:
            return _all(_age(op, v, operand, at, res) for v, at in values)
        if op == "not_literal":
            # A plan holds resolved values; its configuration says whether they came from code.
            refs = res.context.get("expression_references") or {}
            values = [(None if refs.get(at) else v, at) for v, at in values]
        results = [Outcome(self._test(op, v, operand, cond), at, _detail(op, v, at)) for v, at in values]
        return _all(results)

    def _test(self, op: str, v: Any, operand: Any, cond: dict[str, Any]) -> bool | None:  # noqa: C901
        if op == "not_literal":
            return not _has_literal(v)
        if op == "written":
            return v is not None
        if isinstance(v, Unknown):
            if op == "exists":
                return True if v.nonnull else None
            if op == "absent":
                return False if v.nonnull else None
            return None
        if op == "exists":
            return not _is_empty(v)
        if op == "absent":
            return v is None
        if op == "truthy":
            return v is True or v == "true"
        if op == "falsy":
            return v is None or v is False or v == "false"
        if v is None:
            return _missing(op)
        fold = cond.get("ignore_case", False)

        def norm(x: Any) -> Any:
            return x.lower() if fold and isinstance(x, str) else x

        if op == "equals":
            return norm(v) == norm(operand)
        if op == "not_equals":
            return norm(v) != norm(operand)
        if op in ("in", "not_in"):
            inside = norm(v) in [norm(x) for x in operand]
            return inside if op == "in" else not inside
        if op in ("matches", "not_matches"):
            rx = _regex(operand)
            items = v if isinstance(v, list) else [v]
            if any(isinstance(x, Unknown) for x in items):
                try:
                    hit = any(isinstance(x, str) and rx.search(x) for x in items)
                except RegexError as exc:
                    raise ConditionError(f"regular expression {operand!r}: {exc}") from None
                if hit:
                    return op == "matches"
                return None
            try:
                hit = any(isinstance(x, str) and rx.search(x) for x in items)
            except RegexError as exc:
                raise ConditionError(f"regular expression {operand!r}: {exc}") from None
            return hit if op == "matches" else not hit
        if op in ("gt", "gte", "lt", "lte"):
            a, b = _num(v), _num(operand)
            if a is None or b is None:
                return False
            return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
        if op in ("duration_lte", "duration_gte"):
            days = duration_days(v)
            if days is None:
                return False
            return days <= float(operand) if op == "duration_lte" else days >= float(operand)
        raise ConditionError(f"unknown op {op!r}")

    # --- distinct / each ----------------------------------------------------------------------
    def _distinct(self, cond: dict[str, Any], attrs: Any, base: str) -> Outcome:
        path = cond["distinct"]
        where = _join(base, path)
        target = self._operand(cond, attrs, base)
        values = [v for v, _ in resolve(attrs, path, base)]
        flat: list[Any] = []
        for v in values:
            flat.extend(v if isinstance(v, list) else [v])
        known = {repr(v) for v in flat if not isinstance(v, Unknown) and v is not None}
        unknowns = [v for v in flat if isinstance(v, Unknown)]
        groups: dict[str, set[str]] = {}
        for u in unknowns:
            m = re.match(r"^(.*)\[(\d+)\](.*)$", u.symbol or "")
            if m:
                groups.setdefault(m.group(1) + "\0" + m.group(3), set()).add(m.group(2))
        # Elements at different indices of one list are taken as distinct (AD and FD lists are).
        low = max([len(known)] + [len(g) for g in groups.values()])
        high = len(known) + len(unknowns)
        op = cond["op"]
        detail = f"{len(known)} distinct known value(s) at {path}" + (
            f", {len(unknowns)} unknown" if unknowns else ""
        )
        if op == "gte":
            res = True if low >= target else (False if high < target else None)
        elif op == "lte":
            res = True if high <= target else (False if low > target else None)
        else:
            res = True if low == high == target else (False if high < target or low > target else None)
        return Outcome(res, where, detail)

    def _each(self, cond: dict[str, Any], res: Resource, attrs: Any, base: str) -> Outcome:
        path = cond["each"]
        where = _join(base, path)
        elements: list[Value] = []
        for v, at in resolve(attrs, path, base):
            if isinstance(v, Unknown):
                return Outcome(None, at, v.reason)
            if isinstance(v, list):
                elements.extend((x, _join(at, i)) for i, x in enumerate(v))
            elif v is not None:
                elements.append((v, at))
        selected: list[Value] = []
        unsure: list[Outcome] = []
        for el, at in elements:
            if "where" in cond:
                w = self._eval(cond["where"], res, el, at)
                if w.result is None:
                    unsure.append(w)
                if w.result is not True:
                    continue
            selected.append((el, at))
        outcomes = [
            self._eval(cond.get("all") or cond.get("any") or cond["none"], res, el, at) for el, at in selected
        ]
        if "all" in cond:
            out = _all(outcomes)
            return (
                out
                if out.result is not True or not unsure
                else Outcome(None, unsure[0].path, unsure[0].detail)
            )
        if "any" in cond:
            out = _any(outcomes)
            if out.result is False:
                if unsure:
                    return Outcome(None, unsure[0].path, unsure[0].detail)
                return Outcome(
                    False, where if not selected else out.path, out.detail or f"no matching {path}"
                )
            return out
        out = _not(_any(outcomes))
        return out


AGE_OPS = ("age_days_lte", "age_days_gt")


def _age(op: str, value: Any, max_days: Any, at: str, res: Resource) -> Outcome:
    """``age_days_lte``/``age_days_gt``: the age in days of a timestamp, measured against the
    resource's reference time (a live snapshot's ``collected_at``), compared with the operand.
    Without a reference time (code, plans) or with an unknown value the result is unknown."""
    reference = res.context.get("reference_time")
    if isinstance(value, Unknown):
        return Outcome(None, at, f"{at}: {value.reason}")
    if reference is None:
        return Outcome(None, at, "ages are known only for live inventories (no reference time)")
    if value is None:
        return Outcome(_missing(op), at, f"{at} is not set")
    days = age_days(value, reference)
    limit = _num(max_days)
    if days is None or limit is None:
        return Outcome(False, at, f"{at} is not an RFC 3339 timestamp")
    ok = days <= limit if op == "age_days_lte" else days > limit
    return Outcome(ok, at, f"{at} is {int(days)} day(s) old at {reference}")


def _element_count(values: list[Value]) -> int:
    """Elements at a path: a list (block or list attribute) counts its items, a value counts one."""
    return sum(len(v) if isinstance(v, list) else 1 for v, _ in values if v is not None)


def _missing(op: str) -> bool | None:
    """Result of an op when the attribute is not set at all."""
    return op in ("absent", "falsy", "not_equals", "not_in", "not_matches", "not_literal")  # "written": False


def _detail(op: str, v: Any, at: str) -> str:
    if isinstance(v, Unknown):
        return f"{at}: {v.reason}"
    if op in ("exists",) and _is_empty(v):
        return f"{at} is empty"
    return f"{at} does not satisfy {op}"


def _all(outcomes: Iterable[Outcome]) -> Outcome:
    unknown = None
    last = Outcome(True)
    for o in outcomes:
        if o.result is False:
            return o
        if o.result is None and unknown is None:
            unknown = o
        last = o
    return unknown or Outcome(True, last.path, last.detail)


def _any(outcomes: Iterable[Outcome]) -> Outcome:
    unknown = None
    first_false = None
    for o in outcomes:
        if o.result is True:
            return o
        if o.result is None and unknown is None:
            unknown = o
        if o.result is False and first_false is None:
            first_false = o
    return unknown or first_false or Outcome(False)


def _not(o: Outcome) -> Outcome:
    return Outcome(None if o.result is None else not o.result, o.path, o.detail, o.location)
