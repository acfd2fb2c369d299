#!/usr/bin/env python3
"""IAM at tenancy scale: replaying a large inventory snapshot, this code against a baseline.

A synthetic tenancy is written as a snapshot (users with API keys and group memberships,
groups, dynamic groups, policies of several statements each, compartments, and ordinary
resources up to the size's total), then replayed (``load_snapshot`` + ``audit_snapshot``, every
rule) twice in the same run, each in its own process:

* **current**: the ``scanner`` package beside this script;
* **baseline**: the same files at ``--baseline`` (a git revision, default ``main``), extracted
  with ``git archive`` into a temporary directory. The baseline may be stopped after
  ``--baseline-timeout`` seconds (its time is then printed as a lower bound).

Printed: wall time and peak RSS of each replay, their ratio, whether both produced the same
findings (rule, resource, status; compared per rule on the rules both versions have, so a
branch that adds rules is still compared), and the issue's targets (10,000 resources <= 2 s;
100,000 resources with 5,000 users, 2,000 policies and 500 compartments <= 20 s and <= 1 GB).

Usage::

    python benchmarks/bench_iam_scale.py                       # both sizes
    python benchmarks/bench_iam_scale.py --size 10k --baseline HEAD~3
    python benchmarks/bench_iam_scale.py --size 100k --baseline-timeout 60 --json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TENANCY = "ocid1.tenancy.oc1..aaaaaaaaiamscale"
REGION = "eu-frankfurt-1"
FORMAT = "ocisec-inventory/1"

# name: (resources, users, policies, compartments, target seconds, target MB)
SIZES = {
    "10k": (10_000, 1_000, 400, 50, 2.0, None),
    "100k": (100_000, 5_000, 2_000, 500, 20.0, 1024.0),
}
STATEMENTS_PER_POLICY = 5
USERS_PER_GROUP = 20
FILLER = [
    ("object_storage.Bucket", "bucket"),
    ("core.Volume", "volume"),
    ("core.Instance", "instance"),
    ("vault.Secret", "secret"),
    ("core.Subnet", "subnet"),
]


def synthetic_snapshot(total: int, users: int, policies: int, compartments: int) -> dict[str, Any]:
    """A tenancy snapshot of about ``total`` resources with the IAM population given."""
    resources: list[dict[str, Any]] = []

    def add(type_: str, data: dict[str, Any], related: dict[str, Any] | None = None) -> None:
        item: dict[str, Any] = {"type": type_, "region": REGION, "data": data}
        if related is not None:
            item["related"] = related
        resources.append(item)

    comps = [f"ocid1.compartment.oc1..scale{i:04d}" for i in range(compartments)]
    for i, comp in enumerate(comps):
        add(
            "identity.Compartment",
            {"id": comp, "name": f"c{i}", "compartment_id": TENANCY, "lifecycle_state": "ACTIVE"},
        )
    n_groups = max(3, users // USERS_PER_GROUP)
    groups = ["Administrators"] + [f"team{g:04d}" for g in range(n_groups - 1)]
    for g in groups:
        add(
            "identity.Group",
            {
                "id": f"ocid1.group.oc1..{g}",
                "name": g,
                "compartment_id": TENANCY,
                "lifecycle_state": "ACTIVE",
            },
        )
    n_dgs = max(2, policies // 20)
    for d in range(n_dgs):
        add(
            "identity.DynamicGroup",
            {
                "id": f"ocid1.dynamicgroup.oc1..dg{d:04d}",
                "name": f"dg{d:04d}",
                "compartment_id": TENANCY,
                "matching_rule": f"ALL {{instance.compartment.id = '{comps[d % len(comps)]}'}}",
                "lifecycle_state": "ACTIVE",
            },
        )
    for u in range(users):
        uid = f"ocid1.user.oc1..u{u:06d}"
        member_of = [f"ocid1.group.oc1..{groups[1 + u % (len(groups) - 1)]}"]
        if u % 97 == 0:
            member_of.append("ocid1.group.oc1..Administrators")
        add(
            "identity.User",
            {"id": uid, "name": f"user{u}", "compartment_id": TENANCY, "lifecycle_state": "ACTIVE"},
            {
                "group_ids": member_of,
                "api_keys": [
                    {
                        "key_id": f"{TENANCY}/{uid}/aa:{u % 256:02x}",
                        "fingerprint": f"aa:{u % 256:02x}",
                        "user_id": uid,
                        "time_created": "2026-09-01T00:00:00Z",
                        "lifecycle_state": "ACTIVE",
                    }
                ]
                if u % 2 == 0
                else [],
                "auth_tokens": [],
                "customer_secret_keys": [],
            },
        )
    verbs = ["inspect", "read", "use", "manage"]
    types = [
        "buckets",
        "object-family",
        "instance-family",
        "secret-family",
        "volume-family",
        "users",
        "groups",
        "all-resources",
        "clusters",
        "keys",
    ]
    for p in range(policies):
        comp = comps[p % len(comps)]
        statements = []
        for s in range(STATEMENTS_PER_POLICY):
            k = p * STATEMENTS_PER_POLICY + s
            group = groups[1 + k % (len(groups) - 1)]
            where = f"compartment c{k % len(comps)}"
            if k % 11 == 0:
                statements.append(f"Allow dynamic-group dg{k % n_dgs:04d} to read buckets in {where}")
            elif k % 13 == 0:
                statements.append(f"Allow group {group} to {{OBJECT_READ, OBJECT_INSPECT}} in {where}")
            elif k % 17 == 0:
                statements.append(
                    f"Allow group 'Default'/'{group}' to use users in tenancy "
                    "where target.group.name != 'Administrators'"
                )
            elif k % 1009 == 0:
                statements.append(f"Allow group {group} to manage all-resources in tenancy")
            else:
                statements.append(f"Allow group {group} to {verbs[k % 4]} {types[k % len(types)]} in {where}")
        add(
            "identity.Policy",
            {
                "id": f"ocid1.policy.oc1..p{p:05d}",
                "name": f"p{p}",
                "compartment_id": comp,
                "statements": statements,
                "lifecycle_state": "ACTIVE",
            },
        )
    n = 0
    while len(resources) + _credential_count(users) < total:
        type_, kind = FILLER[n % len(FILLER)]
        comp = comps[n % len(comps)]
        data: dict[str, Any] = {
            "id": f"ocid1.{kind}.oc1.{REGION}.f{n:07d}",
            "compartment_id": comp,
            "lifecycle_state": "ACTIVE",
            "time_created": "2026-03-01T00:00:00Z",
        }
        related = None
        if type_ == "object_storage.Bucket":
            data.update(
                name=f"bucket-{n}",
                namespace="ns",
                public_access_type="NoPublicAccess",
                versioning="Enabled",
                kms_key_id="ocid1.key.oc1..k",
            )
        elif type_ == "vault.Secret":
            data.update(secret_name=f"secret-{n}", vault_id="ocid1.vault.oc1..v", key_id="ocid1.key.oc1..k")
            related = {"secret_versions": []}
        elif type_ == "core.Subnet":
            data.update(vcn_id="ocid1.vcn.oc1..v", cidr_block="10.0.0.0/24", display_name=f"subnet-{n}")
        else:
            data.update(display_name=f"{kind}-{n}")
        add(type_, data, related)
        n += 1
    collected = sorted({r["type"] for r in resources} | {"identity.DynamicGroup", "identity.Policy"})
    return {
        "format": FORMAT,
        "tenancy_id": TENANCY,
        "home_region": REGION,
        "collected_at": "2026-11-01T00:00:00Z",
        "regions": {REGION: {"availability_domains": [f"Xyz:EU-FRANKFURT-1-AD-{i}" for i in (1, 2, 3)]}},
        "collected": collected,
        "resources": resources,
        "errors": [],
    }


def _credential_count(users: int) -> int:
    # Each user with a key maps to one more resource (the key) and each membership to one more.
    return users // 2 + users + users // 97


CHILD = r"""
import hashlib, json, sys, time
t0 = time.perf_counter()
import resource
from scanner.sources.oci import load_snapshot
try:
    from scanner.workflow.audit import AuditOptions, audit_snapshot
