"""Authentication for live audits, with the ``oci`` CLI's methods, options and environment.

``--auth`` (or ``OCI_CLI_AUTH``) picks the method, as ``oci --auth`` does:

- ``api_key``: a profile of the config file (``--config-file`` / ``OCI_CLI_CONFIG_FILE``, then
  ``~/.oci/config``, then ``OCI_CONFIG_FILE``, then ``~/.oraclebmc/config``; ``--profile`` /
  ``OCI_CLI_PROFILE``, then ``OCI_CONFIG_PROFILE``, then ``DEFAULT``), with the CLI's overrides
  ``OCI_CLI_USER``, ``OCI_CLI_TENANCY``, ``OCI_CLI_FINGERPRINT``, ``OCI_CLI_KEY_FILE``,
  ``OCI_CLI_KEY_CONTENT``, ``OCI_CLI_PASSPHRASE``; with all of them and ``OCI_CLI_REGION`` set,
  no file is needed (CI secrets).
- ``security_token``: a session profile (``oci session authenticate``): ``security_token_file``
  and the session key. The token is refreshed through the auth service before it expires, as
  ``oci session refresh`` does, so an audit longer than a token's hour goes on.
- ``instance_principal``: the instance's certificate from the metadata service (the SDK honours
  ``OCI_METADATA_BASE_URL``), exchanged for a token at the federation endpoint
  (``OCI_CLI_FEDERATION_ENDPOINT``, else the region's auth service); the SDK refreshes it.
- ``instance_obo_user``: Cloud Shell and other hosts acting on behalf of a user: instance
  principal signing plus the profile's ``delegation_token_file`` (``OCI_CLI_DELEGATION_TOKEN_FILE``),
  re-read whenever the host rewrites it.
- ``resource_principal``: Functions, Data Flow, ... (``OCI_RESOURCE_PRINCIPAL_VERSION``,
  ``OCI_RESOURCE_PRINCIPAL_RPST``, ``OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM``,
  ``OCI_RESOURCE_PRINCIPAL_REGION``, ...), read by the SDK.
- ``oke_workload_identity``: a pod's service account token exchanged at the OKE proxymux
  (``KUBERNETES_SERVICE_HOST``, ``OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH``,
  ``OCI_RESOURCE_PRINCIPAL_REGION``).

The region the first calls go to is ``OCI_CLI_REGION``, else the profile's (or the principal's)
region, else ``OCI_REGION``; ``OCI_CLI_TENANCY`` names the tenancy when a principal's token does
not. Every failure is an ``AuthError`` of one line naming the method, file, profile, key or
variable; secret values (keys, tokens, pass phrases) never appear in it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = "~/.oci/config"
FALLBACK_CONFIG = "~/.oraclebmc/config"
DEFAULT_PROFILE = "DEFAULT"

AUTH_METHODS = (
    "api_key",
    "instance_principal",
    "resource_principal",
    "security_token",
    "instance_obo_user",
    "oke_workload_identity",
)

# The oci CLI's environment variables that override (or replace) keys of the profile.
CONFIG_ENV = {
    "OCI_CLI_USER": "user",
    "OCI_CLI_FINGERPRINT": "fingerprint",
    "OCI_CLI_KEY_FILE": "key_file",
    "OCI_CLI_KEY_CONTENT": "key_content",
    "OCI_CLI_TENANCY": "tenancy",
    "OCI_CLI_PASSPHRASE": "pass_phrase",
    "OCI_CLI_DELEGATION_TOKEN_FILE": "delegation_token_file",
    "OCI_CLI_SECURITY_TOKEN_FILE": "security_token_file",
}
# Refresh a session token this many seconds before it expires (tokens live an hour).
REFRESH_MARGIN = 300.0


class AuthError(Exception):
    """Authentication or configuration that cannot work: one line for the user."""


@dataclass
class OciSession:
    """A signer and base config, able to make SDK clients for any region.

    ``service_endpoint`` (``http://127.0.0.1:PORT/{region}``) sends every call elsewhere: it is
    how tests and benchmarks point the real SDK at the API emulator. ``method`` is the
    authentication method that made the signer; ``spec`` the ``make_session`` arguments that
    rebuild it (in a worker process).
    """

    signer: Any
    config: dict[str, Any]
    tenancy_id: str
    region: str
    service_endpoint: str | None = None
    timeout: tuple[float, float] = (10.0, 60.0)
    retry: Any = None  # an oci retry strategy
    extra: dict[str, Any] = field(default_factory=dict)
    method: str = "api_key"
    spec: dict[str, Any] = field(default_factory=dict)

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


def resolve_method(auth: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The method asked for: ``auth`` (``--auth``), else ``OCI_CLI_AUTH``, else ``api_key``."""
    env = os.environ if environ is None else environ
    if auth:
        if auth not in AUTH_METHODS:
            raise AuthError(f"--auth {_show(auth)}: unknown method ({', '.join(AUTH_METHODS)})")
        return auth
    value = env.get("OCI_CLI_AUTH", "").strip()
    if not value:
        return "api_key"
    if value not in AUTH_METHODS:
        raise AuthError(f"OCI_CLI_AUTH={_show(value)}: unknown method ({', '.join(AUTH_METHODS)})")
    return value


def make_session(
    auth: str | None = None,
    config_file: Path | str | None = None,
    profile: str | None = None,
    service_endpoint: str | None = None,
    *,
    region: str | None = None,
    clock: Any = None,
) -> OciSession:
    """Build the signer for ``auth`` (one of ``AUTH_METHODS``; None: ``OCI_CLI_AUTH``, else
    ``api_key``) the way the oci CLI does; raises ``AuthError`` with one line on any problem.

    ``region`` is the last resort for the region of the first calls (ocisec passes the first
    ``--region``); ``clock`` is the time session tokens are judged against (tests share it with
    the token services' witness). ``OciSession.spec`` holds the resolved arguments, from which a
    worker process rebuilds the same session.
    """
    try:
        import oci  # noqa: F401 - checked here so that the message is ours
    except ImportError:  # pragma: no cover - a dependency
        raise AuthError("the oci SDK is not installed (pip install oci)") from None
    env = dict(os.environ)
    method = resolve_method(auth, env)
    ask = _Ask(method, config_file, profile, service_endpoint, region, env, clock or time.time)
    builders = {
        "api_key": _api_key,
        "security_token": _security_token,
        "instance_principal": _instance_principal,
        "instance_obo_user": _instance_obo_user,
        "resource_principal": _resource_principal,
        "oke_workload_identity": _oke_workload_identity,
    }
    session = builders[method](ask)
    session.method = method
    session.spec = {
        "auth": method,
        "config_file": config_file,
        "profile": profile,
        "service_endpoint": service_endpoint,
        "region": region,
    }
    return session


@dataclass
class _Ask:
    """One ``make_session`` request, with the environment it reads."""

    method: str
    config_file: Path | str | None
    profile: str | None
    service_endpoint: str | None
    region: str | None
    env: dict[str, str]
    clock: Any

    def session_region(self, *found: str | None) -> str | None:
        """``OCI_CLI_REGION``, else the first region ``found`` (profile, principal), else
        ``OCI_REGION``, else the ``region`` fallback; short names (``fra``) made canonical."""
        for value in (self.env.get("OCI_CLI_REGION"), *found, self.env.get("OCI_REGION"), self.region):
            if value and str(value).strip():
                return _canonical_region(str(value).strip())
        return None

    def auth_endpoint(self, region: str) -> str:
        """The auth service of ``region`` (``https://auth.REGION.oraclecloud.com``), or the
        emulator's when every call goes to one."""
        import oci

        if self.service_endpoint:
            return self.service_endpoint.replace("{region}", region).rstrip("/")
        return oci.regions.endpoint_for("auth", region)


def _canonical_region(value: str) -> str:
    import oci

    return oci.regions.REGIONS_SHORT_NAMES.get(value.lower(), value)


# --- profiles of the config file ---------------------------------------------------------------


def config_path(explicit: Path | str | None, env: Mapping[str, str]) -> tuple[Path, str]:
    """The config file and what chose it, in the oci CLI's order: ``--config-file``,
    ``OCI_CLI_CONFIG_FILE``, ``~/.oci/config`` when it exists, ``OCI_CONFIG_FILE``,
    ``~/.oraclebmc/config`` when it exists, else ``~/.oci/config`` (to say it is missing)."""
    if explicit:
        return Path(os.path.expanduser(str(explicit))), "--config-file"
    if env.get("OCI_CLI_CONFIG_FILE"):
        return Path(os.path.expanduser(env["OCI_CLI_CONFIG_FILE"])), "OCI_CLI_CONFIG_FILE"
    default = Path(os.path.expanduser(DEFAULT_CONFIG))
    if default.is_file():
        return default, "default"
    if env.get("OCI_CONFIG_FILE"):
        return Path(os.path.expanduser(env["OCI_CONFIG_FILE"])), "OCI_CONFIG_FILE"
    fallback = Path(os.path.expanduser(FALLBACK_CONFIG))
    if fallback.is_file():
        return fallback, "default"
    return default, "default"


def profile_name(explicit: str | None, env: Mapping[str, str]) -> str:
    """``--profile``, else ``OCI_CLI_PROFILE``, else ``OCI_CONFIG_PROFILE`` (Cloud Shell's), else
    ``DEFAULT``."""
    return explicit or env.get("OCI_CLI_PROFILE") or env.get("OCI_CONFIG_PROFILE") or DEFAULT_PROFILE


def _env_only_config(env: Mapping[str, str]) -> bool:
    """The oci CLI needs no file when user, tenancy, fingerprint, region and a key are all in
    the environment."""
    needed = ("OCI_CLI_USER", "OCI_CLI_TENANCY", "OCI_CLI_FINGERPRINT", "OCI_CLI_REGION")
    return all(env.get(n) for n in needed) and bool(
        env.get("OCI_CLI_KEY_FILE") or env.get("OCI_CLI_KEY_CONTENT")
    )


def _profile(ask: _Ask, optional_file: bool = False) -> tuple[dict[str, Any], str]:
    """The profile's keys with the ``OCI_CLI_*`` overrides, and a ``where`` naming it for
    messages. ``optional_file``: an absent file is an empty profile (the overrides may suffice)."""
    import oci

    path, chosen = config_path(ask.config_file, ask.env)
    name = profile_name(ask.profile, ask.env)
    where = f"config file {_show(path)} [{_show(name)}]"
    config: dict[str, Any] = {}
    if ask.method == "api_key" and _env_only_config(ask.env) and not path.is_file():
        where = "the OCI_CLI_* environment variables"
    elif not path.is_file():
        if not optional_file:
            hint = "give --config-file, or run `oci setup config`"
            if ask.method == "security_token":
                hint = "give --config-file, or run `oci session authenticate`"
            by = "" if chosen == "default" else f" ({chosen})"
            raise AuthError(f"config file {_show(path)}{by} not found ({hint})")
    else:
        try:
            config = dict(oci.config.from_file(str(path), name))
        except oci.exceptions.ProfileNotFound:
            raise AuthError(f"config file {_show(path)}: no profile [{_show(name)}]") from None
        except oci.exceptions.InvalidKeyFilePath:
            raise AuthError(f"{where}: key_file {_show(_key_file_of(path, name))} not found") from None
        except Exception as exc:  # noqa: BLE001 - parse errors, key_content in a file
            raise AuthError(f"{where}: {_short(exc)}") from None
    for variable, key in CONFIG_ENV.items():
        if ask.env.get(variable):
            config[key] = ask.env[variable]
    return config, where


def _key_file_of(path: Path, profile: str) -> str:
    """The raw ``key_file`` value of a profile (the SDK's message repeats it with more words)."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path)
        return os.path.expanduser(parser[profile].get("key_file", "?"))
    except Exception:  # noqa: BLE001
        return "?"


def _private_key(oci: Any, config: dict[str, Any], where: str) -> Any:
    """The profile's private key (``key_content`` from ``OCI_CLI_KEY_CONTENT``, or ``key_file``)."""
    passphrase = config.get("pass_phrase")
    if config.get("key_content"):
        try:
            return oci.signer.load_private_key(config["key_content"], passphrase)
        except Exception as exc:  # noqa: BLE001 - never echo the key itself
            raise AuthError(f"{where}: OCI_CLI_KEY_CONTENT cannot be loaded ({type(exc).__name__})") from None
    if not config.get("key_file"):
        raise AuthError(f"{where}: key 'key_file' is missing")
    key_file = Path(os.path.expanduser(config["key_file"]))
    if not key_file.is_file():
        raise AuthError(f"{where}: key_file {_show(key_file)} not found")
    try:
        return oci.signer.load_private_key_from_file(str(key_file), passphrase)
    except Exception as exc:  # noqa: BLE001 - wrong pass phrase, not a PEM key
        raise AuthError(f"{where}: key_file {_show(key_file)} cannot be loaded ({_short(exc)})") from None


def _require(config: dict[str, Any], where: str, *keys: str) -> None:
    for key in keys:
        if not config.get(key):
            hint = ""
            if key == "user" and config.get("security_token_file"):
                hint = " (the profile has a security_token_file: use --auth security_token)"
            raise AuthError(f"{where}: key '{key}' is missing{hint}")


# --- the methods -------------------------------------------------------------------------------


def _api_key(ask: _Ask) -> OciSession:
    import oci

    config, where = _profile(ask)
    _require(config, where, "tenancy")
    region = ask.session_region(config.get("region"))
    if not region:
        raise AuthError(f"{where}: key 'region' is missing (or set OCI_CLI_REGION)")
    _require(config, where, "user", "fingerprint")
    _private_key(oci, config, where)  # loads it once to say what is wrong, in one line
    key_file = os.path.expanduser(config["key_file"]) if config.get("key_file") else None
    signer = oci.signer.Signer(
        config["tenancy"],
        config["user"],
        config["fingerprint"],
        key_file,
        config.get("pass_phrase"),
        private_key_content=config.get("key_content"),
    )
    config = dict(config, region=region)
    return OciSession(signer, _public_config(config), config["tenancy"], region, ask.service_endpoint)


def _public_config(config: dict[str, Any]) -> dict[str, Any]:
    """The config the SDK clients get: no pass phrase (with a signer they never use it; the
    SDK's validation still wants ``key_file`` or ``key_content`` present)."""
    return {k: v for k, v in config.items() if k != "pass_phrase"}


def _security_token(ask: _Ask) -> OciSession:
    import oci

    from scanner.sources.oci.signers import SessionTokenSigner, TokenError

    config, where = _profile(ask)
    _require(config, where, "tenancy")
    region = ask.session_region(config.get("region"))
    if not region:
        raise AuthError(f"{where}: key 'region' is missing (or set OCI_CLI_REGION)")
    token_file = config.get("security_token_file")
    if not token_file:
        raise AuthError(f"{where}: key 'security_token_file' is missing (run `oci session authenticate`)")
    key = _private_key(oci, config, where)
    token_path = Path(os.path.expanduser(token_file))
    profile = profile_name(ask.profile, ask.env)
    try:
        signer = SessionTokenSigner(
            token_path,
            key,
            refresh_url=ask.auth_endpoint(region) + "/v1/authentication/refresh",
            where=f"security_token_file {_show(token_path)}",
            renew_hint=f"run `oci session authenticate --profile {_show(profile)}`",
            clock=ask.clock,
        )
        signer.ensure_fresh()
    except TokenError as exc:
        raise AuthError(str(exc)) from None
    config = dict(config, region=region)
    return OciSession(signer, _public_config(config), config["tenancy"], region, ask.service_endpoint)


def _federation_endpoint(ask: _Ask) -> str | None:
    """``OCI_CLI_FEDERATION_ENDPOINT``; with an emulator, its ``/v1/x509`` (the SDK otherwise
    derives the region's auth service once it knows the region)."""
    explicit = ask.env.get("OCI_CLI_FEDERATION_ENDPOINT", "").strip()
    if explicit:
        return explicit
    return None


def _instance_kwargs(ask: _Ask) -> dict[str, Any]:
    import oci

    kwargs: dict[str, Any] = {
        # Off an OCI instance the metadata service never answers: give up after seconds, not
        # the SDK's default three minutes of retries.
        "retry_strategy": oci.retry.RetryStrategyBuilder(
            max_attempts_check=True,
            max_attempts=3,
            total_elapsed_time_check=True,
            total_elapsed_time_seconds=20,
            service_error_check=True,
            service_error_retry_on_any_5xx=True,
        ).get_retry_strategy(),
    }
    federation = _federation_endpoint(ask)
    if federation:
        kwargs["federation_endpoint"] = federation
    return kwargs


def _principal_session(
    ask: _Ask, signer: Any, tenancy: str | None, region: str | None, what: str
) -> OciSession:
    tenancy = ask.env.get("OCI_CLI_TENANCY") or tenancy
    region = ask.session_region(region)
    if not tenancy:
        raise AuthError(f"--auth {what}: the principal names no tenancy (set OCI_CLI_TENANCY)")
    if not region:
        raise AuthError(f"--auth {what}: the principal names no region (set OCI_CLI_REGION)")
    return OciSession(signer, {"tenancy": tenancy, "region": region}, tenancy, region, ask.service_endpoint)


def _instance_principal(ask: _Ask) -> OciSession:
    import oci

    try:
        signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner(**_instance_kwargs(ask))
    except Exception as exc:  # noqa: BLE001 - any failure means "not on an OCI instance"
        raise AuthError(
            "--auth instance_principal: cannot get a token from the instance metadata service "
            f"({_why(exc)}; this works only on an OCI compute instance)"
        ) from None
    return _principal_session(ask, signer, signer.tenancy_id, signer.region, "instance_principal")


def _instance_obo_user(ask: _Ask) -> OciSession:
    from scanner.sources.oci.signers import DelegationTokenFileSigner, TokenError

    config, where = _profile(ask, optional_file=bool(ask.env.get("OCI_CLI_DELEGATION_TOKEN_FILE")))
    token_file = config.get("delegation_token_file")
    if not token_file:
        raise AuthError(
            f"{where}: key 'delegation_token_file' is missing (--auth instance_obo_user reads "
            "the delegation token of a Cloud Shell profile; or set OCI_CLI_DELEGATION_TOKEN_FILE)"
        )
    path = Path(os.path.expanduser(token_file))
    try:
        signer = DelegationTokenFileSigner(
            path, f"{where}: delegation_token_file {_show(path)}", **_instance_kwargs(ask)
        )
    except TokenError as exc:
        raise AuthError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - the instance side failed
        raise AuthError(
            f"--auth instance_obo_user: cannot get a token from the instance metadata service ({_why(exc)})"
        ) from None
    return _principal_session(
        ask,
        signer,
        config.get("tenancy") or signer.tenancy_id,
        config.get("region") or signer.region,
        "instance_obo_user",
    )


def _resource_principal(ask: _Ask) -> OciSession:
    import oci

    if not ask.env.get("OCI_RESOURCE_PRINCIPAL_VERSION"):
        raise AuthError(
            "--auth resource_principal: OCI_RESOURCE_PRINCIPAL_VERSION is not set (resource "
            "principals exist inside OCI Functions, Data Flow, Container Instances...)"
        )
    try:
        signer = oci.auth.signers.get_resource_principals_signer()
    except Exception as exc:  # noqa: BLE001
        raise AuthError(
            f"--auth resource_principal: no resource principal in this environment ({_short(exc)})"
        ) from None
    tenancy = getattr(signer, "tenancy_id", None) or _claim(signer, "res_tenant")
    region = ask.env.get("OCI_RESOURCE_PRINCIPAL_REGION") or getattr(signer, "region", None)
    return _principal_session(ask, signer, tenancy, region, "resource_principal")


def _oke_workload_identity(ask: _Ask) -> OciSession:
    import oci

    if not ask.env.get("KUBERNETES_SERVICE_HOST"):
        raise AuthError(
            "--auth oke_workload_identity: KUBERNETES_SERVICE_HOST is not set (workload identity "
            "works in a pod of an enhanced OKE cluster)"
        )
    try:
        signer = oci.auth.signers.get_oke_workload_identity_resource_principal_signer(
            service_account_token_path=ask.env.get("OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH"),
            service_account_token=ask.env.get("OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_STRING"),
        )
    except Exception as exc:  # noqa: BLE001
        raise AuthError(
            f"--auth oke_workload_identity: no token from the OKE proxymux ({_why(exc)})"
        ) from None
    token = getattr(getattr(signer, "security_token", None), "get_jwt", lambda: {})()
    tenancy = token.get("res_tenant") or token.get("tenant")
    region = ask.env.get("OCI_RESOURCE_PRINCIPAL_REGION") or getattr(signer, "region", None)
    return _principal_session(ask, signer, tenancy, region, "oke_workload_identity")


def _claim(signer: Any, name: str) -> str | None:
    try:
        return signer.get_claim(name)
    except Exception:  # noqa: BLE001
        return None


def _show(text: str) -> str:
    """``text`` for a message: control characters escaped (names come from the environment)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in str(text))


def _why(exc: BaseException) -> str:
    """Why a metadata-service or token-exchange call failed, in a few words (the SDK's own
    exceptions carry dicts and usage hints)."""
    import oci

    if isinstance(exc, oci.exceptions.ServiceError):
        return f"HTTP {exc.status}"
    name = type(exc).__name__
    if "Timeout" in name:
        return "no answer in time"
    if "ConnectionError" in name or "NewConnectionError" in name:
        return "no answer"
    return _short(exc)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _show(text[:200])
