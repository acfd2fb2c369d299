"""Static evaluation of Terraform expressions within a module instance.

Values are plain Python (str, int, float, bool, None, list, dict) or ``Unknown``. References are
resolved lazily with memoization, so module outputs, locals and resource attributes can refer to
each other in any order; a reference cycle yields an unknown instead of recursing forever.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from scanner.guards.limits import BUDGET, LIMITS, LimitExceeded, check_size
from scanner.model import InputError, Location, Unknown
from scanner.sources.terraform.functions import FUNCTIONS, NEVER, FunctionError
from scanner.sources.terraform.syntax import (
    BinOp,
    Block,
    Body,
    Call,
    Conditional,
    Expr,
    ForExpr,
    GetAttr,
    Index,
    Lit,
    Name,
    ObjectExpr,
    Splat,
    Template,
    TemplateFor,
    TemplateIf,
    TupleExpr,
    UnaryOp,
    Unsupported,
)
from scanner.sources.terraform.templates import load_template, resolve_template


class ModuleInstance(Protocol):
    """What the evaluator asks of the module instance it evaluates in. ``module.ModuleInstance``
    provides it; the evaluator does not import the module layer, which depends on it."""

    program: Any
    config: Any
    prefix: str
    root_rel_dir: str

    def variable(self, name: str) -> Any: ...
    def local(self, name: str) -> Any: ...
    def module_call(self, name: str) -> Any: ...
    def data_symbol(self, type_: str, name: str) -> Any: ...
    def resource_attribute(self, ref: Any, attr: str) -> Any: ...
    def instance_keys(self, ref: Any) -> Any: ...

# Arguments of a resource/module block that configure Terraform itself, not the object.
META_ARGUMENTS = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}


class _Cycle(Exception):
    pass


class Scope:
    """Where an expression is evaluated: a module instance plus local bindings
    (``count.index``, ``each``, dynamic-block iterators, for-expression variables)."""

    __slots__ = ("module", "bindings", "file")

    def __init__(self, module: ModuleInstance, bindings: dict[str, Any] | None = None, file: str = ""):
        self.module = module
        self.bindings = bindings or {}
        self.file = file

    def bind(self, **names: Any) -> Scope:
        """A child scope with more bindings."""
        return Scope(self.module, {**self.bindings, **names}, self.file)


class _Namespace:
    """A partly written reference (``var``, ``data.oci_x``, ``oci_core_vcn``)."""

    __slots__ = ("kind", "parts")

    def __init__(self, kind: str, parts: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.parts = parts


class ResourceRef:
    """A reference to a managed resource (all instances, or one via ``key``)."""

    __slots__ = ("module", "type", "name", "key", "has_key")

    def __init__(self, module: ModuleInstance, type_: str, name: str, key: Any = None, has_key: bool = False):
        self.module = module
        self.type = type_
        self.name = name
        self.key = key
        self.has_key = has_key

    @property
    def address(self) -> str:
        """The resource's address without instance key."""
        return f"{self.module.prefix}{self.type}.{self.name}"

    @property
    def instance_address(self) -> str:
        """The address of the referenced instance (with its key when one was given)."""
        if not self.has_key:
            return self.address
        key = str(self.key) if isinstance(self.key, int) else f'"{self.key}"'
        return f"{self.address}[{key}]"


class ModuleOutputs:
    """A reference to one instance of a module call; outputs are evaluated on access."""

    __slots__ = ("instance",)

    def __init__(self, instance: ModuleInstance | None) -> None:
        self.instance = instance


def _unknown_attr(value: Unknown, step: str) -> Unknown:
    symbol = f"{value.symbol}{step}" if value.symbol else None
    return Unknown(value.reason, nonnull=False, ref=value.ref, symbol=symbol)


# Lines being evaluated, innermost last: where a limit that is hit gets reported.
_SITES: list[int] = []


def report_problem(scope: Scope, message: str, line: int | None = None) -> None:
    """Record an input error at the expression being evaluated (once per place and message)."""
    program = scope.module.program
    line = line if line is not None else (_SITES[-1] if _SITES else None)
    seen = program.__dict__.setdefault("_reported", set())
    key = (scope.file, line, message)
    if key not in seen:
        seen.add(key)
        program.errors.append(InputError(scope.file or ".", message, line))


