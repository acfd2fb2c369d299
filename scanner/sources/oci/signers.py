"""Signers that keep a live audit authenticated past a token's lifetime.

Imported only by ``auth.make_session`` (it needs the ``oci`` SDK, which scans never import).

- ``SessionTokenSigner``: a session token of ``oci session authenticate``. Before each request it
  checks the token's expiry; with less than a margin left it first re-reads the token file
  (``oci session refresh`` or another ocisec process may have renewed it), then asks the auth
  service for a new token (``POST /v1/authentication/refresh`` with ``{"currentToken": ...}``,
  signed with the token itself, as ``oci session refresh`` does) and writes it back to the file.
- ``DelegationTokenFileSigner``: instance-principal signing on behalf of a user (Cloud Shell);
  the delegation token file is re-read whenever the host rewrites it.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oci._vendor import requests
from oci.auth.signers import InstancePrincipalsDelegationTokenSigner, SecurityTokenSigner
from oci.auth.signers.security_token_signer import SECURITY_TOKEN_FORMAT_STRING

# Renew when this share of the token's lifetime is left, at most this many seconds ahead.
REFRESH_SHARE = 0.5
REFRESH_MARGIN = 300.0
MAX_TOKEN_BYTES = 64 * 1024


class TokenError(Exception):
    """A token that cannot be read or renewed: one line naming the file and what to do."""


def read_token(path: Path, where: str) -> tuple[str, tuple[int, int] | None]:
    """The token in ``path`` (stripped) and the file's (mtime, size) stamp."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_TOKEN_BYTES + 1)
            stamp = _stamp(os.fstat(handle.fileno()))
    except OSError as exc:
        raise TokenError(f"{where}: {exc.strerror or exc}") from None
    if len(data) > MAX_TOKEN_BYTES:
        raise TokenError(f"{where}: larger than {MAX_TOKEN_BYTES} bytes, not a token")
    token = data.decode("utf-8", "replace").strip()
    if not token:
        raise TokenError(f"{where}: empty")
    return token, stamp


def _stamp(stat: os.stat_result) -> tuple[int, int]:
    return (stat.st_mtime_ns, stat.st_size)


def claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified: the service verifies tokens; ocisec reads ``exp``."""
    import base64

    try:
        payload = token.split(".")[1]
        value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


class SessionTokenSigner(SecurityTokenSigner):
    """Signs with a session token and renews it before it expires (see the module)."""

    def __init__(
        self,
        token_file: Path,
        private_key: Any,
        refresh_url: str,
        where: str,
        renew_hint: str,
        clock: Callable[[], float] = time.time,
        timeout: tuple[float, float] = (10.0, 60.0),
    ) -> None:
        self.token_file = token_file
        self.refresh_url = refresh_url
        self.where = where
        self.renew_hint = renew_hint
        self.clock = clock
        self.timeout = timeout
        self.refreshes = 0
        self._renew_lock = threading.Lock()
        self._session_key = private_key
        token, self._stamp = read_token(token_file, where)
        self._set(token)
        super().__init__(token, private_key)

    # --- the token -----------------------------------------------------------------------
    def _set(self, token: str) -> None:
        found = claims(token)
        exp, iat = found.get("exp"), found.get("iat")
        if not isinstance(exp, int | float):
            raise TokenError(f"{self.where}: not a session token (no expiry)")
        self.token = token
        self.expires = float(exp)
        lifetime = self.expires - float(iat) if isinstance(iat, int | float) else 2 * REFRESH_MARGIN
        self.margin = max(0.0, min(REFRESH_MARGIN, lifetime * REFRESH_SHARE))

    def _install(self, token: str) -> None:
        self._set(token)
        self.api_key = SECURITY_TOKEN_FORMAT_STRING.format(token)
        self._basic_signer.reset_signer(self.api_key, self._session_key)
        self._body_signer.reset_signer(self.api_key, self._session_key)

    def seconds_left(self) -> float:
        """Seconds until the current token expires (negative: expired)."""
        return self.expires - self.clock()

    # --- renewal -------------------------------------------------------------------------
    def ensure_fresh(self) -> None:
        """Renew the token when less than its margin is left; ``TokenError`` when it has
        expired and cannot be renewed (a token still valid is used while renewal fails)."""
        if self.seconds_left() > self.margin:
            return
        with self._renew_lock:
            if self.seconds_left() > self.margin:  # another thread renewed it meanwhile
                return
            self._reload()
            if self.seconds_left() > self.margin:
                return
            problem = self._refresh()
            if problem and self.seconds_left() <= 0:
                raise TokenError(
                    f"{self.where}: expired and cannot be refreshed ({problem}); {self.renew_hint}"
                )

    def _reload(self) -> None:
        """Take the file's token when the file changed and holds a later one."""
        try:
            stat = os.stat(self.token_file)
        except OSError:
            return
        if _stamp(stat) == self._stamp:
            return
        try:
            token, stamp = read_token(self.token_file, self.where)
        except TokenError:
            return
        self._stamp = stamp
        if float(claims(token).get("exp") or 0) > self.expires:
            self._install(token)

    def _refresh(self) -> str | None:
        """Ask the auth service for a new token; None when done, else why not."""
        if self.seconds_left() <= 0:
            return "the token has expired"
        current = SecurityTokenSigner(self.token, self._session_key)
        try:
            response = requests.post(
                self.refresh_url,
                data=json.dumps({"currentToken": self.token}),
                headers={"content-type": "application/json"},
                auth=current,
                timeout=self.timeout,
            )
        except requests.exceptions.RequestException as exc:
            return f"auth service unreachable: {type(exc).__name__}"
        if response.status_code != 200:
            return f"auth service answered HTTP {response.status_code}"
        try:
            token = str(response.json()["token"])
        except (ValueError, KeyError, TypeError):
            return "auth service answered without a token"
        if not claims(token).get("exp"):
            return "auth service answered without a token"
        self._install(token)
        self.refreshes += 1
        self._write_back(token)
        return None

    def _write_back(self, token: str) -> None:
        """Keep the profile usable, as ``oci session refresh`` does; a read-only file (a
        mounted secret) keeps the new token in memory only."""
        directory = self.token_file.parent
        try:
            fd, tmp = tempfile.mkstemp(prefix=".ocisec-token-", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(token)
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.token_file)
            except OSError:
                os.unlink(tmp)
                raise
            self._stamp = _stamp(os.stat(self.token_file))
        except OSError:
            return

    def __call__(self, request: Any, enforce_content_headers: bool = True) -> Any:
        self.ensure_fresh()
        return super().__call__(request, enforce_content_headers)


class DelegationTokenFileSigner(InstancePrincipalsDelegationTokenSigner):
    """Instance-principal signing with the delegation token of ``token_file``, re-read when
    the file changes (Cloud Shell renews it)."""

    def __init__(self, token_file: Path, where: str, **kwargs: Any) -> None:
        self.token_file = token_file
        self.where = where
        self._file_lock = threading.Lock()
        token, self._file_stamp = read_token(token_file, where)
        super().__init__(delegation_token=token, **kwargs)

    def _reload(self) -> None:
        try:
            stamp = _stamp(os.stat(self.token_file))
        except OSError:
            return  # keep the last token; the service says whether it still works
        if stamp == self._file_stamp:
            return
        with self._file_lock:
            try:
                token, self._file_stamp = read_token(self.token_file, self.where)
            except TokenError:
                return
            self.delegation_token = token

    def do_request_sign(self, request: Any, enforce_content_headers: bool = True) -> Any:
        self._reload()
        return super().do_request_sign(request, enforce_content_headers)
