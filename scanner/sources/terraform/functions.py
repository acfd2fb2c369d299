"""Terraform built-in functions that can be evaluated statically.

Any argument that is itself unknown makes the result unknown (``try``/``can``/``coalesce`` aside);
functions that depend on the machine, the clock or remote state are never evaluated.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import math
from collections.abc import Callable
from typing import Any

from scanner.model import Unknown

Fn = Callable[..., Any]
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
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        import re

        return re.sub(old[1:-1], new.replace("$", "\\"), s)
    return s.replace(old, new)


@fn("split")
def _split(sep: str, s: str) -> list[str]:
    return _tostr(s).split(sep)


@fn("join")
def _join(sep: str, *lists: list[Any]) -> Any:
    items = [x for lst in lists for x in lst]
    if any(isinstance(x, Unknown) for x in items):
        return Unknown("join over unknown elements", nonnull=True)
    return sep.join(_tostr(x) for x in items)


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


@fn("tolist", "toset")
def _tolist(v: Any) -> list[Any]:
    if isinstance(v, dict):
        return list(v.values())
    out: list[Any] = []
    for x in v:
        if x not in out or isinstance(x, Unknown):
            out.append(x)
    return out if v is not None else v


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
    return [x for lst in lists for x in lst]


@fn("flatten")
def _flatten(lst: list[Any]) -> list[Any]:
    out: list[Any] = []
    for x in lst:
        out.extend(_flatten(x) if isinstance(x, list) else [x])
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
def _range(*args: int) -> list[int]:
    return list(range(*[int(a) for a in args]))


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
    net = ipaddress.ip_network(prefix, strict=False)
    return str(list(net.subnets(prefixlen_diff=int(newbits)))[int(netnum)])


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
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "base64sha256",
    "base64sha512",
    "regex",
    "regexall",
    "yamlencode",
    "yamldecode",
    "textencodebase64",
    "setproduct",
    "setunion",
    "setintersection",
    "setsubtract",
    "chunklist",
    "transpose",
    "matchkeys",
    "urlencode",
    "csvdecode",
    "cidrnetmask",
    "cidrsubnets",
    "parseint",
    "pow",
    "log",
    "signum",
    "formatdate",
    "indent",
    "strrev",
}