except ImportError:  # a baseline from before the package layout of "the house, tidied"
    from scanner.audit import AuditOptions, audit_snapshot
snapshot = load_snapshot(sys.argv[1])
t1 = time.perf_counter()
result = audit_snapshot(snapshot, AuditOptions())
t2 = time.perf_counter()
rows = sorted(f"{f.rule_id}|{f.resource.address}|{f.status}" for f in result.findings)
per_rule = {}
for row in rows:
    per_rule.setdefault(row.split("|", 1)[0], []).append(row)
# One digest per rule: a branch that adds rules is compared on the rules both versions have.
digest = {rule: hashlib.sha256("\n".join(r).encode()).hexdigest() for rule, r in per_rule.items()}
failed = sum(1 for f in result.findings if str(f.status).lower().endswith("failed"))
print(json.dumps({"load_seconds": t1 - t0, "audit_seconds": t2 - t1, "seconds": t2 - t0,
                  "resources": len(snapshot.resources), "findings": len(rows), "failed": failed,
                  "digest": digest, "errors": len(result.errors),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def replay(tree: Path, snapshot: Path, timeout: float | None) -> dict[str, Any]:
    """Replay ``snapshot`` with the ``scanner`` package under ``tree`` in a child process."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(snapshot)],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"timed_out": True, "seconds": time.perf_counter() - started}
    if proc.returncode != 0:
        return {"error": err.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]}
    result = json.loads(out.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started
    return result


def baseline_tree(revision: str, directory: Path) -> Path:
    """The ``scanner`` package and ``policies`` at ``revision``, extracted into ``directory``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "scanner", "policies"], check=True, capture_output=True
    ).stdout
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive, check=True)
    return directory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=[*SIZES, "all"], default="all")
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--baseline-timeout", type=float, default=300.0)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    sizes = list(SIZES) if args.size == "all" else [args.size]
    report: dict[str, Any] = {"baseline": args.baseline, "sizes": {}}
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        base = None if args.no_baseline else baseline_tree(args.baseline, Path(tmp) / "baseline")
        for size in sizes:
            total, users, policies, compartments, target_s, target_mb = SIZES[size]
            snap = Path(tmp) / f"snapshot-{size}.json"
            snap.write_text(json.dumps(synthetic_snapshot(total, users, policies, compartments)))
            current = replay(REPO, snap, None)
            current_mb = current.get("peak_mb", float("nan"))
            row: dict[str, Any] = {
                "users": users,
                "policies": policies,
                "compartments": compartments,
                "current": current,
                "current_peak_mb": current_mb,
            }
            if base is not None:
                old = replay(base, snap, args.baseline_timeout)
                old_mb = old.get("peak_mb", float("nan"))
                row.update(baseline=old, baseline_peak_mb=old_mb)
                if "audit_seconds" in old and "seconds" in current:
                    row["speedup"] = old["seconds"] / current["seconds"]
                    common = sorted(set(old["digest"]) & set(current["digest"]))
                    row["rules_compared"] = len(common)
                    row["same_findings"] = bool(common) and all(
                        old["digest"][r] == current["digest"][r] for r in common
                    )
            targets = {f"replay <= {target_s:g} s": current.get("seconds", float("inf")) <= target_s}
            if target_mb is not None:
                targets[f"peak RSS <= {target_mb:g} MB"] = current_mb <= target_mb
            if "same_findings" in row:
                targets["same findings as the baseline"] = row["same_findings"]
            row["targets"] = targets
            ok = ok and all(targets.values())
            report["sizes"][size] = row
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for size, row in report["sizes"].items():
            cur = row["current"]
            print(
                f"{size}: {cur.get('resources')} resources in the snapshot ({row['users']} users, "
                f"{row['policies']} policies x {STATEMENTS_PER_POLICY} statements, "
                f"{row['compartments']} compartments)"
            )
            print(
                f"  current : {cur.get('seconds', float('nan')):.2f} s replay "
                f"({cur.get('load_seconds', float('nan')):.2f} s load, "
                f"{cur.get('audit_seconds', float('nan')):.2f} s rules), "
                f"peak RSS {row['current_peak_mb']:.0f} MB, {cur.get('findings')} findings "
                f"({cur.get('failed')} failed)"
            )
            old = row.get("baseline")
            if old is not None:
                if old.get("timed_out"):
                    print(f"  baseline: > {old['seconds']:.0f} s (stopped after --baseline-timeout)")
                elif "error" in old:
                    print(f"  baseline: failed: {old['error']}")
                else:
                    print(
                        f"  baseline: {old['seconds']:.2f} s replay, "
                        f"peak RSS {row['baseline_peak_mb']:.0f} MB"
                    )
                    print(
                        f"  ratio   : {row['speedup']:.1f}x faster; same findings on the "
                        f"{row['rules_compared']} rules both have: "
                        f"{'yes' if row['same_findings'] else 'NO'}"
                    )
            for name, passed in row["targets"].items():
                print(f"  [{'ok' if passed else 'FAIL'}] {name}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
