"""Every way of logging in (``--auth`` as the oci CLI has it), through the real ``oci`` SDK,
against the loopback API emulator behind the token services' witness (``emulator_auth``)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from live_helpers import write_config
from typer.testing import CliRunner

from scanner.cli import app
from scanner.sources.oci.auth import AuthError, config_path, make_session, profile_name, resolve_method
from scanner.sources.oci.collector import Collector
from tests.emulator import OciEmulator
from tests.emulator.token_services import TokenServices, new_key, pem_private

FAST_RETRY = {"max_attempts": 4, "base_sleep": 0.01, "max_wait": 0.05, "max_elapsed": 10}
CLEAN_ENV = (
    "OCI_CLI_AUTH",
    "OCI_CLI_PROFILE",
    "OCI_CONFIG_PROFILE",
    "OCI_CLI_CONFIG_FILE",
    "OCI_CONFIG_FILE",
    "OCI_CLI_REGION",
    "OCI_REGION",
    "OCI_CLI_USER",
    "OCI_CLI_TENANCY",
    "OCI_CLI_FINGERPRINT",
    "OCI_CLI_KEY_FILE",
    "OCI_CLI_KEY_CONTENT",
    "OCI_CLI_PASSPHRASE",
    "OCI_CLI_DELEGATION_TOKEN_FILE",
    "OCI_CLI_SECURITY_TOKEN_FILE",
    "OCI_CLI_FEDERATION_ENDPOINT",
    "OCI_METADATA_BASE_URL",
    "OCI_RESOURCE_PRINCIPAL_VERSION",
    "OCI_RESOURCE_PRINCIPAL_RPST",
    "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM",
    "OCI_RESOURCE_PRINCIPAL_REGION",
    "KUBERNETES_SERVICE_HOST",
    "OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH",
    "OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No OCI variable of the machine running the tests, and a home without ~/.oci."""
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