def evaluate(expr: Expr, scope: Scope, line: int | None = None) -> Any:
    """Evaluate ``expr``; never raises for an unresolvable value (returns ``Unknown``).

    ``line``: where ``expr`` is written, for errors. Work past a limit (``scanner.guards.limits``)
    is an input error naming the file and line; the value is then unknown.
    """
    if line is not None:
        _SITES.append(line)
    try:
        return _finish(_eval(expr, scope))
    except _Cycle:
        return Unknown("reference cycle")
    except LimitExceeded as exc:
        report_problem(scope, str(exc))
        return Unknown(f"limit {exc.limit} exceeded")
    except (
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        ZeroDivisionError,
        AttributeError,
        OverflowError,
        FunctionError,
    ) as exc:
        return Unknown(f"not evaluable statically ({type(exc).__name__})")
    except RecursionError:
        return Unknown("expression nested too deeply")
    finally:
        if line is not None:
            _SITES.pop()


def _finish(value: Any) -> Any:
    """Turn reference objects that escaped into values (a whole resource or module output)."""
    if isinstance(value, _Namespace):
        return Unknown(f"incomplete reference {'.'.join((value.kind, *value.parts))}")
    if isinstance(value, ResourceRef):
        addr = value.instance_address
        return Unknown(f"reference to {addr}", nonnull=True, ref=addr, symbol=addr)
    if isinstance(value, ModuleOutputs):
        if value.instance is None:
            return Unknown("output of a module that is not evaluated")
        return {k: _finish(value.instance.output(k)) for k in value.instance.config.outputs}
    return value


def _eval(expr: Expr, scope: Scope) -> Any:  # noqa: C901 - one dispatch per node type
    budget = BUDGET
    budget.steps += 1
    if budget.steps > LIMITS.max_steps:
        raise LimitExceeded("max_steps", "evaluating this module")
    t = type(expr)
    if t is Lit:
        return expr.value  # type: ignore[attr-defined]
    if t is Template:
        return _template(expr, scope)  # type: ignore[arg-type]
    if t is Name:
        return _name(expr.name, scope)  # type: ignore[attr-defined]
    if t is GetAttr:
        return _getattr(_eval(expr.obj, scope), expr.attr, scope)  # type: ignore[attr-defined]
    if t is Index:
        key = _finish(_eval(expr.key, scope))  # type: ignore[attr-defined]
        return _index(_eval(expr.obj, scope), key, scope)  # type: ignore[attr-defined]
    if t is Splat:
        return _splat(expr, scope)  # type: ignore[arg-type]
    if t is Call:
        return _call(expr, scope)  # type: ignore[arg-type]
    if t is TupleExpr:
        return [_finish(_eval(i, scope)) for i in expr.items]  # type: ignore[attr-defined]
    if t is ObjectExpr:
        out: dict[str, Any] = {}
        for k, v in expr.items:  # type: ignore[attr-defined]
            key = _finish(_eval(k, scope))
            if isinstance(key, Unknown):
                return Unknown("object with an unknown key", nonnull=True)
            out[_key_str(key)] = _finish(_eval(v, scope))
        return out
    if t is Conditional:
        cond = _finish(_eval(expr.cond, scope))  # type: ignore[attr-defined]
        if isinstance(cond, Unknown):
            a = _finish(_eval(expr.then, scope))  # type: ignore[attr-defined]
            b = _finish(_eval(expr.other, scope))  # type: ignore[attr-defined]
            if a == b and not isinstance(a, Unknown):
                return a
            return Unknown("condition not known statically")
        return _eval(expr.then if _truthy(cond) else expr.other, scope)  # type: ignore[attr-defined]
    if t is BinOp:
        return _binop(expr, scope)  # type: ignore[arg-type]
    if t is UnaryOp:
        v = _finish(_eval(expr.operand, scope))  # type: ignore[attr-defined]
        if isinstance(v, Unknown):
            return Unknown(v.reason, nonnull=v.nonnull)
        return (not _truthy(v)) if expr.op == "!" else -v  # type: ignore[attr-defined]
    if t is ForExpr:
        return _for(expr, scope)  # type: ignore[arg-type]
    if t is TemplateIf:
        return _template_if(expr, scope)  # type: ignore[arg-type]
    if t is TemplateFor:
        return _template_for(expr, scope)  # type: ignore[arg-type]
    if t is Unsupported:
        return Unknown(f"{expr.what} not evaluated")  # type: ignore[attr-defined]
    return Unknown(f"unsupported expression {t.__name__}")


