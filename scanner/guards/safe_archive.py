"""Unpacking a chart archive (``charts/etcd-12.0.18.tgz``) from an untrusted pull request.

An archive is gzip-compressed tar, and both halves can be turned against the reader: a member
named ``../../.bashrc`` or ``/etc/cron.d/x``, a symlink that a later member writes through, a
device node, two members that shadow each other (``a/values.yaml`` twice, or ``Values.yaml``
beside ``values.yaml`` on a case-insensitive disk), a gzip bomb, a million empty members, an
archive inside an archive inside an archive. ``unpack_chart_archive`` writes only regular files,
only inside a fresh private directory (mode 0700), never follows a link while writing, checks
every name before anything is written, and stops each bound the moment it is passed (the
decompressed stream is counted as it is read, never read whole first). Limits are
``LIMITS.max_archive_*`` and ``max_file_bytes`` per member (``scanner/guards/limits.py``).

Archives nested under a ``charts/`` directory of the archive (a packaged chart's own packaged
subcharts) are unpacked in turn, into a directory at the archive's own path: the unpacked tree
then reads ``<dir>/etcd/charts/common-2.0.0.tgz/common/values.yaml``, the same path a user reads
as ``charts/etcd-12.0.18.tgz/etcd/charts/common-2.0.0.tgz/common/values.yaml``.

Nothing here knows what a chart means beyond that layout; the Helm source decides what to read.
"""

from __future__ import annotations

import atexit
import gzip
import io
import os
import shutil
import stat
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from scanner.guards.limits import LIMITS, LimitExceeded
from scanner.guards.safe_io import UnreadableInput, read_regular_file


class ArchiveError(Exception):
    """An archive that is refused. ``member`` is the path inside the archive that was refused
    (``None`` for the archive as a whole); ``str()`` says why, never a member's content."""

    def __init__(self, reason: str, member: str | None = None) -> None:
        self.member = member
        self.reason = reason
        super().__init__(f"{member}: {reason}" if member else reason)


@dataclass
class _Budget:
    """What all the archives of one unpacking have used so far (nested ones included)."""

    unpacked: int = 0
    members: int = 0
    inner: list[str] = field(default_factory=list)  # the nested archive being read, outermost first


class _CountedStream(io.RawIOBase):
    """The decompressed bytes of one archive, counted against ``max_archive_unpacked_bytes`` as
    they are read: a gzip bomb raises here after at most the limit, never at the end."""

    def __init__(self, source: gzip.GzipFile, budget: _Budget) -> None:
        self._source = source
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._source.read(len(buffer))
        self._budget.unpacked += len(chunk)
        if self._budget.unpacked > LIMITS.max_archive_unpacked_bytes:
            raise LimitExceeded("max_archive_unpacked_bytes", "the archive unpacked")
        buffer[: len(chunk)] = chunk
        return len(chunk)


_PRIVATE_DIRS: list[str] = []


def _remove_private_dirs() -> None:
    for d in _PRIVATE_DIRS:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_remove_private_dirs)


def unpack_chart_archive(path: Path) -> Path:
    """Unpack the chart archive at ``path`` into a new private directory and return it.

    Raises ``ArchiveError`` (naming the refused member when there is one) for a member that is
    not a plain file or directory, a name that is absolute, climbs out (``..``) or shadows another
    one, a corrupt or truncated archive, and for any ``max_archive_*`` limit passed (the message
    names the limit and how to raise it). Nothing of a refused archive stays on disk. The
    directory lives until the process ends (the scan reads the files after this returns).
    """
    try:
        raw = read_regular_file(path, LIMITS.max_archive_bytes)
    except UnreadableInput as exc:
        text = str(exc)
        if "too large" in text:
            text = f"{text}; limit max_archive_bytes (raise it with --limit max_archive_bytes=N)"
        raise ArchiveError(text) from None
    target = tempfile.mkdtemp(prefix="ocisec-chart-")  # mode 0700: no other user can plant files
    try:
        _unpack(raw, Path(target), 1, _Budget())
    except ArchiveError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    except LimitExceeded as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise ArchiveError(str(exc)) from None
    _PRIVATE_DIRS.append(target)
    return Path(target)


def unpacked_here(path: Path) -> bool:
    """Whether ``path`` is a directory this module unpacked (an archive nested in an archive,
    unpacked in place under its own name); a directory a repository names ``x.tgz`` is not."""
    if not path.is_dir():
        return False
    text = str(path)
    return any(text.startswith(d + os.sep) for d in _PRIVATE_DIRS)


