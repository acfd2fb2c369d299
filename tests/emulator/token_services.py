"""A loopback witness of the services that issue OCI tokens, for tests of every auth method.

Written from the services' documented behaviour and the SDK's requests, never from ocisec's
signers: it serves, on 127.0.0.1,

- the instance metadata service v2 (``/opc/v2/instance/region``, ``/opc/v2/identity/cert.pem``,
  ``key.pem``, ``intermediate.pem``; only with ``Authorization: Bearer Oracle``), for
  ``OCI_METADATA_BASE_URL``;
- the auth service's X.509 federation (``POST /v1/x509``): the request must be signed by the
  instance's leaf certificate key (``keyId`` ``TENANCY/fed-x509/SHA1-FINGERPRINT``) and carry that
  certificate; the token binds the session public key it was sent (``jwk`` claim);
- the session refresh (``POST /v1/authentication/refresh``): signed with the current, unexpired
  token, before the session's ``sess_exp``;
- on a second, TLS listener, the OKE proxymux (``POST /resourcePrincipalSessionTokens``): a
  bearer service-account token in, a base64 JSON ``{"token": "ST$..."}`` out.

Tokens are RS256 JWTs signed by the witness's own issuer key, with ``iat``/``exp`` from
``clock`` (tests move it). ``principal_key`` is what the API emulator asks about a request
signed with ``keyId="ST$<token>"``: the token's session key, or why it is refused (expired,
not issued here). Delegation tokens (``opc-obo-token``) are checked the same way.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

METADATA_HEADER = "Bearer Oracle"
Reply = tuple[int, dict[str, str], bytes]


def new_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_public(key: Any) -> str:
    """The PEM of a key's public half."""
    public = key.public_key() if hasattr(key, "public_key") else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def pem_private(key: rsa.RSAPrivateKey) -> str:
    """The unencrypted PKCS#8 PEM of a private key."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def jwk_of(public_key: Any) -> dict[str, str]:
    """A public RSA key as the ``jwk`` claim OCI tokens carry."""
    numbers = public_key.public_numbers()
    return {
        "kid": "asw",
        "n": _b64url(_int_bytes(numbers.n)),
        "e": _b64url(_int_bytes(numbers.e)),
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
    }


def key_of_jwk(jwk: dict[str, str]) -> Any:
    """The RSA public key of a ``jwk`` claim."""
    n = int.from_bytes(_unb64url(jwk["n"]), "big")
    e = int.from_bytes(_unb64url(jwk["e"]), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def _load_public(pem_body: str) -> Any:
    """A public key sent as PEM, with or without its armour lines (the SDK strips them)."""
    body = re.sub(r"-----[^-]+-----|\s", "", pem_body)
    pem = "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n"
    return serialization.load_pem_public_key(pem.encode())


def verify_signature(method: str, raw_path: str, headers: dict[str, str], body: bytes, key: Any) -> bool:
    """An OCI request signature (draft-cavage HTTP signatures, rsa-sha256) verified with
    ``key``: every signed header, and the body digest when ``x-content-sha256`` is signed."""
    auth = headers.get("authorization", "")
    fields = dict(re.findall(r'(\w+)="([^"]*)"', auth))
    names = fields.get("headers", "").split()
    if not names or "(request-target)" not in names or "date" not in names:
        return False
    if "x-content-sha256" in names:
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if headers.get("x-content-sha256") != digest:
            return False
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {raw_path}")
        else:
            lines.append(f"{name}: {headers.get(name, '')}")
    try:
        key.verify(
            base64.b64decode(fields.get("signature", "")),
            "\n".join(lines).encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def key_id_of(headers: dict[str, str]) -> str | None:
    """The ``keyId`` of a request's signature."""
    m = re.search(r'keyId="([^"]+)"', headers.get("authorization", ""))
    return m.group(1) if m else None


@dataclass
class InstanceIdentity:
    """What the metadata service hands an instance: a leaf certificate naming its tenancy
    (``OU=opc-tenant:...``), its key, and the intermediate CA that signed it."""

    instance_id: str
    leaf_key: rsa.RSAPrivateKey
    leaf_pem: str
    intermediate_pem: str

    @property
    def fingerprint(self) -> str:
        """SHA-1 fingerprint, colon-separated upper hex (as in the federation keyId)."""
        cert = x509.load_pem_x509_certificate(self.leaf_pem.encode())
        return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA1()))  # noqa: S303 - the protocol's


