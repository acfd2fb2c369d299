"""The one on-disk cache of ocisec: parsed files, evaluated modules and validated rules.

Entries are plain data (JSON), never pickles, so reading one cannot run code. Objects the
scanner keeps (the Terraform AST, resources, rules) go through ``encode`` / ``decode``, which
only ever build the dataclasses and enums listed in ``_TYPES``. Every entry also carries an
HMAC-SHA256 under a random per-user key kept in the cache directory (mode 0600, directory 0700):
an entry written by anyone else, corrupted or truncated fails verification and is a miss, so a
flipped byte cannot turn a failing scan into a passing one.

A cache directory that another user owns, or that others may write, is not used at all.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Part of every key and MAC: bump it when the encoding of any cached type changes.
FORMAT = "ocisec-cache-3"
KEY_FILE = "hmac.key"
_MAC_BYTES = 32


def default_directory() -> Path:
    """``$OCISEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/ocisec``, else ``~/.cache/ocisec``."""
    if os.environ.get("OCISEC_CACHE_DIR"):
        return Path(os.environ["OCISEC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ocisec"


def _version() -> str:
    from scanner import __version__

    return __version__


class Cache:
    """A content-addressed store of authenticated JSON entries under ``directory``.

    ``directory=None`` (``--no-cache``) makes every lookup a miss and every store a no-op.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory: Path | None = None
        self._mac_key = b""
        if directory is not None:
            self._open(Path(directory))

    @property
    def enabled(self) -> bool:
        """True when entries are read and written."""
        return self.directory is not None

    def _open(self, directory: Path) -> None:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            st = directory.stat()
            if hasattr(os, "getuid") and st.st_uid != os.getuid():
                return  # someone else's directory: their entries and key are not ours to trust
            if st.st_mode & 0o077:
                os.chmod(directory, 0o700)
            self._mac_key = _load_key(directory / KEY_FILE)
            self.directory = directory
        except OSError:
            self.directory = None  # a read-only or odd location only costs speed

    def key(self, *parts: str | bytes) -> str:
        """A hex digest over ``parts`` (plus the cache format and the ocisec version)."""
        h = hashlib.sha256(f"{FORMAT}\0{_version()}\0".encode())
        for part in parts:
            data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
            h.update(len(data).to_bytes(8, "big"))
            h.update(data)
        return h.hexdigest()

    def _path(self, namespace: str, key: str) -> Path:
        assert self.directory is not None
        return self.directory / namespace / key[:2] / key

    def _mac(self, namespace: str, key: str, payload: bytes) -> bytes:
        return hmac.new(self._mac_key, f"{namespace}\0{key}\0".encode() + payload, hashlib.sha256).digest()

    def get(self, namespace: str, key: str) -> Any:
        """The plain data stored under ``key``, or None: absent, unauthentic or undecodable."""
        if self.directory is None:
            return None
        try:
            with open(self._path(namespace, key), "rb") as fh:
                blob = fh.read()
        except OSError:
            return None
        mac, payload = blob[:_MAC_BYTES], blob[_MAC_BYTES:]
        if len(mac) != _MAC_BYTES or not hmac.compare_digest(mac, self._mac(namespace, key, payload)):
            return None
        try:
            return json.loads(payload)
        except (ValueError, RecursionError):
            return None

    def put(self, namespace: str, key: str, data: Any) -> None:
        """Store plain (JSON-serialisable) data; failures only cost speed."""
        if self.directory is None:
            return
        try:
            payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode(
                "utf-8", "surrogatepass"
            )
        except (ValueError, TypeError, RecursionError):
            return
        target = self._path(namespace, key)
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(self._mac(namespace, key, payload) + payload)
            os.replace(tmp, target)
        except OSError:
            pass

    def put_chunks(self, namespace: str, key: str, chunks: Iterable[bytes]) -> None:
        """Store a JSON document given as byte chunks, written and authenticated as they come,
        so a large entry is never held in memory whole. A chunk producer that raises
        ``EncodeError`` / ``RecursionError`` leaves no entry."""
        if self.directory is None:
            return
        target = self._path(namespace, key)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        mac = hmac.new(self._mac_key, f"{namespace}\0{key}\0".encode(), hashlib.sha256)
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(b"\0" * _MAC_BYTES)  # the MAC goes here once the payload is complete
                for chunk in chunks:
                    mac.update(chunk)
                    fh.write(chunk)
                fh.seek(0)
                fh.write(mac.digest())
            os.replace(tmp, target)
        except (OSError, EncodeError, RecursionError, ValueError, TypeError):
            try:
                os.unlink(tmp)
            except OSError:
                pass

    def get_object(self, namespace: str, key: str, expected: type | tuple[type, ...]) -> Any:
        """``get`` then ``decode``; None unless the result is an instance of ``expected``."""
        data = self.get(namespace, key)
        if data is None:
            return None
        try:
            value = decode(data)
        except (DecodeError, RecursionError):
            return None
        return value if isinstance(value, expected) else None

    def put_object(self, namespace: str, key: str, value: Any) -> None:
        """``encode`` then ``put``; a value too deep or of an unknown type is simply not stored."""
        if self.directory is None:
            return
        try:
            data = encode(value)
        except (EncodeError, RecursionError):
            return
        self.put(namespace, key, data)


