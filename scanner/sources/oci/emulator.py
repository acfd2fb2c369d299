"""A loopback emulator of the OCI read APIs the collector calls, for tests and benchmarks.

``OciEmulator(inventory)`` serves, on 127.0.0.1, every endpoint in ``specs.SPECS`` (plus region
subscriptions, availability domains, compartments, IAM lists, Resource Search and the vault
management endpoints) from an inventory document in snapshot format. Point the real SDK at it
with ``service_endpoint=emulator.endpoint.replace("{region}", region)`` (the first path segment
is the region).

It behaves like the service where the collector's correctness depends on it:

- every request must be signed (``Authorization: Signature version="1",keyId="...",...``); with
  ``public_key_pem`` the RSA-SHA256 signature is verified over the signed headers, else 401;
- lists page with ``limit``/``page`` and the ``opc-next-page`` header (``page_size``);
- ``latency`` seconds per call; ``faults`` inject 429 (with ``retry-after``), 500s and stalls,
  a number of times or forever, per path fragment and region;
- every request is recorded (``requests``), so tests assert that no write call was made.

Models are written in the wire format (camelCase) using the SDK models' own attribute maps.
"""

from __future__ import annotations

import base64
import importlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from scanner.sources.oci.specs import SPECS

NAMESPACE = "bankns"
_SEARCH_TYPE = {s.type: s.search_type for s in SPECS if s.search_type}
_GET_PATHS = {s.path: s.type for s in SPECS if s.path and s.scope == "search" and s.path != "/n"}


@dataclass
class Fault:
    """Injected misbehaviour: requests whose path contains ``path`` (and in ``region``, when
    given) get ``status`` (with ``retry_after`` seconds for 429) or are held ``stall`` seconds
    first; ``times`` requests are affected, then the fault is spent (None: forever)."""

    path: str = ""
    region: str | None = None
    status: int | None = None
    retry_after: float | None = None
    stall: float | None = None
    times: int | None = 1
    hits: int = 0

    def take(self, region: str, path: str) -> bool:
        """True (and counted) when this fault applies to the request."""
        if self.path not in path or (self.region and self.region != region):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True


@dataclass
class Recorded:
    """One request as the emulator saw it."""

    method: str
    region: str
    path: str
    query: dict[str, list[str]]
    key_id: str | None
    status: int


@dataclass
class _Index:
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_type: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    buckets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