def _certificate(subject: x509.Name, issuer: x509.Name, public: Any, signing: Any, ca: bool, sans=()) -> str:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(signing, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


class TokenServices:
    """The token-issuing services (see the module); a context manager like ``OciEmulator``."""

    def __init__(
        self,
        tenancy_id: str,
        region: str,
        *,
        token_ttl: float = 3600.0,
        session_ttl: float = 86400.0,
        service_account_token: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tenancy_id = tenancy_id
        self.region = region
        self.token_ttl = token_ttl
        self.session_ttl = session_ttl
        self.clock = clock
        self._issuer = new_key()
        self.instance = self._instance_identity()
        self.requests: list[tuple[str, str, int]] = []
        self.issued: list[str] = []
        self.obo_seen: list[str] = []  # delegation tokens of accepted API requests
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None
        self.proxymux_ca_file: Path | None = None
        self.proxymux_port: int | None = None
        # A pod's projected service-account token is a JWT too (the SDK reads its expiry).
        self.service_account_token = service_account_token or self.issue(
            self._issuer.public_key(), sub="system:serviceaccount:ocisec:auditor", iss="kubernetes"
        )

    # --- tokens ------------------------------------------------------------------------------
    def issue(self, public_key: Any, ttl: float | None = None, **claims: Any) -> str:
        """A token binding ``public_key`` (``jwk``), valid ``ttl`` seconds from ``clock``."""
        now = self.clock()
        body = {
            "iss": "authService.oracle.com",
            "aud": "oci",
            "iat": int(now),
            "exp": int(now + (self.token_ttl if ttl is None else ttl)),
            "jti": str(uuid.uuid4()),
            "tenant": self.tenancy_id,
            "jwk": json.dumps(jwk_of(public_key)),
            **claims,
        }
        head = _b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "asw"}).encode())
        payload = _b64url(json.dumps(body, separators=(",", ":")).encode())
        signature = self._issuer.sign(f"{head}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        token = f"{head}.{payload}.{_b64url(signature)}"
        with self._lock:
            self.issued.append(token)
        return token

    def session_token(
        self, public_key: Any, user_id: str = "ocid1.user.oc1..auditor", ttl: float | None = None
    ) -> str:
        """What ``oci session authenticate`` writes to ``security_token_file``."""
        now = self.clock()
        return self.issue(
            public_key, ttl, sub=user_id, ptype="user", ttype="login", sess_exp=int(now + self.session_ttl)
        )

    def resource_principal_token(self, public_key: Any, ttl: float | None = None) -> str:
        """An RPST as ``OCI_RESOURCE_PRINCIPAL_RPST`` holds it (resource principals v2.2)."""
        return self.issue(
            public_key,
            ttl,
            sub="ocid1.fnfunc.oc1..auditfn",
            ptype="resource",
            res_type="fnfunc",
            res_id="ocid1.fnfunc.oc1..auditfn",
            res_tenant=self.tenancy_id,
            res_compartment=self.tenancy_id,
        )

    def delegation_token(
        self, user_id: str = "ocid1.user.oc1..cloudshelluser", ttl: float | None = None
    ) -> str:
        """A delegation token (Cloud Shell's ``delegation_token_file``): the user it stands for."""
        return self.issue(self._issuer.public_key(), ttl, sub=user_id, ptype="user", ttype="delegation")

    def claims(self, token: str) -> tuple[dict[str, Any] | None, str]:
        """The claims of a token issued here and valid now, else None and why."""
        try:
            head, payload, signature = token.split(".")
            self._issuer.public_key().verify(
                _unb64url(signature), f"{head}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            found = json.loads(_unb64url(payload))
        except (ValueError, InvalidSignature):
            return None, "the token was not issued by the auth service"
        if float(found.get("exp", 0)) <= self.clock():
            return None, "the token has expired"
        return found, ""

    def principal_key(self, key_id: str) -> tuple[Any, str]:
        """For a request signed with ``keyId="ST$<token>"``: the session public key to verify
        the signature with, or None and why the token is refused."""
        found, problem = self.claims(key_id[3:] if key_id.startswith("ST$") else "")
        if found is None:
            return None, problem
        try:
            return key_of_jwk(json.loads(found["jwk"])), ""
        except (KeyError, ValueError, TypeError):
            return None, "the token binds no key"

    # --- HTTP -------------------------------------------------------------------------------
    def handle(self, method: str, path: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        """One request (``path`` without a region prefix; ``raw_path`` as signed)."""
        reply = self._route(method, path.split("?", 1)[0], raw_path, headers, body)
        with self._lock:
            self.requests.append((method, path, reply[0]))
        return reply

    def _route(self, method: str, path: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        if path.startswith("/opc/v2/"):
            return self._metadata(method, path, headers)
        if method == "POST" and path == "/v1/x509":
            return self._federate(raw_path, headers, body)
        if method == "POST" and path == "/v1/authentication/refresh":
            return self._refresh(raw_path, headers, body)
        if method == "POST" and path == "/resourcePrincipalSessionTokens":
            return self._proxymux(headers, body)
        return _json(404, {"code": "NotFound", "message": "no such endpoint"})

    def _metadata(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        if headers.get("authorization") != METADATA_HEADER:
            return 401, {"content-type": "text/plain"}, b"Authorization header required"
        documents = {
            "/opc/v2/instance/region": self.region,
            "/opc/v2/identity/cert.pem": self.instance.leaf_pem,
            "/opc/v2/identity/key.pem": pem_private(self.instance.leaf_key),
            "/opc/v2/identity/intermediate.pem": self.instance.intermediate_pem,
        }
        if method != "GET" or path not in documents:
            return 404, {"content-type": "text/plain"}, b"Not Found"
        return 200, {"content-type": "text/plain"}, documents[path].encode()

    def _federate(self, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        expected = f"{self.tenancy_id}/fed-x509/{self.instance.fingerprint}"
        if key_id_of(headers) != expected or not verify_signature(
            "POST", raw_path, headers, body, self.instance.leaf_key.public_key()
        ):
            return _json(
                401, {"code": "NotAuthenticated", "message": "the request is not signed by the certificate"}
            )
        try:
            request = json.loads(body)
            sent = re.sub(r"-----[^-]+-----|\s", "", request["certificate"])
            session_key = _load_public(request["publicKey"])
        except (ValueError, KeyError, TypeError):
            return _json(400, {"code": "InvalidParameter", "message": "certificate and publicKey expected"})
        if sent != re.sub(r"-----[^-]+-----|\s", "", self.instance.leaf_pem):
            return _json(401, {"code": "NotAuthenticated", "message": "unknown certificate"})
        token = self.issue(
            session_key,
            sub=self.instance.instance_id,
            ptype="instance",
            **{"opc-tenant": self.tenancy_id, "opc-instance": self.instance.instance_id},
        )
        return _json(200, {"token": token})

    def _refresh(self, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        key_id = key_id_of(headers) or ""
        key, problem = self.principal_key(key_id)
        if key is None or not verify_signature("POST", raw_path, headers, body, key):
            return _json(401, {"code": "NotAuthenticated", "message": problem or "bad signature"})
        found, _ = self.claims(key_id[3:])
        try:
            current = json.loads(body)["currentToken"]
        except (ValueError, KeyError, TypeError):
            return _json(400, {"code": "InvalidParameter", "message": "currentToken expected"})
        if current != key_id[3:] or found is None or found.get("ttype") != "login":
            return _json(401, {"code": "NotAuthenticated", "message": "not a session token"})
        session_end = float(found.get("sess_exp", 0))
        now = self.clock()
        if session_end <= now:
            return _json(401, {"code": "NotAuthenticated", "message": "the session has ended"})
        token = self.issue(
            key,
            min(self.token_ttl, session_end - now),
            sub=found.get("sub"),
            ptype="user",
            ttype="login",
            sess_exp=int(session_end),
        )
        return _json(200, {"token": token})

    def _proxymux(self, headers: dict[str, str], body: bytes) -> Reply:
        if headers.get("authorization") != f"Bearer {self.service_account_token}":
            return _json(401, {"code": "NotAuthenticated", "message": "service account token refused"})
        try:
            pod_key = _load_public(json.loads(body)["podKey"])
        except (ValueError, KeyError, TypeError):
            return _json(400, {"code": "InvalidParameter", "message": "podKey expected"})
        token = self.issue(
            pod_key,
            sub="ocid1.cluster.oc1..auditcluster/ocisec/ocisec-auditor",
            ptype="resource",
            res_type="workload",
            res_tenant=self.tenancy_id,
            res_compartment=self.tenancy_id,
        )
        payload = base64.b64encode(json.dumps({"token": "ST$" + token}).encode())
        return 200, {"content-type": "application/json"}, payload

    # --- in front of the API emulator ----------------------------------------------------------
    def guard(self, emulator: Any) -> Any:
        """Stand in front of ``emulator`` (an ``OciEmulator``), as OCI's authentication does
        in front of every service: a request signed with ``keyId="ST$<token>"`` passes only
        with a token issued here and unexpired, signed with the key the token binds; an
        ``opc-obo-token`` must be a valid delegation token; ``/REGION/v1/...`` reaches the
        auth service (federation, refresh). Other requests go on unchanged. Returns the
        emulator."""
        inner = emulator.handle

        def handle(method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], Any]:
            headers = {k.lower(): v for k, v in dict(headers).items()}
            path = "/" + raw_path.lstrip("/").partition("/")[2]
            if path.startswith("/v1/"):
                status, out, data = self.handle(method, path, raw_path, headers, body)
                return status, out, json.loads(data or b"null")
            key_id = key_id_of(headers) or ""
            signed_path = headers.get("x-emulator-signed-path", raw_path)  # an identity domain's host
            if key_id.startswith("ST$"):
                key, problem = self.principal_key(key_id)
                if key is None or not verify_signature(method, signed_path, headers, body, key):
                    self._note(method, path, 401)
                    return 401, {}, {"code": "NotAuthenticated", "message": problem or "bad signature"}
                obo = headers.get("opc-obo-token")
                if obo is not None:
                    found, problem = self.claims(obo)
                    if found is None or found.get("ttype") != "delegation":
                        self._note(method, path, 401)
                        return (
                            401,
                            {},
                            {"code": "NotAuthenticated", "message": problem or "not a delegation token"},
                        )
                    with self._lock:
                        self.obo_seen.append(obo)
            return inner(method, raw_path, headers, body)

        emulator.handle = handle
        return emulator

    def _note(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))

    # --- lifecycle -----------------------------------------------------------------------------
    def _instance_identity(self) -> InstanceIdentity:
        ca_key, leaf_key = new_key(), new_key()
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PKISVC Identity Intermediate r2")])
        instance_id = "ocid1.instance.oc1.emulated..auditvm"
        leaf_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, instance_id),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "opc-certtype:instance"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"opc-tenant:{self.tenancy_id}"),
            ]
        )
        return InstanceIdentity(
            instance_id,
            leaf_key,
            _certificate(leaf_name, ca_name, leaf_key.public_key(), ca_key, False),
            _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, True),
        )

    def start(self) -> TokenServices:
        """Listen on an ephemeral port of 127.0.0.1 (metadata, federation, refresh)."""
        self._servers.append(self._serve())
        return self

    def start_proxymux(self) -> TokenServices:
        """Also listen with TLS (the proxymux is HTTPS), with a certificate for 127.0.0.1 whose
        CA is written to ``proxymux_ca_file`` (``OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH``)."""
        import ipaddress

        self._tls_dir = tempfile.TemporaryDirectory(prefix="ocisec-proxymux-")
        folder = Path(self._tls_dir.name)
        ca_key, server_key = new_key(), new_key()
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "emulated kubernetes CA")])
        server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "proxymux")])
        ca_pem = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, True)
        server_pem = _certificate(
            server_name,
            ca_name,
            server_key.public_key(),
            ca_key,
            False,
            sans=(x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")),
        )
        self.proxymux_ca_file = folder / "ca.crt"
        self.proxymux_ca_file.write_text(ca_pem)
        (folder / "server.pem").write_text(server_pem + pem_private(server_key))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(folder / "server.pem")
        server = self._serve(context)
        self.proxymux_port = server.server_address[1]
        self._servers.append(server)
        return self

    def _serve(self, tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
        services = self

        class Handler(_Handler):
            owner = services

        server = _Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, name="oci-token-services", daemon=True).start()
        return server

    def stop(self) -> None:
        """Stop listening."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
        if self._tls_dir is not None:
            self._tls_dir.cleanup()
            self._tls_dir = None

    def __enter__(self) -> TokenServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` of the plain listener."""
        assert self._servers, "token services not started"
        return f"http://127.0.0.1:{self._servers[0].server_address[1]}"

    @property
    def metadata_base_url(self) -> str:
        """The value for ``OCI_METADATA_BASE_URL``."""
        return self.base + "/opc/v2"

    @property
    def federation_endpoint(self) -> str:
        """The value for ``OCI_CLI_FEDERATION_ENDPOINT``."""
        return self.base + "/v1/x509"

    def count(self, path: str, status: int = 200) -> int:
        """How many requests to ``path`` got ``status``."""
        with self._lock:
            return sum(1 for _, p, s in self.requests if p == path and s == status)


def _json(status: int, payload: Any) -> Reply:
    return status, {"content-type": "application/json"}, json.dumps(payload).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    owner: TokenServices
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        return

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, out_headers, data = self.owner.handle(self.command, self.path, self.path, headers, body)
        except Exception as exc:  # noqa: BLE001 - a witness bug is a 500 the test sees, not a hang
            status, out_headers, data = _json(
                500, {"code": "EmulatorError", "message": f"{type(exc).__name__}: {exc}"}
            )
        self.send_response(status)
        for k, v in out_headers.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve  # noqa: N815
