#!/usr/bin/env python3
"""Identity-domain benchmark: the same users read through the Identity Domains (SCIM) API and
through the legacy IAM API, by the collector, against the loopback API emulator, in one run.

``--users`` users (default 2,000), each with an API key, an auth token, a customer secret key and
one group, are served twice by ``tests/emulator`` with ``--latency`` seconds per call (default
0.05):

* **legacy**: as legacy IAM users, read as ocisec reads the Default domain through the IAM API:
  ``ListUsers``, then four calls per user (API keys, auth tokens, customer secret keys, group
  memberships);
* **domains**: as the users of one secondary identity domain, read with ``ListDomains`` then one
  SCIM listing per kind (users, groups, API keys, auth tokens, customer secret keys, dynamic
  groups, password policies), 1,000 objects per page.

Only the IAM types are collected (compartments, users, groups, policies; plus the domains in the
second run, where the legacy lists come back empty), at ``--concurrency`` calls in flight. The
script prints the calls and wall time of each, the ratio legacy / domains, and checks
that both give the same users, credentials and memberships after the legacy view.

Usage::

    python benchmarks/bench_domains.py
    python benchmarks/bench_domains.py --users 500 --latency 0.02 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TENANCY = "ocid1.tenancy.oc1..aaaaaaaabench"
REGION = "eu-frankfurt-1"
DOMAIN = "ocid1.domain.oc1..aaaaaaaabenchsecondary"
CREATED = "2025-06-01T08:00:00+00:00"


def _base(users: int) -> dict[str, Any]:
    return {
        "format": "ocisec-inventory/1",
        "tenancy_id": TENANCY,
        "home_region": REGION,
        "collected_at": "2026-11-20T06:00:00Z",
        "regions": {REGION: {"availability_domains": [f"Uocm:{REGION.upper()}-AD-1"]}},
        "collected": [],
        "errors": [],
        "resources": [],
    }


def legacy_inventory(users: int) -> dict[str, Any]:
    """``users`` legacy IAM users, each with one credential of each kind and one group."""
    doc = _base(users)
    group = "ocid1.group.oc1..aaaaaaaabenchgroup"
    doc["resources"].append(
        {
            "type": "identity.Group",
            "region": REGION,
            "data": {
                "id": group,
                "compartment_id": TENANCY,
                "name": "bench",
                "description": "bench",
                "lifecycle_state": "ACTIVE",
                "time_created": CREATED,
            },
        }
    )
    for n in range(users):
        uid = f"ocid1.user.oc1..aaaaaaaabench{n:05d}"
        doc["resources"].append(
            {
                "type": "identity.User",
                "region": REGION,
                "data": {
                    "id": uid,
                    "compartment_id": TENANCY,
                    "name": f"user{n}",
                    "description": "bench",
                    "lifecycle_state": "ACTIVE",
                    "time_created": CREATED,
                    "is_mfa_activated": True,
                },
                "related": {
                    "api_keys": [
                        {
                            "key_id": f"{TENANCY}/{uid}/aa:{n:05d}",
                            "fingerprint": f"aa:{n:05d}",
                            "user_id": uid,
                            "lifecycle_state": "ACTIVE",
                            "time_created": CREATED,
                        }
                    ],
                    "auth_tokens": [
                        {
                            "id": f"ocid1.credential.oc1..tok{n}",
                            "user_id": uid,
                            "description": "t",
                            "lifecycle_state": "ACTIVE",
                            "time_created": CREATED,
                        }
                    ],
                    "customer_secret_keys": [
                        {
                            "id": f"ocid1.credential.oc1..csk{n}",
                            "user_id": uid,
                            "display_name": "k",
                            "lifecycle_state": "ACTIVE",
                            "time_created": CREATED,
                        }
                    ],
                    "group_ids": [group],
                },
            }
        )
    return doc


def domain_inventory(users: int) -> dict[str, Any]:
    """The same users in one secondary identity domain, in the Identity Domains models."""
    doc = _base(users)
    group = "ocid1.group.oc1..aaaaaaaabenchgroup"

    def scim(type_: str, data: dict[str, Any]) -> dict[str, Any]:
        base = {
            "domain_ocid": DOMAIN,
            "compartment_ocid": TENANCY,
            "tenancy_ocid": TENANCY,
            "meta": {"resource_type": type_.split(".")[1], "created": CREATED},
        }
        return {"type": type_, "region": REGION, "data": {**base, **data}}

    doc["resources"].append(
        {
            "type": "identity.Domain",
            "region": REGION,
            "data": {
                "id": DOMAIN,
                "compartment_id": TENANCY,
                "display_name": "Bench",
                "description": "bench",
                "url": "https://idcs-bench.identity.oraclecloud.com",
                "home_region": REGION,
                "type": "SECONDARY",
                "lifecycle_state": "ACTIVE",
                "time_created": CREATED,
            },
        }
    )
    doc["resources"].append(
        scim("identity_domains.Group", {"id": "g", "ocid": group, "display_name": "bench"})
    )
    for n in range(users):
        uid = f"ocid1.user.oc1..aaaaaaaabench{n:05d}"
        owner = {"value": f"u{n}", "ocid": uid}
        doc["resources"] += [
            scim(
                "identity_domains.User",
                {
                    "id": f"u{n}",
                    "ocid": uid,
                    "user_name": f"user{n}",
                    "active": True,
                    "groups": [{"value": "g", "ocid": group}],
                },
            ),
            scim(
                "identity_domains.ApiKey",
                {
                    "id": f"k{n}",
                    "ocid": f"ocid1.apikey.oc1..k{n}",
                    "fingerprint": f"aa:{n:05d}",
                    "user": owner,
                },
            ),
            scim(
                "identity_domains.AuthToken",
                {"id": f"t{n}", "ocid": f"ocid1.credential.oc1..tok{n}", "status": "ACTIVE", "user": owner},
            ),
            scim(
                "identity_domains.CustomerSecretKey",
                {"id": f"s{n}", "ocid": f"ocid1.credential.oc1..csk{n}", "status": "ACTIVE", "user": owner},
            ),
        ]
    return doc


def collect(doc: dict[str, Any], types: set[str], latency: float, concurrency: int, config: Path):
    """Collect only ``types`` from an emulator serving ``doc``; returns (snapshot, calls, seconds)."""
    from scanner.sources.oci.auth import make_session
    from scanner.sources.oci.collector import Collector
    from scanner.sources.oci.specs import SPECS
    from tests.emulator import OciEmulator

    specs = tuple(s for s in SPECS if s.type in types)
    at = datetime(2026, 11, 20, 6, tzinfo=UTC)
    with OciEmulator(doc, latency=latency, page_size=1000) as emu:
        session = make_session("api_key", config, None, emu.endpoint)
        started = time.perf_counter()
        snapshot = Collector(
            session, regions=[REGION], concurrency=concurrency, specs=specs, clock=lambda: at
        ).collect()
        seconds = time.perf_counter() - started
        calls = len(emu.requests)
    return snapshot, calls, seconds


def iam_view(snapshot) -> list[tuple[str, str, str]]:  # noqa: ANN001
    """Users, their credentials and memberships as the rules see them."""
    from scanner.sources.oci.mapping import snapshot_resources

    kinds = {
        "oci_identity_user",
        "oci_identity_api_key",
        "oci_identity_auth_token",
        "oci_identity_customer_secret_key",
        "oci_identity_user_group_membership",
    }
    out = []
    for r in snapshot_resources(snapshot):
        if r.kind in kinds and not r.context.get("not_collected"):
            owner = r.attributes.get("user_id") if r.kind != "oci_identity_user" else r.address
            out.append(
                (
                    r.kind,
                    str(owner),
                    str(r.attributes.get("fingerprint") or r.attributes.get("group_id") or ""),
                )
            )
    return sorted(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "sources" / "oci"))
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from live_helpers import write_config  # noqa: E402

    with tempfile.TemporaryDirectory() as tmp:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file = Path(tmp) / "key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        config = write_config(Path(tmp), key_file, TENANCY, REGION)
        iam = {"identity.Compartment", "identity.User", "identity.Group", "identity.Policy"}
        legacy, legacy_calls, legacy_s = collect(
            legacy_inventory(args.users), iam, args.latency, args.concurrency, config
        )
        domains, domain_calls, domain_s = collect(
            domain_inventory(args.users),
            iam | {"identity.Domain"},
            args.latency,
            args.concurrency,
            config,
        )
    same = iam_view(legacy) == iam_view(domains)
    result = {
        "users": args.users,
        "latency_ms": args.latency * 1000,
        "concurrency": args.concurrency,
        "legacy": {"calls": legacy_calls, "seconds": round(legacy_s, 2), "errors": len(legacy.errors)},
        "domains": {"calls": domain_calls, "seconds": round(domain_s, 2), "errors": len(domains.errors)},
        "ratio_legacy_over_domains": round(legacy_s / domain_s, 1) if domain_s else None,
        "same_users_credentials_memberships": same,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{args.users} users, {args.latency * 1000:.0f} ms per call, {args.concurrency} calls in flight"
        )
        print(f"  legacy IAM API:        {legacy_calls:6d} calls  {legacy_s:7.2f} s")
        print(f"  identity domains SCIM: {domain_calls:6d} calls  {domain_s:7.2f} s")
        print(f"  ratio legacy / domains: {result['ratio_legacy_over_domains']}x; same view: {same}")
    return 0 if same and not legacy.errors and not domains.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