def _key_str(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        if v in ("true", "false"):
            return v == "true"
        raise TypeError("string used as a condition")
    return bool(v)


def _template(expr: Template, scope: Scope) -> Any:
    pieces: list[str] = []
    unknown: list[Unknown] = []
    from scanner.sources.terraform.functions import _tostr

    for part in expr.parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        v = _finish(_eval(part, scope))
        if isinstance(v, Unknown):
            unknown.append(v)
            pieces.append("${" + (v.symbol or "?") + "}")
        else:
            pieces.append(_tostr(v))
    if unknown:
        # An interpolated string is never null; its symbol keeps the known text so two such
        # strings can still be told apart.
        return Unknown(
            unknown[0].reason,
            nonnull=True,
            ref=unknown[0].ref if len(unknown) == 1 else None,
            symbol="".join(pieces),
        )
    out = "".join(pieces)
    if len(out) > LIMITS.max_string:
        check_size("max_string", len(out), "string built by a template")
    return out


def _template_if(expr: TemplateIf, scope: Scope) -> Any:
    """``%{ if }``: the chosen arm's text; with an unknown condition, the text both arms agree
    on, else an unknown string."""
    cond = _finish(_eval(expr.cond, scope))
    if isinstance(cond, Unknown):
        then, other = _finish(_eval(expr.then, scope)), _finish(_eval(expr.other, scope))
        if then == other and not isinstance(then, Unknown):
            return then
        return Unknown(f"template condition not known statically ({cond.reason})", nonnull=True)
    return _eval(expr.then if _truthy(cond) else expr.other, scope)


def _template_for(expr: TemplateFor, scope: Scope) -> Any:
    """``%{ for }``: the body's text for every element, concatenated (Terraform's order: a
    list by index, a map by key)."""
    from scanner.sources.terraform.functions import _tostr

    coll = _finish(_eval(expr.collection, scope))
    if isinstance(coll, Unknown):
        return Unknown(f"template for over an unknown collection ({coll.reason})", nonnull=True)
    if isinstance(coll, dict):
        pairs = sorted(coll.items())
    elif isinstance(coll, (list, tuple)):
        pairs = list(enumerate(coll))
    else:
        raise TypeError("template for over a value that is not a collection")
    pieces = []
    for k, v in pairs:
        names = {expr.value_var: v}
        if expr.key_var:
            names[expr.key_var] = k
        text = _finish(_eval(expr.body, scope.bind(**names)))
        if isinstance(text, Unknown):
            return Unknown(text.reason, nonnull=True, symbol=text.symbol)
        pieces.append(_tostr(text))
    return "".join(pieces)


def _name(name: str, scope: Scope) -> Any:
    if name in scope.bindings:
        return scope.bindings[name]
    if name in ("var", "local", "module", "data", "path", "terraform"):
        return _Namespace(name)
    if name == "count":
        return _Namespace("count")
    if name == "each":
        return Unknown("each outside for_each")
    if name == "self":
        return Unknown("self reference")
    if name in scope.module.config.resource_types:
        return _Namespace("resource", (name,))
    # A resource type this module does not declare (or a typo): its attributes cannot be known.
    return _Namespace("undeclared", (name,))


def _getattr(obj: Any, attr: str, scope: Scope) -> Any:  # noqa: C901
    if isinstance(obj, _Namespace):
        kind, parts = obj.kind, obj.parts
        if kind == "var":
            return scope.module.variable(attr)
        if kind == "local":
            return scope.module.local(attr)
        if kind == "module":
            return scope.module.module_call(attr)
        if kind == "path":
            return {"module": scope.module.config.rel_dir, "root": scope.module.root_rel_dir, "cwd": "."}.get(
                attr, Unknown("path")
            )
        if kind == "terraform":
            if attr == "workspace":
                # Only --workspace / TF_WORKSPACE says which workspace a plan would run in.
                ws = scope.module.program.workspace
                if ws is None:
                    return Unknown("terraform.workspace is not known (set --workspace or TF_WORKSPACE)")
                return ws
            return Unknown(f"terraform.{attr}")
        if kind == "count":
            return Unknown("count.index outside a counted resource")
        if kind == "data":
            if not parts:
                return _Namespace("data", (attr,))
            return Unknown(
                f"data source data.{parts[0]}.{attr}", symbol=scope.module.data_symbol(parts[0], attr)
            )
        if kind == "resource":
            return ResourceRef(scope.module, parts[0], attr)
        if kind == "undeclared":
            return Unknown(f"{parts[0]}.{attr} is not declared in this module", symbol=f"{parts[0]}.{attr}")
    if isinstance(obj, ResourceRef):
        return scope.module.resource_attribute(obj, attr)
    if isinstance(obj, ModuleOutputs):
        if obj.instance is None:
            return Unknown(f"output {attr} of a module that is not evaluated")
        return obj.instance.output(attr)
    if isinstance(obj, Unknown):
        return _unknown_attr(obj, f".{attr}")
    if isinstance(obj, dict):
        if attr in obj:
            return obj[attr]
        raise KeyError(attr)
    if isinstance(obj, list):
        # Attribute access on a list of blocks (e.g. a nested block with one element).
        raise TypeError("attribute of a list")
    raise TypeError(f"attribute {attr} of {type(obj).__name__}")


def _index(obj: Any, key: Any, scope: Scope) -> Any:
    if isinstance(obj, ResourceRef) and not obj.has_key:
        if isinstance(key, Unknown):
            return Unknown(f"instance of {obj.address} with an unknown key", nonnull=True, ref=obj.address)
        return ResourceRef(obj.module, obj.type, obj.name, key, True)
    if isinstance(obj, ModuleOutputs):
        raise TypeError("index of a module instance")
    if isinstance(obj, (_Namespace, ResourceRef)):
        obj = _finish(obj)
    if isinstance(obj, Unknown):
        if isinstance(key, Unknown):
            return Unknown(obj.reason, ref=obj.ref)
        return _unknown_attr(obj, f"[{key!r}]" if isinstance(key, str) else f"[{key}]")
    if isinstance(key, Unknown):
        if isinstance(obj, list) and obj and all(x == obj[0] for x in obj):
            return obj[0]
        return Unknown("index not known statically")
    if isinstance(obj, list):
        return obj[int(key)]
    if isinstance(obj, dict):
        return obj[_key_str(key)]
    if isinstance(obj, str):
        raise TypeError("index of a string")
    raise TypeError(f"index of {type(obj).__name__}")


def _splat(expr: Splat, scope: Scope) -> Any:
    base = _eval(expr.obj, scope)
    if isinstance(base, ResourceRef) and not base.has_key:
        keys = base.module.instance_keys(base)
        if keys is None:
            return Unknown(f"instances of {base.address}", nonnull=True, ref=base.address)
        items: Any = [ResourceRef(base.module, base.type, base.name, k, k is not None) for k in keys]
    else:
        items = _finish(base)
    if isinstance(items, Unknown):
        return Unknown(items.reason, nonnull=False, ref=items.ref)
    if items is None:
        return []
    if not isinstance(items, list):
        items = [items]
    out = []
    for item in items:
        v = item
        for kind, step in expr.steps:
            if kind == "attr":
                v = _getattr(v, step, scope)
            else:
                v = _index(v, _finish(_eval(step, scope)), scope)
        out.append(_finish(v))
    return out


def _call(expr: Call, scope: Scope) -> Any:
    name = expr.name.rpartition("::")[2]
    if name in ("try", "can"):
        # try() returns the first alternative that does not fail; a static evaluation failure is
        # indistinguishable from a runtime one, so it moves on to the next alternative.
        for arg in expr.args:
            v = evaluate(arg, scope)
            failed = isinstance(v, Unknown) and v.reason.startswith("not evaluable")
            if name == "can":
                return Unknown(v.reason) if isinstance(v, Unknown) and not failed else not failed
            if not failed:
                return v
        return Unknown("no try() alternative evaluable")
    args = [_finish(_eval(a, scope)) for a in expr.args]
    if expr.expand_last and args:
        last = args.pop()
        if isinstance(last, Unknown):
            return Unknown(f"{name}() over unknown arguments")
        args.extend(last)
    if name == "coalesce":
        for a in args:
            if isinstance(a, Unknown):
                return Unknown("coalesce over unknown values", nonnull=a.nonnull)
            if a not in (None, ""):
                return a
        return None
    if name == "coalescelist":
        for a in args:
            if isinstance(a, Unknown):
                return Unknown("coalescelist over unknown values")
            if a:
                return a
        return []
    if name == "templatefile" and len(args) == 2:
        return _templatefile(args[0], args[1], scope)
    if name in NEVER or name not in FUNCTIONS:
        return Unknown(f"function {name}() not evaluated statically", nonnull=name.startswith("file"))
    for a in args:
        if isinstance(a, Unknown):
            nonnull = a.nonnull and name not in ("lookup", "element")
            return Unknown(f"{name}() of an unknown value ({a.reason})", nonnull=nonnull)
    try:
        value = FUNCTIONS[name](*args)
    except (LimitExceeded, _Cycle, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001 - a function failing on its input is a value error
        raise FunctionError(f"{name}() failed: {type(exc).__name__}") from None
    _check_value_size(value, f"result of {name}()")
    return value


def _scan_root(scope: Scope) -> Path | None:
    """The directory ``path.module`` values are relative to (the scan root)."""
    program_root = getattr(scope.module.program, "root", "")
    if program_root:
        return Path(program_root)
    config = scope.module.config
    if not config.dir:
        return None
    parts = [p for p in config.rel_dir.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    if not parts:
        return Path(config.dir)
    return Path(os.path.normpath(os.path.join(config.dir, *([".."] * len(parts)))))


def _templatefile(path: Any, variables: Any, scope: Scope) -> Any:
    """``templatefile(path, variables)`` rendered; an unknown with the reason when it cannot be."""
    if isinstance(path, Unknown):
        return Unknown(f"templatefile() of an unknown path ({path.reason})", nonnull=True)
    if not isinstance(path, str):
        raise TypeError("templatefile() path must be a string")
    if isinstance(variables, Unknown):
        return Unknown(f"templatefile() with unknown variables ({variables.reason})", nonnull=True)
    if not isinstance(variables, dict):
        raise TypeError("templatefile() variables must be an object")
    target = resolve_template(path, _scan_root(scope), scope.module.root_rel_dir)
    if isinstance(target, str):
        return Unknown(f"templatefile({path}): {target}", nonnull=True)
    loaded = load_template(target)
    if isinstance(loaded, str):
        return Unknown(f"templatefile({path}): {loaded}", nonnull=True)
    record = getattr(scope.module.program, "templates_read", None)
    if record is not None:
        record.add(str(target))
    # The template sees only its variables (Terraform gives it no var., local. or resources).
    return _finish(_eval(loaded, scope.bind(**variables)))


def _check_value_size(value: Any, what: str) -> None:
    if isinstance(value, str):
        if len(value) > LIMITS.max_string:
            check_size("max_string", len(value), what)
    elif isinstance(value, (list, dict)):
        if len(value) > LIMITS.max_collection:
            check_size("max_collection", len(value), what)


_ARITH = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _num(v: Any) -> Any:
    if isinstance(v, str):
        f = float(v)
        return int(f) if f.is_integer() else f
    return v


def _binop(expr: BinOp, scope: Scope) -> Any:
    op = expr.op
    left = _finish(_eval(expr.left, scope))
    if op in ("&&", "||") and not isinstance(left, Unknown):
        lv = _truthy(left)
        if op == "&&" and not lv:
            return False
        if op == "||" and lv:
            return True
    right = _finish(_eval(expr.right, scope))
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        if op == "&&" and right is False or op == "||" and right is True:
            return right
        return Unknown(f"operator {op} over an unknown value", nonnull=True)
    if op == "&&":
        return _truthy(right)
    if op == "||":
        return _truthy(right)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    return _ARITH[op](_num(left), _num(right))


def _for(expr: ForExpr, scope: Scope) -> Any:
    raw = _eval(expr.collection, scope)
    coll = _instances(raw) if isinstance(raw, ResourceRef) and not raw.has_key else _finish(raw)
    if isinstance(coll, Unknown):
        return Unknown(f"for expression over an unknown collection ({coll.reason})", nonnull=True)
    if not isinstance(coll, (dict, list, tuple, str, type(None))):
        raise TypeError("for expression over a value that is not a collection")
    pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll or []))
    as_object = expr.key is not None
    out_list: list[Any] = []
    out_obj: dict[str, Any] = {}
    for k, v in pairs:
        names = {expr.value_var: v}
        if expr.key_var:
            names[expr.key_var] = k
        inner = scope.bind(**names)
        if expr.cond is not None:
            c = _finish(_eval(expr.cond, inner))
            if isinstance(c, Unknown):
                return Unknown("for expression filter not known statically", nonnull=True)
            if not _truthy(c):
                continue
        val = _finish(_eval(expr.value, inner))
        if as_object:
            key = _finish(_eval(expr.key, inner))  # type: ignore[arg-type]
            if isinstance(key, Unknown):
                return Unknown("for expression with an unknown key", nonnull=True)
            ks = _key_str(key)
            if expr.grouping:
                out_obj.setdefault(ks, []).append(val)
            else:
                out_obj[ks] = val
        else:
            out_list.append(val)
    result = out_obj if as_object else out_list
    _check_value_size(result, "collection built by a for expression")
    return result


def _instances(ref: ResourceRef) -> Any:
    """A counted / for_each resource as the list / map of its instances (``for r in res : r.id``)."""
    keys = ref.module.instance_keys(ref)
    if keys is None or keys == [None]:
        return _finish(ref)
    refs = [ResourceRef(ref.module, ref.type, ref.name, k, True) for k in keys]
    if all(isinstance(k, int) for k in keys):
        return refs
    return {str(r.key): r for r in refs}


# --- blocks -------------------------------------------------------------------------------------


def evaluate_body(
    body: Body,
    scope: Scope,
    locations: dict[str, Location] | None = None,
    prefix: str = "",
    skip: frozenset[str] | set[str] = frozenset(),
) -> dict[str, Any]:
    """Evaluate a block body into attributes; nested blocks become lists of dicts and ``dynamic``
    blocks are expanded. When ``locations`` is given, the line span of every attribute and nested
    block is recorded under its concrete path (``placement_configs.1.availability_domain``)."""
    out: dict[str, Any] = {}
    for name, attr in body.attributes.items():
        if name in skip:
            continue
        out[name] = evaluate(attr.expr, scope, attr.start)
        if locations is not None:
            # an attribute merged in from an override file points at that file
            locations[prefix + name] = Location(
                getattr(attr, "file", None) or scope.file, attr.start, attr.end
            )
    outer = scope
    for block in body.blocks:
        if block.type in skip:
            continue
        scope = Scope(outer.module, outer.bindings, block.file) if getattr(block, "file", None) else outer
        if block.type == "dynamic" and block.labels:
            _dynamic(block, scope, out, locations, prefix)
            continue
        items = out.setdefault(block.type, [])
        if isinstance(items, Unknown):
            continue
        try:
            BUDGET.block()
        except LimitExceeded as exc:
            report_problem(scope, str(exc), block.start)
            out[block.type] = Unknown(f"limit {exc.limit} exceeded")
            continue
        path = f"{prefix}{block.type}.{len(items)}"
        if locations is not None:
            locations[path] = Location(scope.file, block.start, block.end)
        items.append(evaluate_body(block.body, scope, locations, path + "."))
    return out


def _dynamic(
    block: Block, scope: Scope, out: dict[str, Any], locations: dict[str, Location] | None, prefix: str
) -> None:
    name = block.labels[0]
    attrs = block.body.attributes
    iterator = name
    if "iterator" in attrs:
        it = attrs["iterator"].expr
        iterator = it.name if isinstance(it, Name) else str(evaluate(it, scope))
    coll = evaluate(attrs["for_each"].expr, scope, attrs["for_each"].start) if "for_each" in attrs else []
    contents = block.body.blocks_of("content")
    if isinstance(coll, Unknown) or not contents:
        out[name] = Unknown(f"dynamic block {name} over a collection not known statically")
        if locations is not None:
            locations[prefix + name] = Location(scope.file, block.start, block.end)
        return
    items = out.setdefault(name, [])
    if isinstance(items, Unknown):
        return
    if not isinstance(coll, (dict, list)):
        out[name] = Unknown(f"dynamic block {name} over a value that is not a collection")
        report_problem(scope, f"dynamic block {name!r}: for_each is not a collection", block.start)
        return
    pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll))
    try:
        check_size("max_instances", len(pairs), f"iterations of dynamic block {name!r}")
        for key, value in pairs:
            BUDGET.block()
            inner = scope.bind(**{iterator: {"key": key, "value": value}})
            path = f"{prefix}{name}.{len(items)}"
            if locations is not None:
                locations[path] = Location(scope.file, contents[0].start, contents[0].end)
            items.append(evaluate_body(contents[0].body, inner, locations, path + "."))
    except LimitExceeded as exc:
        # Reported once, where the limit was met; every enclosing dynamic block stops too.
        report_problem(scope, str(exc), block.start)
        out[name] = Unknown(f"limit {exc.limit} exceeded")


@contextmanager
def guard(active: set[Any], key: Any) -> Iterator[None]:
    """Detect re-entrant evaluation of the same reference (a cycle)."""
    if key in active:
        raise _Cycle()
    active.add(key)
    try:
        yield
    finally:
        active.discard(key)