def _load_key(path: Path) -> bytes:
    """The per-user MAC key: created once (0600), refused when others could read or replace it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        st = os.lstat(path)
        import stat

        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077:
            raise OSError("cache key file is not private") from None
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise OSError("cache key file belongs to another user") from None
        data = path.read_bytes()
        if len(data) < 32:
            raise OSError("cache key file is truncated") from None
        return data
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


# --- codec: the scanner's dataclasses <-> plain JSON data ---------------------------------------


class EncodeError(ValueError):
    """A value of a type the codec does not know."""


class DecodeError(ValueError):
    """Data that is not a valid encoding (unknown type name, wrong field count...)."""


_TYPES: dict[str, type] = {}
_DEFAULTS_LOADED = False


def register(*types: type) -> None:
    """Allow ``types`` (dataclasses or enums) in cached data; decoding builds nothing else."""
    for t in types:
        _TYPES[t.__qualname__] = t


def _registered() -> dict[str, type]:
    global _DEFAULTS_LOADED
    if not _DEFAULTS_LOADED:
        _DEFAULTS_LOADED = True
        from scanner import model

        # The model's types that cached scans hold. A source adds the types it stores (its AST)
        # through ``register`` when it opens its namespace: the cache knows no source.
        register(
            model.Unknown, model.Location, model.Provenance, model.Resource, model.InputError,
            model.Severity, model.Target, model.Rule,
        )  # fmt: skip
    return _TYPES


def encode(value: Any) -> Any:
    """Plain JSON data for ``value``. Dataclasses become ``{"#c": name, "f": [fields]}``, tuples
    ``{"#t": [...]}``, sets ``{"#s": [...]}``, enums ``{"#e": name, "v": value}`` and dicts with
    non-string keys (or keys starting with ``#``) ``{"#d": [[k, v], ...]}``."""
    types = _registered()
    return _enc(value, types)


def _enc(v: Any, types: dict[str, type]) -> Any:
    t = type(v)
    if v is None or t is str or t is bool or t is int or t is float:
        return v
    if t is list:
        return [_enc(x, types) for x in v]
    if t is dict:
        if all(type(k) is str and not k.startswith("#") for k in v):
            return {k: _enc(x, types) for k, x in v.items()}
        return {"#d": [[_enc(k, types), _enc(x, types)] for k, x in v.items()]}
    if t is tuple:
        return {"#t": [_enc(x, types) for x in v]}
    if t is set or t is frozenset:
        return {"#s": [_enc(x, types) for x in v]}
    name = t.__qualname__
    if types.get(name) is not t:
        raise EncodeError(f"cannot cache a {name}")
    if isinstance(v, enum.Enum):
        return {"#e": name, "v": v.value}
    return {"#c": name, "f": [_enc(getattr(v, f.name), types) for f in dataclasses.fields(v)]}


def decode(data: Any) -> Any:
    """The value ``encode`` made ``data`` from; raises ``DecodeError`` on anything else."""
    return _dec(data, _registered())


def _dec(d: Any, types: dict[str, type]) -> Any:
    t = type(d)
    if d is None or t is str or t is bool or t is int or t is float:
        return d
    if t is list:
        return [_dec(x, types) for x in d]
    if t is not dict:
        raise DecodeError(f"unexpected {t.__name__}")
    if "#c" in d:
        cls = types.get(d["#c"]) if isinstance(d["#c"], str) else None
        fields = d.get("f")
        if cls is None or not dataclasses.is_dataclass(cls) or type(fields) is not list:
            raise DecodeError("unknown cached type")
        names = [f.name for f in dataclasses.fields(cls)]
        if len(fields) != len(names):
            raise DecodeError(f"wrong field count for {d['#c']}")
        try:
            return cls(*[_dec(x, types) for x in fields])
        except TypeError as exc:
            raise DecodeError(str(exc)) from None
    if "#e" in d:
        cls = types.get(d["#e"]) if isinstance(d["#e"], str) else None
        if cls is None or not issubclass(cls, enum.Enum):
            raise DecodeError("unknown cached enum")
        try:
            return cls(d.get("v"))
        except ValueError as exc:
            raise DecodeError(str(exc)) from None
    if "#t" in d:
        return tuple(_dec(x, types) for x in _items(d["#t"]))
    if "#s" in d:
        try:
            return {_dec(x, types) for x in _items(d["#s"])}
        except TypeError as exc:  # an unhashable member
            raise DecodeError(str(exc)) from None
    if "#d" in d:
        out = {}
        for pair in _items(d["#d"]):
            if type(pair) is not list or len(pair) != 2:
                raise DecodeError("bad mapping entry")
            try:
                out[_dec(pair[0], types)] = _dec(pair[1], types)
            except TypeError as exc:
                raise DecodeError(str(exc)) from None
        return out
    return {k: _dec(x, types) for k, x in d.items()}


def _items(x: Any) -> list[Any]:
    if type(x) is not list:
        raise DecodeError("expected a list")
    return x