class Clock:
    """The time tokens are judged by, moved by the test (shared by witness and signer)."""

    def __init__(self, start: float = 1_900_000_000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def every(emulator: OciEmulator, calls: int, action) -> None:  # noqa: ANN001
    """Run ``action`` before every ``calls``-th API request (the audit going on meanwhile)."""
    inner = emulator.handle
    seen = [0]
    lock = threading.Lock()

    def handle(method, raw_path, headers, body):  # noqa: ANN001
        with lock:
            seen[0] += 1
            if seen[0] % calls == 0:
                action()
        return inner(method, raw_path, headers, body)

    emulator.handle = handle


def collect(session, emu: OciEmulator, **kwargs):  # noqa: ANN001
    session.timeout = (5.0, 10.0)
    return Collector(session, concurrency=kwargs.pop("concurrency", 4), retry=FAST_RETRY, **kwargs).collect()


def inventory(snapshot) -> list[tuple[str, str]]:  # noqa: ANN001
    return sorted((r.type, str(r.data.get("id") or r.data.get("name"))) for r in snapshot.resources)


@pytest.fixture
def reference(tenancy_doc, oci_config) -> list[tuple[str, str]]:  # noqa: ANN001
    """What an API-key audit of the example tenancy collects."""
    with OciEmulator(tenancy_doc) as emu:
        snapshot = collect(make_session("api_key", oci_config, None, emu.endpoint), emu)
    assert snapshot.errors == []
    return inventory(snapshot)


def api_requests(emu: OciEmulator) -> list:
    return [r for r in emu.requests if not r.path.startswith("/v1/")]


# --- choosing the method, file, profile and region --------------------------------------------


def test_auth_comes_from_the_option_then_oci_cli_auth_then_api_key(monkeypatch):
    assert resolve_method(None) == "api_key"
    monkeypatch.setenv("OCI_CLI_AUTH", "instance_obo_user")
    assert resolve_method(None) == "instance_obo_user"
    assert resolve_method("security_token") == "security_token"
    monkeypatch.setenv("OCI_CLI_AUTH", "password\x1b[31m")
    with pytest.raises(AuthError, match=r"OCI_CLI_AUTH=password\\x1b\[31m: unknown method"):
        resolve_method(None)


def test_config_file_and_profile_are_found_as_the_oci_cli_finds_them(monkeypatch, tmp_path):
    home = tmp_path / "home"
    assert config_path(None, {}) == (home / ".oci" / "config", "default")
    assert config_path(None, {"OCI_CONFIG_FILE": "/etc/oci/config"}) == (
        Path("/etc/oci/config"),
        "OCI_CONFIG_FILE",
    )
    (home / ".oraclebmc").mkdir(parents=True)
    (home / ".oraclebmc" / "config").write_text("[DEFAULT]\n")
    assert config_path(None, {})[0] == home / ".oraclebmc" / "config"
    (home / ".oci").mkdir()
    (home / ".oci" / "config").write_text("[DEFAULT]\n")
    # ~/.oci/config wins over OCI_CONFIG_FILE (the SDK's fallback), OCI_CLI_CONFIG_FILE over both
    assert config_path(None, {"OCI_CONFIG_FILE": "/etc/oci/config"})[0] == home / ".oci" / "config"
    env = {"OCI_CLI_CONFIG_FILE": "/x/config", "OCI_CONFIG_FILE": "/etc/oci/config"}
    assert config_path(None, env) == (Path("/x/config"), "OCI_CLI_CONFIG_FILE")
    assert config_path("/y/config", env) == (Path("/y/config"), "--config-file")
    assert profile_name(None, {}) == "DEFAULT"
    assert profile_name(None, {"OCI_CONFIG_PROFILE": "CS"}) == "CS"
    assert profile_name(None, {"OCI_CLI_PROFILE": "P", "OCI_CONFIG_PROFILE": "CS"}) == "P"
    assert profile_name("Q", {"OCI_CLI_PROFILE": "P"}) == "Q"


def test_names_from_the_environment_are_escaped_in_messages(monkeypatch, tmp_path):
    monkeypatch.setenv("OCI_CLI_CONFIG_FILE", str(tmp_path / "conf\x1b[2Jig"))
    with pytest.raises(AuthError) as err:
        make_session("api_key")
    text = str(err.value)
    assert "\x1b" not in text and "conf\\x1b[2Jig" in text and "(OCI_CLI_CONFIG_FILE) not found" in text


def test_region_of_the_first_calls(monkeypatch, tmp_path, api_key):
    config = write_config(tmp_path, api_key[0], "ocid1.tenancy.oc1..t", "eu-frankfurt-1")
    assert make_session("api_key", config).region == "eu-frankfurt-1"
    monkeypatch.setenv("OCI_REGION", "us-ashburn-1")  # the SDK's fallback: only without a region
    assert make_session("api_key", config).region == "eu-frankfurt-1"
    monkeypatch.setenv("OCI_CLI_REGION", "iad")  # the CLI's: over the profile, short names too
    assert make_session("api_key", config).region == "us-ashburn-1"
    monkeypatch.delenv("OCI_CLI_REGION")
    config.write_text(config.read_text().replace("region=eu-frankfurt-1\n", ""))
    assert make_session("api_key", config).region == "us-ashburn-1"
    monkeypatch.delenv("OCI_REGION")
    with pytest.raises(AuthError, match=r"key 'region' is missing \(or set OCI_CLI_REGION\)"):
        make_session("api_key", config)


def test_environment_alone_is_a_profile_and_its_key_is_never_echoed(
    monkeypatch, tenancy_doc, api_key, reference
):
    key_pem = api_key[0].read_text()
    monkeypatch.setenv("OCI_CLI_USER", "ocid1.user.oc1..ci")
    monkeypatch.setenv("OCI_CLI_TENANCY", tenancy_doc["tenancy_id"])
    monkeypatch.setenv("OCI_CLI_FINGERPRINT", "11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff")
    monkeypatch.setenv("OCI_CLI_REGION", tenancy_doc["home_region"])
    monkeypatch.setenv("OCI_CLI_KEY_CONTENT", key_pem)
    with OciEmulator(tenancy_doc, public_key_pem=api_key[1]) as emu:  # signatures verified
        snapshot = collect(make_session(service_endpoint=emu.endpoint), emu)
        assert {r.key_id for r in emu.requests} == {
            f"{tenancy_doc['tenancy_id']}/ocid1.user.oc1..ci/11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff"
        }
    assert snapshot.errors == [] and inventory(snapshot) == reference
    lines = key_pem.splitlines()
    broken = "\n".join(lines[:3] + lines[-1:]) + "\n"  # a truncated key
    monkeypatch.setenv("OCI_CLI_KEY_CONTENT", broken)
    with pytest.raises(AuthError) as err:
        make_session()
    assert "OCI_CLI_KEY_CONTENT cannot be loaded" in str(err.value) and "PRIVATE KEY" not in str(err.value)


def test_a_session_profile_asked_for_an_api_key_says_which_auth_to_use(tmp_path, api_key):
    config = tmp_path / "config"
    config.write_text(
        f"[DEFAULT]\nfingerprint=aa\ntenancy=ocid1.tenancy.oc1..t\nregion=eu-frankfurt-1\nkey_file={api_key[0]}\n"
        f"security_token_file={tmp_path / 'token'}\n"
    )
    with pytest.raises(AuthError, match="key 'user' is missing .*use --auth security_token"):
        make_session("api_key", config)


# --- instance principals and Cloud Shell ---------------------------------------------------------


@pytest.fixture
def services(tenancy_doc):  # noqa: ANN001
    with TokenServices(tenancy_doc["tenancy_id"], tenancy_doc["home_region"]) as found:
        yield found


def test_instance_principal_audit(monkeypatch, tenancy_doc, services, reference):
    monkeypatch.setenv("OCI_METADATA_BASE_URL", services.metadata_base_url)
    monkeypatch.setenv("OCI_CLI_FEDERATION_ENDPOINT", services.federation_endpoint)
    with services.guard(OciEmulator(tenancy_doc)) as emu:
        session = make_session("instance_principal", service_endpoint=emu.endpoint)
        assert (session.tenancy_id, session.region) == (tenancy_doc["tenancy_id"], tenancy_doc["home_region"])
        snapshot = collect(session, emu)
        keys = {r.key_id for r in emu.requests}
    assert snapshot.errors == [] and inventory(snapshot) == reference
    # every call was signed with a token the federation endpoint issued for the instance
    assert services.count("/v1/x509") == 1
    assert len(keys) == 1 and next(iter(keys))[3:] in services.issued


def test_instance_principal_off_an_instance_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("OCI_METADATA_BASE_URL", "http://127.0.0.1:9/opc/v2")  # nothing listens
    with pytest.raises(AuthError) as err:
        make_session("instance_principal")
    assert str(err.value).startswith(
        "--auth instance_principal: cannot get a token from the instance metadata"
    )
    assert "\n" not in str(err.value)


def test_cloud_shell_delegation_token_is_sent_and_reread_when_renewed(
    monkeypatch, tmp_path, tenancy_doc, services, reference
):
    token_file = tmp_path / "delegation_token"
    token_file.write_text(services.delegation_token() + "\n")
    config = tmp_path / "config"
    config.write_text(
        f"[DEFAULT]\ndelegation_token_file={token_file}\ntenancy={tenancy_doc['tenancy_id']}\n"
        f"region={tenancy_doc['home_region']}\n"
    )
    # Cloud Shell's environment: the CLI's variables point at its config and method
    monkeypatch.setenv("OCI_CLI_AUTH", "instance_obo_user")
    monkeypatch.setenv("OCI_CLI_CONFIG_FILE", str(config))
    monkeypatch.setenv("OCI_METADATA_BASE_URL", services.metadata_base_url)
    monkeypatch.setenv("OCI_CLI_FEDERATION_ENDPOINT", services.federation_endpoint)
    first = token_file.read_text().strip()
    renewed: list[str] = []

    def renew() -> None:
        if not renewed:
            renewed.append(services.delegation_token())
            token_file.write_text(renewed[0])

    with services.guard(OciEmulator(tenancy_doc)) as emu:
        every(emu, 20, renew)
        session = make_session(service_endpoint=emu.endpoint)
        snapshot = collect(session, emu, concurrency=1)
    assert session.method == "instance_obo_user"
    assert snapshot.errors == [] and inventory(snapshot) == reference
    assert set(services.obo_seen) == {first, renewed[0]}
    assert len(services.obo_seen) == len(api_requests(emu))


def test_cloud_shell_without_a_delegation_token_file_says_so(tmp_path, tenancy_doc):
    config = tmp_path / "config"
    config.write_text(f"[DEFAULT]\ntenancy={tenancy_doc['tenancy_id']}\nregion=eu-frankfurt-1\n")
    with pytest.raises(AuthError, match=r"\[DEFAULT\]: key 'delegation_token_file' is missing"):
        make_session("instance_obo_user", config)


# --- resource principals and OKE workload identity ------------------------------------------------


def test_resource_principal_from_the_environment_and_a_renewed_token_file(
    monkeypatch, tmp_path, tenancy_doc, reference
):
    clock = Clock()
    with TokenServices(tenancy_doc["tenancy_id"], tenancy_doc["home_region"], clock=clock) as services:
        key = new_key()
        rpst = tmp_path / "rpst"
        rpst.write_text(services.resource_principal_token(key.public_key()))
        pem = tmp_path / "key.pem"
        pem.write_text(pem_private(key))
        monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
        monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", str(rpst))  # absolute path: re-read on 401
        monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", str(pem))
        monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", tenancy_doc["home_region"])

        def expire_and_renew() -> None:  # the platform writes a new token as the old one expires
            clock.advance(services.token_ttl + 1)
            rpst.write_text(services.resource_principal_token(key.public_key()))

        with services.guard(OciEmulator(tenancy_doc)) as emu:
            every(emu, 25, expire_and_renew)
            session = make_session("resource_principal", service_endpoint=emu.endpoint)
            assert session.tenancy_id == tenancy_doc["tenancy_id"]
            snapshot = collect(session, emu, concurrency=1)
        refused = [r for r in services.requests if r[2] == 401]
    assert refused, "the old token was refused at least once"
    assert snapshot.errors == [] and inventory(snapshot) == reference


def test_resource_principal_needs_its_environment():
    with pytest.raises(AuthError, match="OCI_RESOURCE_PRINCIPAL_VERSION is not set"):
        make_session("resource_principal")


def test_oke_workload_identity_through_the_proxymux(monkeypatch, tmp_path, tenancy_doc, reference):
    import oci.auth.signers.resource_principals_signer as factory

    clock = Clock()
    with TokenServices(tenancy_doc["tenancy_id"], tenancy_doc["home_region"], clock=clock) as services:
        services.start_proxymux()
        # The SDK fixes the proxymux port (12250); the witness listens on a free one.
        monkeypatch.setattr(factory, "OCI_KUBERNETES_PROXYMUX_SERVICE_PORT", str(services.proxymux_port))
        sa_token = tmp_path / "token"
        sa_token.write_text(services.service_account_token)
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH", str(services.proxymux_ca_file))
        monkeypatch.setenv("OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH", str(sa_token))
        monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", tenancy_doc["home_region"])
        with services.guard(OciEmulator(tenancy_doc)) as emu:
            every(emu, 30, lambda: clock.advance(services.token_ttl + 1))
            session = make_session("oke_workload_identity", service_endpoint=emu.endpoint)
            snapshot = collect(session, emu, concurrency=1)
        exchanges = services.count("/resourcePrincipalSessionTokens")
    assert session.tenancy_id == tenancy_doc["tenancy_id"]
    assert snapshot.errors == [] and inventory(snapshot) == reference
    assert exchanges >= 2  # the expired token was exchanged again mid-audit


# --- session tokens (oci session authenticate) -----------------------------------------------------


def session_profile(
    tmp_path: Path, services: TokenServices, tenancy_doc: dict, ttl: float | None = None
) -> Path:
    """What ``oci session authenticate`` leaves: a session key, a token and a profile."""
    key = new_key()
    (tmp_path / "oci_api_key.pem").write_text(pem_private(key))
    (tmp_path / "token").write_text(services.session_token(key.public_key(), ttl=ttl))
    config = tmp_path / "config"
    config.write_text(
        f"[SESSION]\nfingerprint=aa:bb\nkey_file={tmp_path / 'oci_api_key.pem'}\n"
        f"tenancy={tenancy_doc['tenancy_id']}\nregion={tenancy_doc['home_region']}\n"
        f"security_token_file={tmp_path / 'token'}\n"
    )
    return config


def test_security_token_is_refreshed_when_it_expires_mid_audit(tmp_path, tenancy_doc, reference):
    clock = Clock()
    # Ten-minute tokens (renewed with five minutes left); the audit's clock moves four minutes
    # every ten calls, so the audit outlives several tokens.
    with TokenServices(
        tenancy_doc["tenancy_id"], tenancy_doc["home_region"], clock=clock, token_ttl=600
    ) as services:
        config = session_profile(tmp_path, services, tenancy_doc)
        first = (tmp_path / "token").read_text()
        with services.guard(OciEmulator(tenancy_doc)) as emu:
            every(emu, 10, lambda: clock.advance(240))
            session = make_session("security_token", config, "SESSION", emu.endpoint, clock=clock)
            snapshot = collect(session, emu, concurrency=1)
        refused = [r for r in services.requests if r[2] == 401]
        refreshes = services.count("/v1/authentication/refresh")
    assert snapshot.errors == [] and inventory(snapshot) == reference
    assert refused == []  # renewed before expiry: no call was ever refused
    assert refreshes >= 3 and session.signer.refreshes == refreshes
    # the profile keeps working: the newest token was written back, as `oci session refresh` does
    assert (tmp_path / "token").read_text() == session.signer.token != first


def test_a_session_past_its_end_is_reported_with_what_to_run(tmp_path, tenancy_doc):
    clock = Clock()
    with TokenServices(
        tenancy_doc["tenancy_id"], tenancy_doc["home_region"], clock=clock, token_ttl=600, session_ttl=1200
    ) as services:
        config = session_profile(tmp_path, services, tenancy_doc)
        with services.guard(OciEmulator(tenancy_doc)) as emu:
            every(emu, 10, lambda: clock.advance(240))
            session = make_session("security_token", config, "SESSION", emu.endpoint, clock=clock)
            snapshot = collect(session, emu, concurrency=1)
    assert snapshot.errors, "calls after the session's end failed"
    message = snapshot.errors[0].message
    assert "security_token_file" in message and "expired and cannot be refreshed" in message
    assert "oci session authenticate --profile SESSION" in message
    assert "token" not in snapshot.to_dict()["collected"]


def test_an_expired_session_token_at_start_is_one_line(tmp_path, tenancy_doc):
    clock = Clock()
    with TokenServices(tenancy_doc["tenancy_id"], tenancy_doc["home_region"], clock=clock) as services:
        config = session_profile(tmp_path, services, tenancy_doc)
        clock.advance(services.token_ttl + 5)
        with services.guard(OciEmulator(tenancy_doc)) as emu:
            with pytest.raises(AuthError) as err:
                make_session("security_token", config, "SESSION", emu.endpoint, clock=clock)
    text = str(err.value)
    assert "expired and cannot be refreshed" in text and "\n" not in text
    assert (tmp_path / "token").read_text() not in text


def test_security_token_sessions_in_worker_processes(tmp_path, tenancy_doc, reference, monkeypatch):
    with TokenServices(tenancy_doc["tenancy_id"], tenancy_doc["home_region"]) as services:
        config = session_profile(tmp_path, services, tenancy_doc)
        monkeypatch.setenv("OCI_CLI_PROFILE", "SESSION")
        with services.guard(OciEmulator(tenancy_doc)) as emu:
            session = make_session("security_token", config, None, emu.endpoint)
            snapshot = Collector(session, concurrency=4, processes=2, session_spec=session.spec).collect()
    assert snapshot.errors == [] and inventory(snapshot) == reference


# --- the command line -------------------------------------------------------------------------------


def test_cli_takes_the_method_from_oci_cli_auth(monkeypatch, tmp_path, tenancy_doc, services):
    monkeypatch.chdir(tmp_path)
    with services.guard(OciEmulator(tenancy_doc)) as emu:
        env = {
            "OCI_CLI_AUTH": "instance_principal",
            "OCI_METADATA_BASE_URL": services.metadata_base_url,
            "OCI_CLI_FEDERATION_ENDPOINT": services.federation_endpoint,
        }
        res = CliRunner().invoke(
            app,
            ["audit", "--service-endpoint", emu.endpoint, "--snapshot-out", "inv.json", "--format", "json"],
            env=env,
        )
    assert res.exit_code == 1, res.output
    assert json.loads((tmp_path / "inv.json").read_text())["tenancy_id"] == tenancy_doc["tenancy_id"]
    res = CliRunner().invoke(app, ["audit"], env={"OCI_CLI_AUTH": "bogus"})
    assert res.exit_code == 2 and "OCI_CLI_AUTH=bogus: unknown method" in res.output
    assert len(res.output.strip().splitlines()) == 1
    res = CliRunner().invoke(app, ["audit", "--auth", "oke_workload_identity"])
    assert res.exit_code == 2 and "KUBERNETES_SERVICE_HOST is not set" in res.output
