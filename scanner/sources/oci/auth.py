"""Authentication for live audits, with the ``oci`` CLI's habits: a config file and profile
(``--config-file``, ``--profile`` / ``OCI_CLI_PROFILE``), or instance / resource principals, or a
session token. Every failure is an ``AuthError`` with one line naming the profile, file or key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = "~/.oci/config"
DEFAULT_PROFILE = "DEFAULT"


class AuthError(Exception):
    """Authentication or configuration that cannot work: one line for the user."""


@dataclass
class OciSession:
    """A signer and base config, able to make SDK clients for any region.

    ``service_endpoint`` (``http://127.0.0.1:PORT/{region}``) sends every call elsewhere: it is
    how tests and benchmarks point the real SDK at the API emulator.
    """

    signer: Any
    config: dict[str, Any]
    tenancy_id: str
    region: str
    service_endpoint: str | None = None
    timeout: tuple[float, float] = (10.0, 60.0)
    retry: Any = None  # an oci retry strategy
    extra: dict[str, Any] = field(default_factory=dict)

    def client(self, class_path: str, region: str, endpoint: str | None = None) -> Any:
        """A new SDK client of ``class_path`` (``identity.IdentityClient``) for ``region``;
        ``endpoint`` overrides the service endpoint (a vault's management endpoint)."""
        import importlib

        module, _, name = class_path.rpartition(".")
        cls = getattr(importlib.import_module(f"oci.{module}"), name)
        import oci

        kwargs: dict[str, Any] = {"signer": self.signer, "timeout": self.timeout}
        # The SDK's default circuit breaker opens after ten failures, 429s included, and then
        # fails every call of the client, unrelated ones too; ocisec's bounded retry is the only
        # back-off (collector.retry_strategy).
        kwargs["circuit_breaker_strategy"] = oci.circuit_breaker.NoCircuitBreakerStrategy()
        if self.retry is not None:
            kwargs["retry_strategy"] = self.retry
        if endpoint:
            kwargs["service_endpoint"] = endpoint
        elif self.service_endpoint:
            kwargs["service_endpoint"] = self.service_endpoint.replace("{region}", region)
        client = cls(dict(self.config, region=region), **kwargs)
        if not _proxy_variables_set():
            # requests re-reads the proxy variables (scanning the whole environment) twice per
            # call when trust_env is on: a third of the SDK's CPU per call. With none set, the
            # only other thing trust_env does for a signed call is the CA-bundle variable,
            # applied here once, exactly as requests would.
            session = client.base_client.session
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if bundle and session.verify is True:
                session.verify = bundle
            session.trust_env = False
        return client


_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def _proxy_variables_set() -> bool:
    """True when a proxy variable is set (then requests must keep resolving proxies per call)."""
    return any(name.lower() in _PROXY_VARIABLES for name in os.environ)


def make_session(
    auth: str,
    config_file: Path | None = None,
    profile: str | None = None,
    service_endpoint: str | None = None,
) -> OciSession:
    """Build the signer for ``auth`` (api_key, instance_principal, resource_principal,
    security_token); raises ``AuthError`` with one line on any problem."""
    try:
        import oci
    except ImportError:  # pragma: no cover - a dependency
        raise AuthError("the oci SDK is not installed (pip install oci)") from None
    if auth in ("api_key", "security_token"):
        return _from_config(oci, auth, config_file, profile, service_endpoint)
    if auth == "instance_principal":
        try:
            signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
        except Exception as exc:  # noqa: BLE001 - any failure means "not on an OCI instance"
            raise AuthError(
                "--auth instance_principal: cannot get a token from the instance metadata service "
                f"({_short(exc)})"
            ) from None
        return OciSession(signer, {}, signer.tenancy_id, signer.region, service_endpoint)
    if auth == "resource_principal":
        try:
            signer = oci.auth.signers.get_resource_principals_signer()
        except Exception as exc:  # noqa: BLE001
            raise AuthError(
                f"--auth resource_principal: no resource principal in this environment ({_short(exc)})"
            ) from None
        region = os.environ.get("OCI_RESOURCE_PRINCIPAL_REGION") or getattr(signer, "region", None)
        tenancy = getattr(signer, "tenancy_id", None) or _claim(signer, "res_tenant")
        if not region or not tenancy:
            raise AuthError("--auth resource_principal: the principal names no region or tenancy")
        return OciSession(signer, {}, tenancy, region, service_endpoint)
    raise AuthError(
        f"--auth {auth}: unknown method (api_key, instance_principal, resource_principal, security_token)"
    )


def _from_config(
    oci: Any, auth: str, config_file: Path | None, profile: str | None, endpoint: str | None
) -> OciSession:
    path = Path(
        os.path.expanduser(str(config_file or os.environ.get("OCI_CLI_CONFIG_FILE") or DEFAULT_CONFIG))
    )
    profile = profile or os.environ.get("OCI_CLI_PROFILE") or DEFAULT_PROFILE
    if not path.is_file():
        raise AuthError(f"config file {path} not found (give --config-file, or run `oci setup config`)")
    try:
        config = oci.config.from_file(str(path), profile)
    except oci.exceptions.ProfileNotFound:
        raise AuthError(f"config file {path}: no profile [{profile}]") from None
    except Exception as exc:  # noqa: BLE001 - InvalidConfig, parse errors
        raise AuthError(f"config file {path} [{profile}]: {_short(exc)}") from None
    where = f"config file {path} [{profile}]"
    for key in ("tenancy", "region", "key_file"):
        if not config.get(key):
            raise AuthError(f"{where}: key '{key}' is missing")
    key_file = Path(os.path.expanduser(config["key_file"]))
    if not key_file.is_file():
        raise AuthError(f"{where}: key_file {key_file} not found")
    try:
        private_key = oci.signer.load_private_key_from_file(str(key_file), config.get("pass_phrase"))
    except Exception as exc:  # noqa: BLE001 - wrong pass phrase, not a PEM key
        raise AuthError(f"{where}: key_file {key_file} cannot be loaded ({_short(exc)})") from None
    if auth == "security_token":
        token_file = config.get("security_token_file")
        if not token_file:
            raise AuthError(f"{where}: key 'security_token_file' is missing (run `oci session authenticate`)")
        token_path = Path(os.path.expanduser(token_file))
        try:
            token = token_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AuthError(f"{where}: security_token_file {token_path}: {exc.strerror or exc}") from None
        signer = oci.auth.signers.SecurityTokenSigner(token, private_key)
    else:
        for key in ("user", "fingerprint"):
            if not config.get(key):
                raise AuthError(f"{where}: key '{key}' is missing")
        signer = oci.signer.Signer(
            config["tenancy"],
            config["user"],
            config["fingerprint"],
            str(key_file),
            config.get("pass_phrase"),
            private_key_content=None,
        )
    return OciSession(signer, config, config["tenancy"], config["region"], endpoint)


def _claim(signer: Any, name: str) -> str | None:
    try:
        return signer.get_claim(name)
    except Exception:  # noqa: BLE001
        return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
