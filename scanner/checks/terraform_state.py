"""Named checks on where a Terraform root keeps its state.

The state of the platform's roots holds every resource's attributes, generated passwords and
keys included: it must live in a remote backend, and when that backend is an Object Storage
bucket the root itself declares, the bucket must be private, versioned and encrypted with a
customer-managed key. The Terraform source gives each root one ``terraform_backend`` resource
(``type`` is ``local`` when no backend is declared; see ``sources/terraform/module.py``).

Policies that call these checks: OCI-SUP-404.
"""

from __future__ import annotations

import re
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown

Params = dict[str, Any]
BUCKET_KIND = "oci_objectstorage_bucket"
# `https://objectstorage.<region>.oraclecloud.com/p/<par>/n/<namespace>/b/<bucket>/o/<object>`
_PAR_BUCKET = re.compile(r"/n/[^/]+/b/(?P<bucket>[^/?#]+)")
_OCI_HOST = re.compile(r"(^|[./])(compat\.)?objectstorage\.[a-z0-9-]+\.(oraclecloud|oci\.[a-z]+)\.", re.I)


def _endpoints(attrs: dict[str, Any]) -> list[str]:
    """The s3 backend's endpoint URLs: ``endpoint`` (older Terraform) and ``endpoints.s3``."""
    found = [attrs.get("endpoint")]
    blocks = attrs.get("endpoints")
    for block in blocks if isinstance(blocks, list) else [blocks]:
        if isinstance(block, dict):
            found.append(block.get("s3"))
    return [str(e) for e in found if isinstance(e, str)]


def state_bucket(backend: Resource) -> tuple[str, Any] | None:
    """``(attribute path, bucket name)`` of an OCI Object Storage bucket the backend writes to,
    or None when the backend is not Object Storage (another remote store)."""
    attrs = backend.attributes
    kind = str(attrs.get("type"))
    if kind == "oci":
        return "bucket", attrs.get("bucket")
    if kind == "s3" and any(_OCI_HOST.search(e) for e in _endpoints(attrs)):
        return "bucket", attrs.get("bucket")
    if kind == "http":
        address = attrs.get("address")
        if isinstance(address, str) and _OCI_HOST.search(address):
            m = _PAR_BUCKET.search(address)
            return "address", m.group("bucket") if m else None
    return None


def _bucket_problems(bucket: Resource) -> tuple[list[str], bool]:
    """What is wrong with a state bucket, and whether something could not be told."""
    attrs = bucket.attributes
    problems: list[str] = []
    unsure = False
    access = attrs.get("access_type", "NoPublicAccess")
    versioning = attrs.get("versioning")
    key = attrs.get("kms_key_id")
    if is_unknown(access) or is_unknown(versioning) or (is_unknown(key) and not key.ref):
        unsure = True
    if not is_unknown(access) and access not in (None, "NoPublicAccess"):
        problems.append(f"public ({access})")
    if not is_unknown(versioning) and versioning != "Enabled":
        problems.append("not versioned")
    if key is None:
        problems.append("encrypted with an Oracle-managed key")
    return problems, unsure


@check("state_backend_remote_and_protected")
def state_backend_remote_and_protected(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-SUP-404: the root's state is in a remote backend (not ``local``, nor no backend at
    all); when the backend is an OCI Object Storage bucket (``backend "oci"``, ``s3`` with an
    Object Storage compatibility endpoint, ``http`` to a pre-authenticated request URL) that this
    root declares, the bucket is private, versioned and has ``kms_key_id``. A bucket the root
    does not declare is unknown: it is managed elsewhere. A Resource Manager stack (a
    ``schema.yaml`` beside it) passes: the service keeps its state."""
    kind = resource.attributes.get("type")
    if kind == "local":
        if resource.attributes.get("declared"):
            return Outcome(False, path="type", detail='backend "local": state on the runner\'s disk')
        return Outcome(False, path=None, detail="no backend: state on local disk")
    if kind == "resource-manager":
        return Outcome(True, path=None, detail="a Resource Manager stack: OCI keeps and locks its state")
    target = state_bucket(resource)
    if target is None:
        return Outcome(True, path="type", detail=f"remote backend {kind!r}")
    path, name = target
    if name is None or is_unknown(name):
        return Outcome(None, path=path, detail="the state bucket's name is not known statically")
    undecided = False
    for bucket in index.same_scope(resource, BUCKET_KIND):
        bucket_name = bucket.attributes.get("name")
        if is_unknown(bucket_name):
            undecided = True
            continue
        if bucket_name != name:
            continue
        problems, unsure = _bucket_problems(bucket)
        if problems:
            return Outcome(
                False, path=path, detail=f"state bucket {bucket.address} is {', '.join(problems)}"
            )
        if unsure:
            return Outcome(None, path=path, detail=f"state bucket {bucket.address}: a setting is not known")
        return Outcome(True, path=path, detail=f"state bucket {bucket.address} is private, versioned, CMK")
    reason = "a bucket's name is not known statically" if undecided else "declared outside this root"
    return Outcome(None, path=path, detail=f"state bucket {name!r}: {reason}")
