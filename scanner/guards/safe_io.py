"""Reading input files without hanging: FIFOs, devices and sockets are refused by name, sizes
are bounded, and symlink loops are errors, not exceptions."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnreadableInput(OSError):
    """A path that is not a regular file, or too large; ``str()`` is the reason."""


def read_regular_file(path: Path | str, max_bytes: int, truncate: bool = False) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``.

    The file is opened non-blocking (opening a FIFO would otherwise wait for a writer) and
    checked with ``fstat`` on the open descriptor, so a symlink to ``/dev/zero`` or a named pipe
    is refused before anything is read; at most ``max_bytes + 1`` bytes are ever read.
    ``truncate``: return the first ``max_bytes`` of a larger file instead of refusing it.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnreadableInput(_reason(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableInput(f"not a regular file ({_kind(st.st_mode)})")
        if st.st_size > max_bytes and not truncate:
            raise UnreadableInput(f"file too large to analyse ({_mib(st.st_size)} > {_mib(max_bytes)})")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes and truncate:
                return b"".join(chunks)[:max_bytes]
            if total > max_bytes:  # it grew while being read
                raise UnreadableInput(f"file too large to analyse (> {_mib(max_bytes)})")
        return b"".join(chunks)
    except UnreadableInput:
        raise
    except OSError as exc:
        raise UnreadableInput(_reason(exc)) from None
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return f"cannot read file: {exc.strerror or exc}"


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a file"


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n:,} bytes"


def safe_resolve(path: Path) -> Path:
    """``path.resolve()``, or the absolute path when it is a symlink loop (Python raises
    ``RuntimeError`` for those)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))
