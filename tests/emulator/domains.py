"""A loopback witness of the Identity Domains API (SCIM), for the API emulator.

Written from the Identity Domains API reference and the SDK's models, never from ocisec's
collector: every domain of an inventory document (``identity.Domain`` resources) is served at
its own host, as real domains are (``https://idcs-....identity.oraclecloud.com``), here a
listener of its own (``OciEmulator.domain_urls``). Under it, ``GET /admin/v1/<Resource>`` lists the
domain's objects of the inventory (``identity_domains.<Model>`` with a ``domain_ocid``):

- the SCIM list response (``schemas``, ``totalResults``, ``Resources``, ``startIndex``,
  ``itemsPerPage``), each object written by the SDK model's attribute map (so the SCIM extension
  names come out as ``urn:ietf:params:scim:schemas:oracle:idcs:extension:...``);
- SCIM paging: ``startIndex`` is 1-based, ``count`` is capped at ``max_count`` (the service
  caps it at 1000; tests make it small so that paging is exercised); ``itemsPerPage`` repeats
  the count asked for, as the documented responses do (50 with 3 results), so a client that
  advanced by it would skip objects;
- attributes the schema returns only on request (a user's ``groups``) appear only when asked for
  with ``attributes`` or ``attributeSets=all|request``, as the service does.
"""

from __future__ import annotations

from typing import Any

# Endpoint -> (list model, item model) in oci.identity_domains.models, from the API reference.
SCIM_RESOURCES: dict[str, tuple[str, str]] = {
    "Users": ("Users", "User"),
    "Groups": ("Groups", "Group"),
    "ApiKeys": ("ApiKeys", "ApiKey"),
    "AuthTokens": ("AuthTokens", "AuthToken"),
    "CustomerSecretKeys": ("CustomerSecretKeys", "CustomerSecretKey"),
    "DynamicResourceGroups": ("DynamicResourceGroups", "DynamicResourceGroup"),
    "PasswordPolicies": ("PasswordPolicies", "PasswordPolicy"),
}
# Attributes the schema marks ``returned: request``.
RETURNED_ON_REQUEST: dict[str, set[str]] = {"User": {"groups"}}
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
DEFAULT_COUNT = 50


class DomainsWitness:
    """The domains of one inventory document (snake_case ``to_dict`` data, as snapshots hold)."""

    def __init__(self, doc: dict[str, Any], max_count: int = 1000) -> None:
        self.max_count = max_count
        self.domains: dict[str, dict[str, Any]] = {}
        self.objects: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for item in doc.get("resources", []):
            data = item.get("data") or {}
            if item.get("type") == "identity.Domain":
                self.domains[data.get("id", "")] = data
            elif str(item.get("type", "")).startswith("identity_domains."):
                model = item["type"].split(".", 1)[1]
                self.objects.setdefault((str(data.get("domain_ocid")), model), []).append(data)

    def handle(self, domain_id: str, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """``GET /admin/v1/<Resource>`` of one domain: status and the wire document."""
        from .wire import to_wire

        if domain_id not in self.domains:
            return 404, _scim_error(404, "domain not found")
        resource = path.rstrip("/").removeprefix("/admin/v1/")
        if resource not in SCIM_RESOURCES:
            return 404, _scim_error(404, f"no resource type {resource}")
        list_model, model = SCIM_RESOURCES[resource]
        try:
            start = max(1, int(_one(query, "startIndex") or 1))
            asked = max(0, int(_one(query, "count") or DEFAULT_COUNT))
        except ValueError:
            return 400, _scim_error(400, "startIndex and count are integers")
        count = min(asked, self.max_count)
        items = self.objects.get((domain_id, model), [])
        hidden = RETURNED_ON_REQUEST.get(model, set()) - _requested(query)
        chunk = [
            {k: v for k, v in item.items() if k not in hidden}
            for item in items[start - 1 : start - 1 + count]
        ]
        document = {
            "schemas": [LIST_SCHEMA],
            "total_results": len(items),
            "resources": chunk,
            "start_index": start,
            # As the documented responses show: the page size asked for, not how many came.
            "items_per_page": asked,
        }
        return 200, to_wire(document, list_model, "identity_domains")


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _requested(query: dict[str, list[str]]) -> set[str]:
    """Attribute names asked for (``attributes``), or every one for ``attributeSets`` all/request."""
    sets = {s.lower() for v in query.get("attributeSets", []) for s in v.split(",")}
    if sets & {"all", "request"}:
        return {"*"} | {a for names in RETURNED_ON_REQUEST.values() for a in names}
    return {a.strip() for v in query.get("attributes", []) for a in v.split(",")}


def _scim_error(status: int, detail: str) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": str(status),
        "detail": detail,
    }