def _unpack(raw: bytes, target: Path, depth: int, budget: _Budget) -> None:
    """Unpack one archive's bytes into ``target`` (an empty private directory)."""
    files: dict[str, str] = {}  # case-folded name -> name as written
    dirs: dict[str, str] = {}  # the same for directories (listed, or holding a member)
    nested: list[tuple[str, bytes]] = []
    where = "/".join(budget.inner)
    try:
        stream = _CountedStream(gzip.GzipFile(fileobj=io.BytesIO(raw), mode="rb"), budget)
        with tarfile.open(fileobj=io.BufferedReader(stream), mode="r|") as tar:
            for member in tar:
                budget.members += 1
                if budget.members > LIMITS.max_archive_members:
                    raise LimitExceeded("max_archive_members", "members of the archive")
                name = _member_name(member.name, where)
                _check_kind(member, name)
                _check_shadowing(name, member.isdir(), files, dirs)
                if member.isdir():
                    continue
                if member.size > LIMITS.max_file_bytes:
                    raise ArchiveError(
                        f"member of {member.size:,} bytes exceeds the limit "
                        f"max_file_bytes={LIMITS.max_file_bytes} (raise it with --limit max_file_bytes=N)",
                        name,
                    )
                data = tar.extractfile(member)
                if data is None:  # pragma: no cover - regular members always have a reader
                    raise ArchiveError("member cannot be read", name)
                content = data.read(LIMITS.max_file_bytes + 1)
                if len(content) != member.size:
                    raise ArchiveError("truncated archive: member shorter than its header says", name)
                parts = name.split("/")
                if name.endswith(".tgz") and len(parts) >= 2 and parts[-2] == "charts":
                    nested.append((name, content))  # unpacked below, into a directory of this name
                    continue
                _write(target, parts, content, name)
    except (ArchiveError, LimitExceeded):
        raise
    except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError, OSError) as exc:
        kind = "truncated" if isinstance(exc, EOFError) else "corrupt or truncated"
        raise ArchiveError(
            f"{kind} archive ({type(exc).__name__}): not a gzip-compressed tar Helm could read"
        ) from None
    for name, content in nested:
        inner = "/".join([*budget.inner, name])
        if depth + 1 > LIMITS.max_archive_depth:
            raise LimitExceeded(
                "max_archive_depth", f"archives nested in archives at {inner} (depth {depth + 1})"
            )
        directory = target.joinpath(*name.split("/"))
        try:
            directory.mkdir(mode=0o700, parents=True)
        except OSError:
            raise ArchiveError("member collides with a directory of the same name", name) from None
        budget.inner.append(name)
        try:
            _unpack(content, directory, depth + 1, budget)
        except ArchiveError as exc:
            # name the member by its whole path through the nesting, outermost archive first
            if exc.member is not None and not exc.member.startswith(inner + "/"):
                raise ArchiveError(exc.reason, f"{inner}/{exc.member}") from None
            raise ArchiveError(exc.reason, exc.member or inner) from None
        finally:
            budget.inner.pop()


def _member_name(raw: str, where: str) -> str:
    """A member's path, checked: relative, no ``..``, no backslash or drive letter."""
    shown = f"{where}/{raw}" if where else raw
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":") or "\\" in raw:
        raise ArchiveError("absolute path or Windows path: it would be written outside the chart", shown)
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if not parts:
        raise ArchiveError("member without a name", shown or "(empty)")
    if ".." in parts:
        raise ArchiveError("path climbs out with '..': it would be written outside the chart", shown)
    return "/".join(parts)


def _check_kind(member: tarfile.TarInfo, name: str) -> None:
    if member.issym() or member.islnk():
        kind = "symbolic link" if member.issym() else "hard link"
        raise ArchiveError(f"{kind}: a chart archive holds only files and directories", name)
    if member.ischr() or member.isblk() or member.isfifo():
        kind = "named pipe" if member.isfifo() else "device"
        raise ArchiveError(f"{kind}: a chart archive holds only files and directories", name)
    if not (member.isreg() or member.isdir()):
        raise ArchiveError(
            "member of an unsupported type: a chart archive holds only files and directories", name
        )


def _check_shadowing(name: str, is_dir: bool, files: dict[str, str], dirs: dict[str, str]) -> None:
    """Refuse a member that another one would shadow: the same name twice, names that differ only
    by case (one file on a case-insensitive disk), a file where a directory is or the reverse.
    Records the member; linear in its path's length."""
    folded = name.casefold()
    other = files.get(folded) or (None if is_dir else dirs.get(folded))
    if other is not None:
        what = "appears twice" if other == name else f"collides with {other!r} (names differ only by case)"
        raise ArchiveError(f"member {what}: one would shadow the other", name)
    parts = name.split("/")
    for i in range(1, len(parts)):
        prefix = "/".join(parts[:i])
        if prefix.casefold() in files:
            other = files[prefix.casefold()]
            raise ArchiveError(f"member collides with the file {other!r}: one would shadow the other", name)
        dirs.setdefault(prefix.casefold(), prefix)
    if is_dir:
        dirs.setdefault(folded, name)
    else:
        files[folded] = name


def _write(target: Path, parts: list[str], content: bytes, name: str) -> None:
    """Write one file under ``target``: parents created as directories (nothing here is a link,
    as no link is ever written), the file created exclusively, never through a link."""
    directory = target.joinpath(*parts[:-1])
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(directory / parts[-1], flags, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        raise ArchiveError("member collides with another member of the same name", name) from None
    except OSError:
        raise ArchiveError("member collides with another (a file where a directory is)", name) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
