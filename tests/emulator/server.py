"""A loopback emulator of the OCI read APIs, written from the documentation and the SDK's models.

``OciEmulator(inventory)`` serves, on 127.0.0.1, an inventory document in snapshot format
(``ocisec-inventory/1``). Point the real SDK at it with
``service_endpoint=emulator.endpoint.replace("{region}", region)``: the first path segment is the
region. It is a witness, not a mirror of the collector: it imports nothing from ``scanner``.
What it serves, and how, comes from ``doc_types`` (the documentation's tables) and from the
SDK's models (``wire``):

* every request must be signed (``Authorization: Signature ...``); with ``public_key_pem`` the
  RSA-SHA256 signature is verified, else 401;
* Resource Search accepts the documented type names only (without regard to case) and answers
  400 ``InvalidParameter`` for any other; results carry the documented spelling; it pages with
  opaque ``opc-next-page`` tokens, as every list does;
* ``policy``: the statements that apply to the caller. Search lists what the caller may
  ``inspect``; a GET needs ``read`` and otherwise answers 404 ``NotAuthorizedOrNotFound``, the
  same answer as for an object that does not exist; a list needs ``inspect`` in its compartment.
  Without a policy everything is allowed;
* responses are built from the SDK models' ``swagger_types``/``attribute_map``: an inventory
  field the model does not declare is refused when the emulator is built;
* GetObject (``/n/{namespace}/b/{bucket}/o/{object}``) serves the inventory's optional
  ``objects`` map (``{"<bucket>": {"<object>": "<content>"}}``: a Terraform state in a bucket)
  as raw bytes, under ``read objects`` in the bucket's compartment; 404 ``ObjectNotFound`` else;
* ``latency`` seconds per call; ``faults`` inject 429 (with ``retry-after``), 5xx and stalls;
* every request is recorded (``requests``), so tests assert that no write call was made.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .doc_types import BY_MODEL, BY_SEARCH, SERVICE_TYPES, ServiceType
from .domains import DomainsWitness
from .permissions import PrincipalPolicy
from .wire import UnknownField, model_info, project, split_model, to_wire

NAMESPACE = "bankns"
SEARCH_PATH = "/20180409/resources"
# Sub-lists an inventory object may carry (``related``), and the SDK model of their items.
RELATED_MODELS: dict[str, str | None] = {
    "api_keys": "identity.ApiKey",
    "auth_tokens": "identity.AuthToken",
    "customer_secret_keys": "identity.CustomerSecretKeySummary",
    "db_credentials": "identity.DbCredentialSummary",
    "group_ids": None,  # memberships, served as UserGroupMembership built per request
    "key_versions": "key_management.KeyVersionSummary",
    "secret_versions": "vault.SecretVersionSummary",
    "data_guard_associations": "database.DataGuardAssociationSummary",
    "security_rules": "core.SecurityRule",
    "logs": "logging.LogSummary",
}
# IAM lists the identity endpoint serves from the home region's inventory: path -> model.
IAM_LISTS = {
    "/20160918/compartments": "identity.Compartment",
    "/20160918/users": "identity.User",
    "/20160918/groups": "identity.Group",
    "/20160918/dynamicGroups": "identity.DynamicGroup",
}
_GET_ROUTES = {t.get.rsplit("/", 1)[0]: t for t in SERVICE_TYPES if t.get and t.get.endswith("/{id}")}
_LIST_ROUTES = {t.list: t for t in SERVICE_TYPES if t.list}


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
class _Entry:
    type: ServiceType
    region: str
    data: dict[str, Any]
    related: dict[str, list[Any]]
    compartment: str | None  # the model's compartment_id, or the item's for models without one


@dataclass
class _Index:
    by_id: dict[str, _Entry] = field(default_factory=dict)
    by_model: dict[tuple[str, str], list[_Entry]] = field(default_factory=dict)
    buckets: dict[tuple[str, str], _Entry] = field(default_factory=dict)


class Denied(Exception):
    """The caller's policy does not allow this call (answered as 404 NotAuthorizedOrNotFound)."""


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
        policy: list[str] | None = None,
        search_types: set[str] | None = None,
        identity_domains: bool = True,
    ) -> None:
        self.doc = inventory
        # False: a tenancy not (yet) moved to identity domains, whose ListDomains answers 404
        # (Oracle's cis_reports.py tells the two kinds of tenancy apart by that answer).
        self.identity_domains = identity_domains
        self.latency = latency
        self.page_size = page_size
        self.faults = list(faults or [])
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._public_key = None
        if public_key_pem is not None:
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            self._public_key = load_pem_public_key(public_key_pem)
        self.tenancy_id: str = inventory["tenancy_id"]
        self.home = inventory.get("home_region", "")
        self._index = _build_index(inventory)
        self.domains = DomainsWitness(inventory)  # each domain at a URL of its own (domain_urls)
        self.domain_urls: dict[str, str] = {}
        self._domain_servers: list[ThreadingHTTPServer] = []
        # Types Search offers in this realm (documented names); fewer to play an older realm.
        self.search_types = {t.lower() for t in (search_types or {t.search for t in BY_SEARCH.values()})}
        parents: dict[str, str | None] = {self.tenancy_id: None}
        names: dict[str, str] = {}
        for entry in self._index.by_model.get(("identity.Compartment", self.home), []):
            parents[entry.data["id"]] = entry.compartment
            names[entry.data["id"]] = entry.data.get("name", "")
        self.policy = PrincipalPolicy(policy, self.tenancy_id, parents, names) if policy is not None else None
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
        # Each identity domain answers at a host of its own (the SDK's IdentityDomainsClient
        # accepts no path in its endpoint): one listener per domain, routed into this emulator.
        for domain_id in sorted(self.domains.domains):

            class DomainHandler(_DomainHandler):
                owner = emulator
                domain = domain_id

            server = _Server(("127.0.0.1", 0), DomainHandler)
            threading.Thread(target=server.serve_forever, name="oci-emulator-idcs", daemon=True).start()
            self._domain_servers.append(server)
            self.domain_urls[domain_id] = f"http://127.0.0.1:{server.server_address[1]}"
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for server in self._domain_servers:
            server.shutdown()
            server.server_close()
        self._domain_servers.clear()

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
            if not (r.method == "GET" or (r.method == "POST" and r.path == SEARCH_PATH))
        ]

    # --- permissions -------------------------------------------------------------------------
    def _allow(self, verb: str, iam: str, compartment_id: str | None) -> None:
        if self.policy is not None and not self.policy.allows(verb, iam, compartment_id):
            raise Denied(f"{verb} {iam} in {self.policy.path_of(compartment_id)}")

    def _may(self, verb: str, iam: str, compartment_id: str | None) -> bool:
        return self.policy is None or self.policy.allows(verb, iam, compartment_id)

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
        try:
            status, out_headers, payload = self._dispatch(
                method, region, path, query, headers, body, raw_path
            )
        except Denied:
            status, out_headers, payload = _not_found()
        key_id = _key_id(headers.get("authorization", ""))
        with self._lock:
            self.requests.append(Recorded(method, region, path, query, key_id, status))
        return status, out_headers, payload

    def _dispatch(self, method, region, path, query, headers, body, raw_path):  # noqa: ANN001
        if self.latency:
            time.sleep(self.latency)
        auth = headers.get("authorization", "")
        if not auth.startswith("Signature ") or not _key_id(auth) or 'signature="' not in auth:
            return _error(
                401,
                "NotAuthenticated",
                "The required information to complete authentication was not provided.",
            )
        signed_path = headers.get("x-emulator-signed-path", raw_path)  # a domain listener's request
        if self._public_key is not None and not self._verify(method, signed_path, headers, auth):
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
        if method == "POST" and path == SEARCH_PATH:
            return self._search(region, query, body)
        if method != "GET":
            return _error(405, "NotAllowed", "the emulator serves read calls only")
        return self._get(region, path, {k: v[0] for k, v in query.items()})

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

    # --- paging and the wire -------------------------------------------------------------------
    def _page(
        self, items: list[Any], query: dict[str, str], model: str, cache: bool = True
    ) -> tuple[int, dict[str, str], Any]:
        """One page of ``items`` as ``model``; the next page's token is opaque, as the API's."""
        token = query.get("page")
        start = _offset(token) if token else 0
        if start is None:
            return _error(400, "InvalidParameter", "The page token is not valid.")
        try:
            size = min(int(query.get("limit") or self.page_size), self.page_size)
        except ValueError:
            return _error(400, "InvalidParameter", "limit must be an integer")
        chunk = items[start : start + size]
        headers = {"opc-next-page": _token(start + size)} if start + size < len(items) else {}
        return 200, headers, [self._wire(item, model, cache) for item in chunk]

    def _wire(self, item: Any, model: str, cache: bool = True) -> Any:
        """``item`` as the service sends it; cached per inventory object (keyed by identity, so
        never for dicts made per request)."""
        module, name = split_model(model)
        if not cache:
            return to_wire(self._patched(item), name, module)
        key = (id(item), model)
        cached = self._wire_cache.get(key)  # type: ignore[arg-type]
        if cached is None:
            cached = self._wire_cache[key] = to_wire(self._patched(item), name, module)  # type: ignore[index]
        return cached

    def _patched(self, data: Any) -> Any:
        if isinstance(data, dict) and str(data.get("id", "")).startswith("ocid1.domain."):
            # A domain's URL is where its SCIM API answers: its own listener here.
            url = self.domain_urls.get(data["id"], data.get("url"))
            return dict(data, url=url, home_region_url=url)
        if isinstance(data, dict) and "management_endpoint" in data:
            entry = self._index.by_id.get(data.get("id", ""))
            region = entry.region if entry else self.home
            return dict(data, management_endpoint=f"{self.base}/{region}/kms/{data['id']}")
        return data

    # --- Resource Search ---------------------------------------------------------------------------
    def _search(
        self, region: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        try:
            details = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return _error(400, "InvalidParameter", "body is not JSON")
        text = details.get("query", "") if isinstance(details, dict) else ""
        m = re.match(r"(?is)^\s*query\s+(.+?)\s+resources\b", text)
        if not isinstance(details, dict) or details.get("type") != "Structured" or not m:
            return _error(400, "InvalidParameter", "A structured query is expected.")
        names = [t.strip() for t in m.group(1).split(",")]
        rest = text[m.end() :]
        # "return allAdditionalFields" (the query language reference): each result carries the
        # type's own fields in additional_details. The emulator sends every field of the object
        # as the service's API names it (a superset of what the service sends for some types).
        additional = bool(re.search(r"(?i)\breturn\s+allAdditionalFields\b", rest))
        # "where compartmentId = '<ocid>'" / "!= '<ocid>'": the only condition the emulator reads;
        # any other condition is refused rather than ignored.
        where = re.search(r"(?is)\bwhere\s+(.*)$", rest)
        wanted_compartment: tuple[str, str] | None = None
        if where:
            cond = re.fullmatch(r"(?is)\s*compartmentId\s*(=|!=)\s*'([^']*)'\s*", where.group(1))
            if cond is None:
                return _error(400, "InvalidParameter", "the emulator reads only compartmentId conditions")
            wanted_compartment = (cond.group(1), cond.group(2))
        if [n.lower() for n in names] == ["all"]:
            wanted = [BY_SEARCH[n] for n in sorted(self.search_types) if n in BY_SEARCH]
        else:
            wanted = []
            for name in names:
                doc = BY_SEARCH.get(name.lower())
                if doc is None or name.lower() not in self.search_types:
                    return _error(400, "InvalidParameter", f"Unknown resource type: {name}")
                wanted.append(doc)
        summaries = []
        for doc in wanted:
            for entry in self._index.by_model.get((doc.model, region), []):
                data = entry.data
                if not self._may("inspect", doc.iam, entry.compartment):
                    continue
                if wanted_compartment is not None:
                    op, value = wanted_compartment
                    if (entry.compartment == value) != (op == "="):
                        continue
                summary = {
                    "resource_type": doc.search,
                    "identifier": data.get("id"),
                    "compartment_id": entry.compartment,
                    "display_name": data.get("display_name") or data.get("name") or data.get("secret_name"),
                    "lifecycle_state": data.get("lifecycle_state"),
                    "time_created": data.get("time_created"),
                    "availability_domain": data.get("availability_domain"),
                }
                if additional:
                    summary["additional_details"] = self._additional_details(entry, doc)
                summaries.append(summary)
        status, headers, page = self._page(
            summaries, _first(query), "resource_search.ResourceSummary", cache=False
        )
        return status, headers, {"items": page} if status == 200 else page

    def _additional_details(self, entry: _Entry, doc: ServiceType) -> dict[str, Any]:
        """The object's fields under their API (camelCase) names, as Search returns them."""
        data = dict(entry.data)
        if doc.model == "object_storage.Bucket":
            data.setdefault("namespace", NAMESPACE)  # buckets are named within the namespace
        module, name = split_model(doc.model)
        # Every field of the model (and of its nested models) is named, null when the object has
        # no value, as the service's JSON does: a reader indexing a field it expects finds it.
        fields = _with_nulls(self._wire(data, doc.model, cache=False), name, module)
        if doc.model == "events.Rule":
            # Search names an event rule's actions "actionsDetails": the list inside ``actions``.
            actions = fields.get("actions")
            fields["actionsDetails"] = actions.get("actions") if isinstance(actions, dict) else None
        return {k: v for k, v in fields.items() if k not in ("id", "compartmentId", "displayName")}

    # --- GET routes ---------------------------------------------------------------------------------
    def _get(self, region: str, path: str, q: dict[str, str]) -> tuple[int, dict[str, str], Any]:  # noqa: C901
        idx = self._index
        home = self.home
        tenancy = self.tenancy_id
        if path.startswith("/kms/"):
            vault_id, _, rest = path[len("/kms/") :].partition("/")
            return self._kms(region, unquote(vault_id), "/" + rest, q)
        if path.startswith("/idcs/"):
            domain_id, _, rest = path[len("/idcs/") :].partition("/")
            domain = self.domains.domains.get(unquote(domain_id))
            if domain is None or region != home:
                return _not_found()
            self._allow("read", "domains", domain.get("compartment_id"))
            status, document = self.domains.handle(
                unquote(domain_id), "/" + rest, {k: [v] for k, v in q.items()}
            )
            return status, {}, document
        if path == "/20180409/resourceTypes":
            types = sorted(BY_SEARCH[n].search for n in self.search_types if n in BY_SEARCH)  # type: ignore[type-var]
            return self._page(
                [{"name": t, "fields": []} for t in types], q, "resource_search.ResourceType", cache=False
            )
        if path.rstrip("/") == "/n":
            return 200, {}, NAMESPACE
        m = re.match(r"^/n/([^/]+)/b/([^/]+)/o/(.+)$", path)
        if m:
            # GetObject (a Terraform state kept in a bucket): the inventory's "objects" map,
            # {"<bucket name>": {"<object name>": "<content>"}}, read under "read objects".
            bucket = idx.buckets.get((region, unquote(m.group(2))))
            if bucket is None or unquote(m.group(1)) != NAMESPACE:
                return _not_found()
            self._allow("read", "objects", bucket.compartment)
            content = (self.doc.get("objects") or {}).get(unquote(m.group(2)), {}).get(unquote(m.group(3)))
            if content is None:
                return _error(404, "ObjectNotFound", "The object was not found.")
            return 200, {"content-type": "application/octet-stream"}, content.encode("utf-8")
        m = re.match(r"^/n/([^/]+)/b/([^/]+)/?$", path)
        if m:
            bucket = idx.buckets.get((region, unquote(m.group(2))))
            if bucket is None or unquote(m.group(1)) != NAMESPACE:
                return _not_found()
            self._allow("read", "buckets", bucket.compartment)
            return 200, {}, self._wire(bucket.data, "object_storage.Bucket")
        m = re.match(r"^/20160918/tenancies/([^/]+)$", path)
        if m:
            # GetTenancy (identity API reference, Tenancy): only the caller's own tenancy.
            if unquote(m.group(1)) != tenancy:
                return _not_found()
            self._allow("inspect", "tenancies", tenancy)
            data = {
                "id": tenancy,
                "name": self.doc.get("tenancy_name") or "tenancy",
                "home_region_key": _region_key(home),
            }
            return 200, {}, to_wire(data, "Tenancy", "identity")
        m = re.match(r"^/20160918/tenancies/([^/]+)/regionSubscriptions$", path)
        if m:
            self._allow("inspect", "tenancies", tenancy)
            subs = [
                {
                    "region_key": _region_key(r),
                    "region_name": r,
                    "status": "READY",
                    "is_home_region": r == home,
                }
                for r in sorted(self.doc.get("regions", {}))
            ]
            return 200, {}, [to_wire(s, "RegionSubscription", "identity") for s in subs]
        if path == "/20160918/availabilityDomains":
            ads = self.doc["regions"][region].get("availability_domains", [])
            items = [
                {"name": a, "id": f"ocid1.availabilitydomain.{a}", "compartment_id": q.get("compartmentId")}
                for a in ads
            ]
            return 200, {}, [to_wire(a, "AvailabilityDomain", "identity") for a in items]
        if path in IAM_LISTS:
            model = IAM_LISTS[path]
            self._allow("inspect", BY_MODEL[model].iam, tenancy)
            items = [e.data for e in idx.by_model.get((model, home), []) if _in_state(e.data, q)]
            return self._page(items, q, model)
        if path == "/20160918/policies":
            compartment = q.get("compartmentId")
            self._allow("inspect", "policies", compartment)
            items = [
                e.data
                for e in idx.by_model.get(("identity.Policy", home), [])
                if e.data.get("compartment_id") == compartment
            ]
            return self._page(items, q, "identity.Policy")
        m = re.match(r"^/20160918/users/([^/]+)/(apiKeys|authTokens|customerSecretKeys|dbCredentials)/?$", path)
        if m:
            self._allow("inspect", "users", tenancy)
            user = idx.by_id.get(unquote(m.group(1)))
            if user is None:
                return _not_found()
            name = {
                "apiKeys": "api_keys",
                "authTokens": "auth_tokens",
                "customerSecretKeys": "customer_secret_keys",
                "dbCredentials": "db_credentials",
            }[m.group(2)]
            model = RELATED_MODELS[name]
            assert model
            return 200, {}, [self._wire(v, model) for v in user.related.get(name, [])]
        if path == "/20160918/userGroupMemberships":
            self._allow("inspect", "groups", tenancy)
            # ListUserGroupMemberships filters by userId, by groupId, or both.
            users = idx.by_model.get(("identity.User", home), [])
            if q.get("userId"):
                users = [u for u in users if u.data.get("id") == q["userId"]]
            items = [
                {
                    "id": f"ocid1.groupmembership.oc1..{i}{abs(hash((u.data.get('id'), g))) % 10**8}",
                    "user_id": u.data.get("id"),
                    "group_id": g,
                    "compartment_id": q.get("compartmentId"),
                    "lifecycle_state": "ACTIVE",
                }
                for u in users
                for i, g in enumerate(u.related.get("group_ids", []))
                if not q.get("groupId") or g == q["groupId"]
            ]
            return self._page(items, q, "identity.UserGroupMembership", cache=False)
        m = re.match(r"^/20160918/authenticationPolicies/([^/]+)$", path)
        if m:
            if unquote(m.group(1)) != tenancy:
                return _not_found()  # only the tenancy (root compartment) has one
            self._allow("read", "authentication-policies", tenancy)
            policies = idx.by_model.get(("identity.AuthenticationPolicy", home), [])
            if not policies:  # never changed: the service's defaults
                default = {"compartment_id": tenancy, "password_policy": {"minimum_password_length": 12}}
                return 200, {}, to_wire(default, "AuthenticationPolicy", "identity")
            return 200, {}, self._wire(policies[0].data, "identity.AuthenticationPolicy")
        if path == "/20200131/configuration":
            self._allow("read", "cloud-guard-config", tenancy)
            configs = idx.by_model.get(("cloud_guard.Configuration", home), [])
            if not configs:  # a tenancy that never enabled Cloud Guard reads as disabled
                default = {"reporting_region": home, "status": "DISABLED", "self_manage_resources": False}
                return 200, {}, to_wire(default, "Configuration", "cloud_guard")
            return 200, {}, self._wire(configs[0].data, "cloud_guard.Configuration")
        if path == "/20190901/configuration":
            # Audit: the tenancy's retention setting; a tenancy that never changed it keeps the
            # documented default of 365 days.
            if q.get("compartmentId") != tenancy:
                return _error(400, "InvalidParameter", "compartmentId must be the tenancy (root compartment)")
            self._allow("read", "audit-events", tenancy)
            configs = idx.by_model.get(("audit.Configuration", home), [])
            data = configs[0].data if configs else {"retention_period_days": 365}
            return 200, {}, to_wire(data, "Configuration", "audit")
        m = re.match(r"^/20180608/secrets/([^/]+)/versions$", path)
        if m:
            entry = idx.by_id.get(unquote(m.group(1)))
            if entry is None or entry.region != region:
                return _not_found()
            self._allow("inspect", "secrets", entry.compartment)
            return self._page(entry.related.get("secret_versions", []), q, "vault.SecretVersionSummary")
        m = re.match(r"^/20160918/databases/([^/]+)/dataGuardAssociations$", path)
        if m:
            entry = idx.by_id.get(unquote(m.group(1)))
            if entry is None or entry.region != region or entry.type.model != "database.Database":
                return _not_found()
            self._allow("read", "databases", entry.compartment)
            return self._page(
                entry.related.get("data_guard_associations", []), q, "database.DataGuardAssociationSummary"
            )
        if path == "/20160918/domains" and not self.identity_domains:
            return _not_found()
        if path in _LIST_ROUTES:
            return self._list(_LIST_ROUTES[path], region, q)
        m = re.match(r"^/20200531/logGroups/([^/]+)/logs/?$", path)
        if m:
            group = idx.by_id.get(unquote(m.group(1)))
            if group is None or group.region != region:
                return _not_found()
            self._allow("inspect", "log-groups", group.compartment)
            return self._page(group.related.get("logs", []), q, "logging.LogSummary")
        m = re.match(r"^/20160918/networkSecurityGroups/([^/]+)/securityRules/?$", path)
        if m:
            nsg = idx.by_id.get(unquote(m.group(1)))
            if nsg is None or nsg.region != region:
                return _not_found()
            self._allow("read", "network-security-groups", nsg.compartment)
            return self._page(nsg.related.get("security_rules", []), q, "core.SecurityRule")
        m = re.match(r"^(/\d{8}/[A-Za-z]+)/([^/]+)$", path)
        if m and m.group(1) in _GET_ROUTES:
            doc = _GET_ROUTES[m.group(1)]
            entry = idx.by_id.get(unquote(m.group(2)))
            if entry is None or entry.region != region or entry.type is not doc:
                return _not_found()
            self._allow("read", doc.iam, entry.compartment)
            return 200, {}, self._wire(entry.data, doc.model)
        return _not_found()

    def _list(self, doc: ServiceType, region: str, q: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """A list call per compartment (``compartmentId``), items as the summary model."""
        compartment = q.get("compartmentId")
        if not compartment:
            return _error(400, "MissingParameter", "compartmentId is required")
        self._allow("inspect", doc.iam, compartment)
        filters = {"availabilityDomain": "availability_domain", "clusterId": "cluster_id"}
        items = []
        for entry in self._index.by_model.get((doc.model, region), []):
            data = entry.data
            if entry.compartment != compartment:
                continue
            if any(q.get(param) and data.get(key) != q[param] for param, key in filters.items()):
                continue
            if not _in_state(data, q):
                continue
            items.append(project(data, doc.summary or doc.model))
        status, headers, page = self._page(items, q, doc.summary or doc.model, cache=False)
        return status, headers, {"items": page} if doc.collection and status == 200 else page

    def _kms(
        self, region: str, vault_id: str, path: str, q: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        vault = self._index.by_id.get(vault_id)
        if vault is None or vault.region != region:
            return _not_found()
        if path == "/20180608/keys":
            compartment = q.get("compartmentId", "")
            self._allow("inspect", "keys", compartment)
            keys = [
                project(e.data, "key_management.KeySummary")
                for e in self._index.by_model.get(("key_management.Key", region), [])
                if e.data.get("vault_id") == vault.data["id"] and e.data.get("compartment_id") == compartment
            ]
            return self._page(keys, q, "key_management.KeySummary", cache=False)
        m = re.match(r"^/20180608/keys/([^/]+)/keyVersions/([^/]+)$", path)
        if m:
            # GetKeyVersion: one version of the key's key_versions sub-list.
            key = self._index.by_id.get(unquote(m.group(1)))
            if key is None or key.data.get("vault_id") != vault.data["id"]:
                return _not_found()
            self._allow("read", "key-versions", key.compartment)
            for version in key.related.get("key_versions", []):
                if version.get("id") == unquote(m.group(2)):
                    return 200, {}, self._wire(dict(version), "key_management.KeyVersion", cache=False)
            return _not_found()
        m = re.match(r"^/20180608/keys/([^/]+)(/keyVersions)?$", path)
        if m:
            key = self._index.by_id.get(unquote(m.group(1)))
            if key is None or key.data.get("vault_id") != vault.data["id"]:
                return _not_found()
            if m.group(2):
                self._allow("inspect", "keys", key.compartment)
                return self._page(key.related.get("key_versions", []), q, "key_management.KeyVersionSummary")
            self._allow("read", "keys", key.compartment)
            return 200, {}, self._wire(key.data, "key_management.Key")
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
        raw = isinstance(payload, bytes)  # an object's content (GetObject), sent as it is
        data = payload if raw else json.dumps(payload).encode()
        self.send_response(status)
        if not raw:
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("opc-request-id", f"emu-{time.monotonic_ns()}")
        for k, v in out_headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve  # noqa: N815


class _DomainHandler(_Handler):
    """A request to one identity domain's host: routed to ``/<home>/idcs/<domain>/...`` of the
    emulator, with the path the client signed kept beside it."""

    domain: str

    def _serve(self) -> None:
        self.headers["x-emulator-signed-path"] = self.path
        self.path = f"/{self.owner.home}/idcs/{self.domain}{self.path}"
        super()._serve()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve  # noqa: N815


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], Any]:
    return status, {}, {"code": code, "message": message}


def _not_found() -> tuple[int, dict[str, str], Any]:
    return _error(404, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not found.")


def _with_nulls(wired: Any, type_name: str, module: str) -> Any:
    """``wired`` (camelCase, as ``to_wire`` made it) with every field its SDK model declares,
    null where absent, recursively through nested models and lists of them."""
    if type_name.startswith("list[") and isinstance(wired, list):
        return [_with_nulls(v, type_name[5:-1], module) for v in wired]
    if not isinstance(wired, dict):
        return wired
    info = model_info(module, type_name)
    if info is None:
        return wired
    _, attribute_map, swagger_types = info
    out = dict(wired)
    for name, wire in attribute_map.items():
        out[wire] = _with_nulls(wired.get(wire), swagger_types[name], module)
    return out


def _in_state(data: dict[str, Any], query: dict[str, str]) -> bool:
    """The list calls' optional ``lifecycleState`` filter (only objects in that state)."""
    wanted = query.get("lifecycleState")
    return not wanted or str(data.get("lifecycle_state", "")).upper() == wanted.upper()


def _region_key(region: str) -> str:
    """The region's three-letter key (``FRA`` for eu-frankfurt-1), from the SDK's own region table."""
    from oci.regions import REGIONS_SHORT_NAMES

    for key, name in REGIONS_SHORT_NAMES.items():
        if name == region:
            return key.upper()
    return region[:3].upper()


def _key_id(auth: str) -> str | None:
    m = re.search(r'keyId="([^"]+)"', auth)
    return m.group(1) if m else None


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"emu:{offset}".encode()).decode()


def _offset(token: str) -> int | None:
    try:
        prefix, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        return int(number) if prefix == "emu" else None
    except (ValueError, UnicodeDecodeError):
        return None


def _first(query: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[0] for k, v in query.items()}


def _build_index(doc: dict[str, Any]) -> _Index:
    """Index the inventory, refusing what the real API could not send: a type the documentation
    table does not describe, a field its SDK model does not declare, an unknown related list."""
    idx = _Index()
    for i, item in enumerate(doc.get("resources", [])):
        doc_type = BY_MODEL.get(item["type"])
        if doc_type is None:
            raise ValueError(f"resources[{i}]: the emulator serves no type {item['type']!r}")
        module, name = split_model(doc_type.model)
        try:
            to_wire(item["data"], name, module)
            for rel, values in (item.get("related") or {}).items():
                if rel not in RELATED_MODELS:
                    raise UnknownField(f"related list {rel!r} is not served")
                model = RELATED_MODELS[rel]
                if model:
                    rel_module, rel_name = split_model(model)
                    for v in values:
                        to_wire(v, rel_name, rel_module, rel)
        except UnknownField as exc:
            raise ValueError(f"resources[{i}] ({item['type']}): {exc}") from None
        # Some models (file-system exports) have no compartment_id: the inventory item names the
        # compartment beside the data (the API lists them by compartment all the same).
        compartment = item["data"].get("compartment_id") or item.get("compartment_id")
        entry = _Entry(doc_type, item.get("region", ""), item["data"], item.get("related") or {}, compartment)
        idx.by_model.setdefault((doc_type.model, entry.region), []).append(entry)
        if isinstance(item["data"].get("id"), str):
            idx.by_id[item["data"]["id"]] = entry
        if doc_type.model == "object_storage.Bucket":
            idx.buckets[(entry.region, item["data"].get("name"))] = entry
    return idx
