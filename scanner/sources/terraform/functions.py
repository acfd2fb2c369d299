"""Terraform built-in functions that can be evaluated statically.

Any argument that is itself unknown makes the result unknown (``try``/``can``/``coalesce`` aside);
functions that depend on the machine, the clock or remote state are never evaluated.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import itertools
import json
import math
from collections.abc import Callable
from typing import Any

from scanner.guards.limits import LimitExceeded, check_size
from scanner.model import Unknown

Fn = Callable[..., Any]


class FunctionError(Exception):
    """A built-in function that failed on its arguments (as Terraform would report an error);
    the value is then unknown, never the whole module."""

FUNCTIONS: dict[str, Fn] = {}


def fn(*names: str) -> Callable[[Fn], Fn]:
    def deco(f: Fn) -> Fn:
        for n in names:
            FUNCTIONS[n] = f
        return f

    return deco


def _tostr(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if v is None:
        raise TypeError("null in string context")
    if isinstance(v, (list, dict)):
        raise TypeError("collection in string context")
    return str(v)


@fn("lower")
def _lower(s: str) -> str:
    return _tostr(s).lower()


@fn("upper")
def _upper(s: str) -> str:
    return _tostr(s).upper()


@fn("trimspace")
def _trimspace(s: str) -> str:
    return _tostr(s).strip()


@fn("chomp")
def _chomp(s: str) -> str:
    return _tostr(s).rstrip("\r\n")


@fn("trim")
def _trim(s: str, chars: str) -> str:
    return _tostr(s).strip(chars)


@fn("trimprefix")
def _trimprefix(s: str, p: str) -> str:
    return s[len(p) :] if s.startswith(p) else s


@fn("trimsuffix")
def _trimsuffix(s: str, p: str) -> str:
    return s[: -len(p)] if p and s.endswith(p) else s


@fn("replace")
def _replace(s: str, old: str, new: str) -> str:
    s, old, new = _tostr(s), _tostr(old), _tostr(new)
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        from scanner.guards.safe_regex import compile_re2

        rx = compile_re2(old[1:-1])
        hits = sum(1 for _ in rx.finditer(s))
        check_size("max_string", len(s) + hits * len(new), "replace() result")
        return rx.sub(new.replace("$", "\\"), s)
    if old:
        check_size("max_string", len(s) + s.count(old) * max(0, len(new) - len(old)), "replace() result")
    return s.replace(old, new)


@fn("split")
def _split(sep: str, s: str) -> list[str]:
    return _tostr(s).split(sep)


@fn("join")
def _join(sep: str, *lists: list[Any]) -> Any:
    items = [x for lst in lists for x in lst]
    if any(isinstance(x, Unknown) for x in items):
        return Unknown("join over unknown elements", nonnull=True)
    parts = [_tostr(x) for x in items]
    check_size("max_string", sum(map(len, parts)) + len(sep) * len(parts), "join() result")
    return sep.join(parts)


@fn("format")
def _format(spec: str, *args: Any) -> Any:
    if any(isinstance(a, Unknown) for a in args):
        return Unknown("format of unknown values", nonnull=True)
    py = spec.replace("%v", "%s").replace("%q", '"%s"').replace("%#v", "%s")
    return py % tuple(_tostr(a) if not isinstance(a, (int, float)) or "%d" not in py else a for a in args)


@fn("formatlist")
def _formatlist(spec: str, *args: Any) -> list[Any]:
    n = max((len(a) for a in args if isinstance(a, list)), default=1)
    return [_format(spec, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(n)]


@fn("substr")
def _substr(s: str, offset: int, length: int) -> str:
    return s[offset:] if length < 0 else s[offset : offset + length]


@fn("startswith")
def _startswith(s: str, p: str) -> bool:
    return s.startswith(p)


@fn("endswith")
def _endswith(s: str, p: str) -> bool:
    return s.endswith(p)


@fn("strcontains")
def _strcontains(s: str, p: str) -> bool:
    return p in s


@fn("title")
def _title(s: str) -> str:
    return s.title()


@fn("tostring")
def _tostring(v: Any) -> Any:
    return None if v is None else _tostr(v)


@fn("tonumber")
def _tonumber(v: Any) -> Any:
    if v is None or isinstance(v, (int, float)):
        return v
    f = float(v)
    return int(f) if f.is_integer() else f


@fn("tobool")
def _tobool(v: Any) -> Any:
    if isinstance(v, str):
        return {"true": True, "false": False}[v]
    return v


def _identity_key(x: Any) -> Any:
    """A hashable stand-in for a value, equal exactly when the values are (1 and 1.0 alike,
    true and 1 not), so set operations run in linear time."""
    if isinstance(x, bool):
        return ("b", x)
    if isinstance(x, (int, float)):
        return ("n", x)
    if isinstance(x, str):
        return ("s", x)
    if x is None:
        return ("z",)
    if isinstance(x, (list, tuple)):
        return ("l", tuple(_identity_key(i) for i in x))
    if isinstance(x, dict):
        return ("m", tuple(sorted((str(k), _identity_key(v)) for k, v in x.items())))
    return ("o", id(x))


@fn("tolist", "toset")
def _tolist(v: Any) -> list[Any]:
    if v is None:
        return v
    if isinstance(v, dict):
        return list(v.values())
    out: list[Any] = []
    seen: set[Any] = set()
    for x in v:
        if isinstance(x, Unknown):
            out.append(x)
            continue
        k = _identity_key(x)
        if k not in seen:
            seen.add(k)
            out.append(x)
    return out


@fn("tomap", "sensitive", "nonsensitive", "type")
def _identity(v: Any) -> Any:
    return v


@fn("length")
def _length(v: Any) -> int:
    return len(v)


@fn("element")
def _element(lst: list[Any], i: int) -> Any:
    return lst[int(i) % len(lst)]


@fn("index")
def _index(lst: list[Any], v: Any) -> int:
    return lst.index(v)


@fn("lookup")
def _lookup(m: dict[str, Any], k: str, *default: Any) -> Any:
    if k in m:
        return m[k]
    if default:
        return default[0]
    raise KeyError(k)


@fn("merge")
def _merge(*maps: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        if m is not None:
            out.update(m)
    return out


@fn("concat")
def _concat(*lists: list[Any]) -> list[Any]:
    check_size("max_collection", sum(len(lst) for lst in lists), "concat() result")
    return [x for lst in lists for x in lst]


@fn("flatten")
def _flatten(lst: list[Any]) -> list[Any]:
    out: list[Any] = []
    for x in lst:
        out.extend(_flatten(x) if isinstance(x, list) else [x])
        check_size("max_collection", len(out), "flatten() result")
    return out


@fn("compact")
def _compact(lst: list[Any]) -> list[Any]:
    return [x for x in lst if x not in ("", None)]


@fn("distinct")
def _distinct(lst: list[Any]) -> list[Any]:
    return _tolist(lst)


@fn("keys")
def _keys(m: dict[str, Any]) -> list[str]:
    return sorted(m)


@fn("values")
def _values(m: dict[str, Any]) -> list[Any]:
    return [m[k] for k in sorted(m)]


@fn("contains")
def _contains(lst: list[Any], v: Any) -> Any:
    if v in lst:
        return True
    if any(isinstance(x, Unknown) for x in lst):
        return Unknown("contains over unknown elements", nonnull=True)
    return False


@fn("zipmap")
def _zipmap(ks: list[str], vs: list[Any]) -> dict[str, Any]:
    return dict(zip(ks, vs, strict=True))


@fn("range")
def _range(*args: Any) -> list[Any]:
    if not 1 <= len(args) <= 3 or not all(isinstance(a, (int, float)) for a in args):
        raise TypeError("range() takes 1 to 3 numbers")
    if all(isinstance(a, int) or float(a).is_integer() for a in args):
        r = range(*[int(a) for a in args])
        check_size("max_collection", len(r), "range()")
        return list(r)
    start, stop, step = (0.0, args[0], 1.0) if len(args) == 1 else (*args, 1.0)[:3]
    if step == 0:
        raise ValueError("range() step is zero")
    n = max(0, math.ceil((stop - start) / step))
    check_size("max_collection", n, "range()")
    return [start + i * step for i in range(n)]


@fn("reverse")
def _reverse(lst: list[Any]) -> list[Any]:
    return list(reversed(lst))


@fn("slice")
def _slice(lst: list[Any], a: int, b: int) -> list[Any]:
    return lst[int(a) : int(b)]


@fn("sort")
def _sort(lst: list[Any]) -> list[Any]:
    return sorted(lst)


@fn("one")
def _one(lst: list[Any]) -> Any:
    if len(lst) > 1:
        raise ValueError("one() over more than one element")
    return lst[0] if lst else None


@fn("sum")
def _sum(lst: list[Any]) -> Any:
    return sum(lst)


@fn("max")
def _max(*a: Any) -> Any:
    return max(a)


@fn("min")
def _min(*a: Any) -> Any:
    return min(a)


@fn("abs")
def _abs(a: Any) -> Any:
    return abs(a)


@fn("ceil")
def _ceil(a: Any) -> int:
    return math.ceil(a)


@fn("floor")
def _floor(a: Any) -> int:
    return math.floor(a)


@fn("alltrue")
def _alltrue(lst: list[Any]) -> bool:
    return all(x is True or x == "true" for x in lst)


@fn("anytrue")
def _anytrue(lst: list[Any]) -> bool:
    return any(x is True or x == "true" for x in lst)


@fn("base64encode")
def _b64e(s: str) -> str:
    return base64.b64encode(_tostr(s).encode()).decode()


@fn("base64decode")
def _b64d(s: str) -> str:
    return base64.b64decode(s).decode()


@fn("jsonencode")
def _jsonencode(v: Any) -> Any:
    if _has_unknown(v):
        return Unknown("jsonencode of unknown values", nonnull=True)
    return json.dumps(v, separators=(",", ":"))


@fn("jsondecode")
def _jsondecode(s: str) -> Any:
    return json.loads(s)


@fn("cidrsubnet")
def _cidrsubnet(prefix: str, newbits: int, netnum: int) -> str:
    # Computed, not enumerated: cidrsubnet("10.0.0.0/8", 24, 5) must not list 16 million subnets.
    net = ipaddress.ip_network(prefix, strict=False)
    bits, num = int(newbits), int(netnum)
    new_len = net.prefixlen + bits
    if bits < 0 or new_len > net.max_prefixlen:
        raise ValueError("cidrsubnet: not enough bits in the prefix")
    if not 0 <= num < 2**bits:
        raise ValueError("cidrsubnet: netnum does not fit in newbits")
    address = int(net.network_address) + (num << (net.max_prefixlen - new_len))
    return str(ipaddress.ip_network((address, new_len)))


@fn("cidrhost")
def _cidrhost(prefix: str, hostnum: int) -> str:
    net = ipaddress.ip_network(prefix, strict=False)
    return str(net[int(hostnum)])


@fn("basename")
def _basename(p: str) -> str:
    return p.rstrip("/").rpartition("/")[2]


@fn("dirname")
def _dirname(p: str) -> str:
    return p.rpartition("/")[0] or "."


def _has_unknown(v: Any) -> bool:
    if isinstance(v, Unknown):
        return True
    if isinstance(v, list):
        return any(_has_unknown(x) for x in v)
    if isinstance(v, dict):
        return any(_has_unknown(x) for x in v.values())
    return False


@fn("regex")
def _regex(pattern: str, s: str) -> Any:
    # RE2, as Terraform: linear-time matching whatever the pattern.
    from scanner.guards.safe_regex import compile_re2

    m = compile_re2(_tostr(pattern)).search(_tostr(s))
    if m is None:
        raise ValueError("regex did not match")
    return _groups(m)


@fn("regexall")
def _regexall(pattern: str, s: str) -> list[Any]:
    from scanner.guards.safe_regex import compile_re2

    out = []
    for m in compile_re2(_tostr(pattern)).finditer(_tostr(s)):
        out.append(_groups(m))
        check_size("max_collection", len(out), "regexall()")
    return out


def _groups(m: Any) -> Any:
    if m.groupdict():
        return m.groupdict()
    if m.groups():
        return list(m.groups())
    return m.group(0)


@fn("setproduct")
def _setproduct(*lists: list[Any]) -> list[list[Any]]:
    if len(lists) < 2:
        raise TypeError("setproduct() needs at least two collections")
    size = math.prod(len(lst) for lst in lists)
    check_size("max_collection", size, "setproduct()")
    return [list(t) for t in itertools.product(*lists)]


@fn("setunion")
def _setunion(*lists: list[Any]) -> list[Any]:
    return _tolist([x for lst in lists for x in lst])


@fn("setintersection")
def _setintersection(first: list[Any], *rest: list[Any]) -> list[Any]:
    others = [{_identity_key(x) for x in r} for r in rest]
    return [x for x in _tolist(first) if all(_identity_key(x) in o for o in others)]


@fn("setsubtract")
def _setsubtract(a: list[Any], b: list[Any]) -> list[Any]:
    drop = {_identity_key(x) for x in b}
    return [x for x in _tolist(a) if _identity_key(x) not in drop]


@fn("chunklist")
def _chunklist(lst: list[Any], size: int) -> list[list[Any]]:
    n = int(size)
    return [lst[i : i + n] for i in range(0, len(lst), n)] if n > 0 else [lst]


@fn("transpose")
def _transpose(m: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, vs in m.items():
        for v in vs:
            out.setdefault(v, []).append(k)
    return {k: sorted(v) for k, v in out.items()}


@fn("matchkeys")
def _matchkeys(values: list[Any], keys: list[Any], search: list[Any]) -> list[Any]:
    return [v for v, k in zip(values, keys, strict=True) if k in search]


for _name in ("md5", "sha1", "sha256", "sha512"):
    FUNCTIONS[_name] = (lambda algo: lambda s: hashlib.new(algo, _tostr(s).encode()).hexdigest())(_name)


@fn("base64sha256")
def _b64sha256(s: str) -> str:
    return base64.b64encode(hashlib.sha256(_tostr(s).encode()).digest()).decode()


@fn("base64sha512")
def _b64sha512(s: str) -> str:
    return base64.b64encode(hashlib.sha512(_tostr(s).encode()).digest()).decode()


@fn("parseint")
def _parseint(s: str, base: int) -> int:
    return int(s, int(base))


@fn("pow")
def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        # estimate the size first: pow(10, 100000000) would compute for minutes
        check_size("max_number_bits", b * abs(a).bit_length(), "pow() result bits")
    return a**b


@fn("signum")
def _signum(a: Any) -> int:
    return (a > 0) - (a < 0)


@fn("log")
def _log(a: Any, base: Any) -> float:
    return math.log(a, base)


@fn("strrev")
def _strrev(s: str) -> str:
    return s[::-1]


@fn("indent")
def _indent(n: int, s: str) -> str:
    check_size("max_string", int(n) * (s.count("\n") + 1) + len(s), "indent() result")
    pad = " " * int(n)
    return s.replace("\n", "\n" + pad)


@fn("urlencode")
def _urlencode(s: str) -> str:
    from urllib.parse import quote

    return quote(s, safe="")


@fn("cidrnetmask")
def _cidrnetmask(prefix: str) -> str:
    return str(ipaddress.ip_network(prefix, strict=False).netmask)


@fn("cidrsubnets")
def _cidrsubnets(prefix: str, *newbits: int) -> list[str]:
    net = ipaddress.ip_network(prefix, strict=False)
    out, cursor = [], int(net.network_address)
    for bits in newbits:
        size = 2 ** (net.max_prefixlen - net.prefixlen - int(bits))
        cursor = (cursor + size - 1) // size * size  # align to the subnet size
        sub = ipaddress.ip_network((cursor, net.prefixlen + int(bits)))
        out.append(str(sub))
        cursor += size
    return out


# Functions whose result depends on the machine, the clock, randomness or file contents that
# are not part of the configuration: never evaluated, always unknown.
NEVER = {
    "timestamp",
    "uuid",
    "uuidv5",
    "bcrypt",
    "file",
    "filebase64",
    "templatefile",
    "fileset",
    "pathexpand",
    "abspath",
    "fileexists",
    "filemd5",
    "filesha256",
    "filesha1",
    "filebase64sha256",
    "plantimestamp",
    "timeadd",
    "rsadecrypt",
    "textencodebase64",
    "csvdecode",
    "formatdate",
}


@fn("yamldecode")
def _yamldecode(s: str) -> Any:
    # bounded: an alias bomb in a string is an error, not a hang (scanner.guards.safe_yaml)
    from scanner.guards.safe_yaml import YamlError, load_all

    try:
        docs = load_all(_tostr(s))
    except YamlError as exc:
        if "max_yaml_nodes" in str(exc):
            raise LimitExceeded("max_yaml_nodes", "yamldecode() document") from None
        raise ValueError(str(exc)) from None
    if len(docs) != 1:
        raise ValueError("yamldecode() needs exactly one document")
    return _plain_yaml(docs[0])


def _plain_yaml(v: Any) -> Any:
    """YAML values as Terraform sees them: timestamps and binary become strings."""
    if isinstance(v, dict):
        return {str(k): _plain_yaml(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain_yaml(x) for x in v]
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


@fn("yamlencode")
def _yamlencode(v: Any) -> Any:
    if _has_unknown(v):
        return Unknown("yamlencode of unknown values", nonnull=True)
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(v, Dumper=dumper, default_flow_style=False, sort_keys=True, allow_unicode=True)
