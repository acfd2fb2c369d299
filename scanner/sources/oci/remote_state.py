"""Terraform state kept in OCI Object Storage (the ``oci`` backend, or the S3-compatible one):
``oci://NAMESPACE/BUCKET/KEY`` read with one GetObject through the audit's read-only session.

Only the bytes are fetched here; ``scanner.sources.terraform_state`` reads them and keeps ids and
addresses only. The object is read in chunks and abandoned past the state size limit.
"""

from __future__ import annotations

import re
from typing import Any

from scanner.guards.limits import LIMITS

_URL = re.compile(
    r"^oci://(?P<namespace>[A-Za-z0-9_.-]{1,128})/(?P<bucket>[A-Za-z0-9_.-]{1,256})/(?P<key>.{1,1024})$"
)


class RemoteStateUnavailable(Exception):
    """The state object could not be read; ``str()`` names the URL and the reason."""


def parse_url(url: str) -> tuple[str, str, str]:
    """``oci://ns/bucket/env/prod.tfstate`` -> ``("ns", "bucket", "env/prod.tfstate")``."""
    m = _URL.match(url)
    if m is None or any(c in url for c in "\r\n\0"):
        raise RemoteStateUnavailable(f"{url!r} is not oci://NAMESPACE/BUCKET/OBJECT")
    return m["namespace"], m["bucket"], m["key"]


def read_remote_state(url: str, request: Any, session: Any = None) -> bytes:
    """The bytes of the state object ``url``, through ``session`` (else one made from the audit
    ``request``'s auth settings), in the session's home region."""
    namespace, bucket, key = parse_url(url)
    if session is None:
        from scanner.sources.oci.auth import AuthError, make_session

        try:
            session = make_session(
                auth=request.auth,
                config_file=request.config_file,
                profile=request.profile,
                service_endpoint=request.service_endpoint,
            )
        except AuthError as exc:
            raise RemoteStateUnavailable(f"{url}: {exc}") from None
    import oci

    client = session.client("object_storage.ObjectStorageClient", session.region)
    try:
        response = client.get_object(namespace, bucket, key)
    except oci.exceptions.ServiceError as exc:
        raise RemoteStateUnavailable(f"GetObject {url}: HTTP {exc.status} {exc.code}") from None
    except (oci.exceptions.RequestException, oci.exceptions.ConnectTimeout) as exc:
        raise RemoteStateUnavailable(f"GetObject {url}: no response ({type(exc).__name__})") from None
    limit = LIMITS.max_plan_bytes
    chunks, total = [], 0
    for chunk in response.data.raw.stream(1 << 20, decode_content=True):
        total += len(chunk)
        if total > limit:
            raise RemoteStateUnavailable(f"GetObject {url}: state larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