class OciEmulator:
    """The emulator; use as a context manager or ``start()``/``stop()``."""

    def __init__(
        self,
        inventory: dict[str, Any],
        *,
        latency: float = 0.0,
        page_size: int = 100,
        public_key_pem: bytes | None = None,
        faults: list[Fault] | None = None,
    ) -> None:
        self.doc = inventory
        self.latency = latency
        self.page_size = page_size
        self.faults = list(faults or [])
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._public_key = None
        if public_key_pem is not None:
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            self._public_key = load_pem_public_key(public_key_pem)
        self._index = _build_index(inventory)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._wire_cache: dict[int, Any] = {}

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> OciEmulator:
        """Listen on an ephemeral port of 127.0.0.1 in a background thread."""
        emulator = self

        class Handler(_Handler):
            owner = emulator

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="oci-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OciEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        assert self._server is not None, "emulator not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def endpoint(self) -> str:
        """Service endpoint template for every client: ``http://127.0.0.1:PORT/{region}``."""
        return self.base + "/{region}"

    def writes(self) -> list[Recorded]:
        """Requests that were not reads (anything but GET, and POST other than the search)."""
        return [
            r
            for r in self.requests
            if not (r.method == "GET" or (r.method == "POST" and r.path == "/20180409/resources"))
        ]

    # --- request handling --------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Route one request; returns status, headers and a JSON-able body."""
        split = urlsplit(raw_path)
        parts = split.path.split("/", 2)
        region = unquote(parts[1]) if len(parts) > 1 else ""
        path = "/" + (parts[2] if len(parts) > 2 else "")
        query = parse_qs(split.query)
        status, out_headers, payload = self._dispatch(method, region, path, query, headers, body, raw_path)
        key_id = _key_id(headers.get("authorization", ""))
        with self._lock:
            self.requests.append(Recorded(method, region, path, query, key_id, status))
        return status, out_headers, payload

    def _dispatch(self, method, region, path, query, headers, body, raw_path):  # noqa: ANN001, C901
        if self.latency:
            time.sleep(self.latency)
        auth = headers.get("authorization", "")
        if not auth.startswith("Signature ") or not _key_id(auth) or 'signature="' not in auth:
            return _error(
                401,
                "NotAuthenticated",
                "The required information to complete authentication was not provided.",
            )
        if self._public_key is not None and not self._verify(method, raw_path, headers, auth):
            return _error(401, "NotAuthenticated", "The signature does not verify.")
        for fault in self.faults:
            with self._lock:
                hit = fault.take(region, path)
            if not hit:
                continue
            if fault.stall:
                time.sleep(fault.stall)
            if fault.status:
                extra = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
                code = "TooManyRequests" if fault.status == 429 else "InternalServerError"
                status, hdrs, payload = _error(fault.status, code, "injected by the emulator")
                return status, {**hdrs, **extra}, payload
        if region not in self.doc.get("regions", {}):
            return _error(404, "NotAuthorizedOrNotFound", f"unknown region {region}")
        if method == "POST" and path == "/20180409/resources":
            return self._search(region, query, body)
        if method != "GET":
            return _error(405, "NotAllowed", "the emulator serves read calls only")
        return self._get(region, path, query)

    def _verify(self, method: str, raw_path: str, headers: Any, auth: str) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        fields = dict(re.findall(r'(\w+)="([^"]*)"', auth))
        lines = []
        for name in fields.get("headers", "").split():
            if name == "(request-target)":
                lines.append(f"(request-target): {method.lower()} {raw_path}")
            else:
                lines.append(f"{name}: {headers.get(name, '')}")
        try:
            self._public_key.verify(  # type: ignore[union-attr]
                base64.b64decode(fields.get("signature", "")),
                "\n".join(lines).encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    def _page(
        self, items: list[Any], query: dict[str, list[str]], model: str, cache: bool = True
    ) -> tuple[int, dict[str, str], Any]:
        start = int((query.get("page") or ["0"])[0] or 0)
        size = min(int((query.get("limit") or [self.page_size])[0]), self.page_size)
        chunk = items[start : start + size]
        headers = {"opc-next-page": str(start + size)} if start + size < len(items) else {}
        return 200, headers, [self._wire(item, model, cache) for item in chunk]

    def _wire(self, item: Any, model: str, cache: bool = True) -> Any:
        """``item`` in the wire format; cached when it is an object held by the inventory (the
        cache is keyed by identity, so never for dicts made per request)."""
        module, _, name = model.rpartition(".")
        if not cache:
            return to_wire(self._patched(item), name, module)
        key = id(item)
        cached = self._wire_cache.get(key)
        if cached is None:
            cached = self._wire_cache[key] = to_wire(self._patched(item), name, module)
        return cached

    def _patched(self, data: Any) -> Any:
        if isinstance(data, dict) and "management_endpoint" in data:
            return dict(data, management_endpoint=f"{self.base}/{self._region_of(data)}/kms/{data['id']}")
        return data

    def _region_of(self, data: dict[str, Any]) -> str:
        entry = self._index.by_id.get(data.get("id", ""))
        return entry["region"] if entry else self.doc.get("home_region", "")

    def _search(
        self, region: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        try:
            details = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return _error(400, "InvalidParameter", "body is not JSON")
        m = re.match(r"(?is)^\s*query\s+(.+?)\s+resources\b", details.get("query", ""))
        if details.get("type") != "Structured" or not m:
            return _error(400, "InvalidParameter", "structured query expected")
        wanted = {t.strip().lower() for t in m.group(1).split(",")}
        summaries = []
        for type_, search_type in _SEARCH_TYPE.items():
            if search_type.lower() not in wanted:
                continue
            for entry in self._index.by_type.get((type_, region), []):
                data = entry["data"]
                summaries.append(
                    {
                        "resource_type": search_type,
                        "identifier": data.get("id"),
                        "compartment_id": data.get("compartment_id"),
                        "display_name": data.get("display_name")
                        or data.get("name")
                        or data.get("secret_name"),
                        "lifecycle_state": data.get("lifecycle_state"),
                        "time_created": data.get("time_created"),
                    }
                )
        status, headers, page = self._page(summaries, query, "resource_search.ResourceSummary", cache=False)
        return status, headers, {"items": page}

    def _get(self, region: str, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:  # noqa: C901
        q = {k: v[0] for k, v in query.items()}
        idx = self._index
        home = self.doc.get("home_region")
        if path.startswith("/kms/"):
            vault_id, _, rest = path[len("/kms/") :].partition("/")
            return self._kms(region, vault_id, "/" + rest, query)
        if path.rstrip("/") == "/n":
            return 200, {}, NAMESPACE
        m = re.match(r"^/n/([^/]+)/b/([^/]+)/?$", path)
        if m:
            bucket = idx.buckets.get((region, unquote(m.group(2))))
            if bucket is None or unquote(m.group(1)) != NAMESPACE:
                return _not_found()
            return 200, {}, self._wire(bucket["data"], "object_storage.Bucket")
        m = re.match(r"^/20160918/tenancies/([^/]+)/regionSubscriptions$", path)
        if m:
            subs = [
                {
                    "region_key": r[:3].upper(),
                    "region_name": r,
                    "status": "READY",
                    "is_home_region": r == home,
                }
                for r in sorted(self.doc.get("regions", {}))
            ]
            return 200, {}, [to_wire(s, "RegionSubscription", "identity") for s in subs]
        if path == "/20160918/availabilityDomains":
            ads = self.doc["regions"][region].get("availability_domains", [])
            return (
                200,
                {},
                [
                    to_wire(
                        {
                            "name": a,
                            "id": f"ocid1.availabilitydomain.{a}",
                            "compartment_id": q.get("compartmentId"),
                        },
                        "AvailabilityDomain",
                        "identity",
                    )
                    for a in ads
                ],
            )
        lists = {
            "/20160918/compartments": "identity.Compartment",
            "/20160918/users": "identity.User",
            "/20160918/groups": "identity.Group",
            "/20160918/dynamicGroups": "identity.DynamicGroup",
        }
        if path in lists:
            return self._page(
                [e["data"] for e in idx.by_type.get((lists[path], home), [])], query, lists[path]
            )
        if path == "/20160918/policies":
            items = [
                e["data"]
                for e in idx.by_type.get(("identity.Policy", home), [])
                if e["data"].get("compartment_id") == q.get("compartmentId")
            ]
            return self._page(items, query, "identity.Policy")
        m = re.match(r"^/20160918/users/([^/]+)/(apiKeys|authTokens|customerSecretKeys)/?$", path)
        if m:
            user = idx.by_id.get(unquote(m.group(1)))
            if user is None:
                return _not_found()
            name, model = {
                "apiKeys": ("api_keys", "ApiKey"),
                "authTokens": ("auth_tokens", "AuthToken"),
                "customerSecretKeys": ("customer_secret_keys", "CustomerSecretKeySummary"),
            }[m.group(2)]
            return (
                200,
                {},
                [self._wire(v, f"identity.{model}") for v in user.get("related", {}).get(name, [])],
            )
        if path == "/20160918/userGroupMemberships":
            user = idx.by_id.get(q.get("userId", ""))
            groups = (user or {}).get("related", {}).get("group_ids", [])
            items = [
                {
                    "id": f"ocid1.groupmembership.oc1..{i}{abs(hash(g)) % 10**8}",
                    "user_id": q.get("userId"),
                    "group_id": g,
                    "compartment_id": q.get("compartmentId"),
                    "lifecycle_state": "ACTIVE",
                }
                for i, g in enumerate(groups)
            ]
            return self._page(items, query, "identity.UserGroupMembership", cache=False)
        if path == "/20200131/configuration":
            configs = idx.by_type.get(("cloud_guard.Configuration", home), [])
            if not configs:  # a tenancy that never enabled Cloud Guard reads as disabled
                default = {"reporting_region": home, "status": "DISABLED", "self_manage_resources": False}
                return 200, {}, to_wire(default, "Configuration", "cloud_guard")
            return 200, {}, self._wire(configs[0]["data"], "cloud_guard.Configuration")
        m = re.match(r"^/20180608/secrets/([^/]+)/versions$", path)
        if m:
            entry = idx.by_id.get(unquote(m.group(1)))
            if entry is None or entry["region"] != region:
                return _not_found()
            return self._page(
                entry.get("related", {}).get("secret_versions", []), query, "vault.SecretVersionSummary"
            )
        m = re.match(r"^(/\d{8}/[A-Za-z]+)/([^/]+)$", path)
        if m and m.group(1) in _GET_PATHS:
            entry = idx.by_id.get(unquote(m.group(2)))
            if entry is None or entry["region"] != region or entry["type"] != _GET_PATHS[m.group(1)]:
                return _not_found()
            return 200, {}, self._wire(entry["data"], entry["type"])
        return _not_found()

    def _kms(
        self, region: str, vault_id: str, path: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], Any]:
        vault = self._index.by_id.get(unquote(vault_id))
        if vault is None or vault["region"] != region:
            return _not_found()
        if path == "/20180608/keys":
            compartment = (query.get("compartmentId") or [""])[0]
            keys = [
                {
                    k: e["data"].get(k)
                    for k in (
                        "id",
                        "compartment_id",
                        "display_name",
                        "vault_id",
                        "lifecycle_state",
                        "time_created",
                        "protection_mode",
                    )
                }
                for e in self._index.by_type.get(("key_management.Key", region), [])
                if e["data"].get("vault_id") == vault["data"]["id"]
                and e["data"].get("compartment_id") == compartment
            ]
            return self._page(keys, query, "key_management.KeySummary", cache=False)
        m = re.match(r"^/20180608/keys/([^/]+)(/keyVersions)?$", path)
        if m:
            key = self._index.by_id.get(unquote(m.group(1)))
            if key is None or key["data"].get("vault_id") != vault["data"]["id"]:
                return _not_found()
            if m.group(2):
                return self._page(
                    key.get("related", {}).get("key_versions", []), query, "key_management.KeyVersionSummary"
                )
            return 200, {}, self._wire(key["data"], "key_management.Key")
        return _not_found()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # many clients connect at once; the default backlog of 5 drops some


class _Handler(BaseHTTPRequestHandler):
    owner: OciEmulator
    protocol_version = "HTTP/1.1"  # keep-alive, as the service
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle and delayed ACKs add
    # 40 ms to every call.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        return

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, out_headers, payload = self.owner.handle(self.command, self.path, headers, body)
        except Exception as exc:  # noqa: BLE001 - an emulator bug is a 500 the test sees, not a hang
            status, out_headers, payload = _error(500, "EmulatorError", f"{type(exc).__name__}: {exc}")
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("opc-request-id", f"emu-{time.monotonic_ns()}")
        for k, v in out_headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve  # noqa: N815


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], Any]:
    return status, {}, {"code": code, "message": message}


