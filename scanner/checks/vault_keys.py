"""Keys and the vault that holds them (OCI-ENC-401's private-vault alternative).

A key's vault decides where its material lives: a virtual private vault (``vault_type =
"VIRTUAL_PRIVATE"``) has its own HSM partition, which a bank may accept for customer-data keys in
place of ``protection_mode = "HSM"``. The key names its vault through ``management_endpoint``
(Terraform: a reference to ``oci_kms_vault.X.management_endpoint``) or ``vault_id`` (live, plans).
A vault that cannot be resolved in the same scope leaves the answer unknown.

Policies that call these checks: OCI-ENC-401.
"""

from __future__ import annotations

from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, Unknown, is_unknown

VAULT = "oci_kms_vault"


def vault_of(key: Resource, index: ResourceIndex) -> Resource | None | Unknown:
    """The ``oci_kms_vault`` of ``key`` in the same scope; None when the key names a vault that
    is not in scope; an ``Unknown`` when the key's vault is not known statically."""
    for attr in ("management_endpoint", "vault_id"):
        value = key.attributes.get(attr)
        if isinstance(value, Unknown) and value.ref is not None:
            found = [r for r in index.referenced(value, key) if r.kind == VAULT]
            if found:
                return found[0]
    vault_id = key.attributes.get("vault_id")
    endpoint = key.attributes.get("management_endpoint")
    for vault in index.same_scope(key, VAULT):
        ident = vault.attributes.get("id") or vault.provenance.ocid
        if isinstance(vault_id, str) and vault_id and vault_id == ident:
            return vault
        if isinstance(endpoint, str) and endpoint and endpoint == vault.attributes.get("management_endpoint"):
            return vault
    if is_unknown(vault_id) or (vault_id is None and is_unknown(endpoint)):
        return Unknown("the key's vault is not known statically")
    return None


@check("key_in_accepted_vault")
def key_in_accepted_vault(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """The key's vault is of a type in ``vault_types`` (OCI-ENC-401: ``VIRTUAL_PRIVATE`` when the
    bank accepts private vaults). An empty list accepts no vault: false without looking."""
    accepted = {str(t).upper() for t in params.get("vault_types") or []}
    if not accepted:
        return Outcome(False, path="protection_mode", detail="no vault type is accepted in place of HSM")
    vault = vault_of(resource, index)
    if isinstance(vault, Unknown):
        return Outcome(None, path="management_endpoint", detail=vault.reason)
    if vault is None:
        return Outcome(None, path="management_endpoint", detail="the key's vault is not in this scan's scope")
    kind = vault.attributes.get("vault_type")
    if is_unknown(kind):
        return Outcome(
            None, path="management_endpoint", detail=f"{vault.address}: vault_type not known statically"
        )
    if kind is None:
        # The provider requires vault_type; the service's default is a shared (DEFAULT) vault.
        kind = "DEFAULT"
    ok = str(kind).upper() in accepted
    return Outcome(ok, path="management_endpoint", detail=f"in {vault.address}, a {kind} vault")
