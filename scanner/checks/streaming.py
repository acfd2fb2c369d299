"""Streams and their pools (OCI-ENC-007): a stream is encrypted by its pool's key, so a stream is
judged through the pool it names, and only when that pool is in the same scope.

Policies that call these checks: OCI-ENC-007.
"""

from __future__ import annotations

from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, Unknown

POOL = "oci_streaming_stream_pool"


@check("stream_pool_in_scope")
def stream_pool_in_scope(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """A stream names a stream pool of the same root or snapshot (the pool's own target judges its
    key). No pool: the compartment's default pool, Oracle-managed keys (failed). A pool that is
    not in scope (a variable, another root's OCID) cannot be judged here: unknown."""
    pool = resource.attributes.get("stream_pool_id")
    if pool is None or pool == "":
        return Outcome(False, path="stream_pool_id", detail="no stream_pool_id: the default pool")
    if isinstance(pool, Unknown) and pool.ref is None:
        detail = f"stream pool not known statically ({pool.reason})"
        return Outcome(None, path="stream_pool_id", detail=detail)
    found = [r for r in index.referenced(pool, resource) if r.kind == POOL]
    if found:
        return Outcome(True, path="stream_pool_id", detail=f"pool {found[0].address} is judged itself")
    return Outcome(None, path="stream_pool_id", detail="the stream pool is not in this scan's scope")