def _not_found() -> tuple[int, dict[str, str], Any]:
    return _error(404, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not found.")


def _key_id(auth: str) -> str | None:
    m = re.search(r'keyId="([^"]+)"', auth)
    return m.group(1) if m else None


def _build_index(doc: dict[str, Any]) -> _Index:
    idx = _Index()
    for item in doc.get("resources", []):
        entry = {
            "type": item["type"],
            "region": item.get("region", ""),
            "data": item["data"],
            "related": item.get("related") or {},
        }
        idx.by_type.setdefault((entry["type"], entry["region"]), []).append(entry)
        if isinstance(item["data"].get("id"), str):
            idx.by_id[item["data"]["id"]] = entry
        if item["type"] == "object_storage.Bucket":
            idx.buckets[(entry["region"], item["data"].get("name"))] = entry
    return idx


# --- the wire format ---------------------------------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@cache
def _model(module: str, name: str) -> tuple[Any, dict[str, str], dict[str, str]] | None:
    try:
        models = importlib.import_module(f"oci.{module}.models")
    except ImportError:
        return None
    cls = getattr(models, name, None)
    if cls is None:
        return None
    inst = cls()
    return cls, dict(inst.attribute_map), dict(inst.swagger_types)


def to_wire(value: Any, type_name: str, module: str) -> Any:
    """Snake-case ``to_dict`` data of SDK model ``type_name`` (in ``oci.<module>.models``) as the
    service sends it: camelCase keys by the model's attribute map, recursively; polymorphic
    models by their discriminator's subtype."""
    if value is None:
        return None
    if type_name.startswith("list[") and isinstance(value, list):
        return [to_wire(v, type_name[5:-1], module) for v in value]
    if type_name.startswith("dict(") and isinstance(value, dict):
        inner = type_name[type_name.index(",") + 1 : -1].strip()
        return {k: to_wire(v, inner, module) for k, v in value.items()}
    if not isinstance(value, dict):
        return value
    found = _model(module, type_name)
    if found is None:
        return {_camel(k): v for k, v in value.items()}
    cls, attribute_map, swagger_types = found
    out = _wire_fields(value, attribute_map, swagger_types, module)
    if hasattr(cls, "get_subtype"):
        sub = cls.get_subtype(out)
        if sub and sub != type_name and _model(module, sub) is not None:
            _, sub_map, sub_types = _model(module, sub)  # type: ignore[misc]
            out = _wire_fields(value, sub_map, sub_types, module)
    return out


def _wire_fields(
    value: dict[str, Any], attribute_map: dict[str, str], swagger_types: dict[str, str], module: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k in attribute_map:
            out[attribute_map[k]] = to_wire(v, swagger_types[k], module)
        else:
            out[_camel(k)] = v
    return out
