"""The least-privilege IAM policy of the auditing principal, derived from the collection specs.

Every call the collector makes needs ``inspect`` (lists, Resource Search) or ``read`` (the GET
of one object) on the IAM resource-type of what it reads:

* ``inspect all-resources in tenancy``: every list call and Resource Search, the compartment
  tree, region subscriptions and the IAM lists (users and their API keys, auth tokens and
  customer secret keys, groups and memberships, dynamic groups, policies). ``inspect`` returns
  metadata only. It is granted tenancy-wide on purpose: when a ``read`` is missing, Search still
  lists the object and the GET's 404 tells ocisec exactly which permission is missing, instead of
  the object vanishing without a word;
* ``read <type>`` for each type whose full configuration comes from a GET (``spec.get``) or a
  sub-list that needs more than ``inspect`` (``RelatedSpec.permission``).

Nothing here grants ``use`` or ``manage``, object contents (``objects``) or secret values
(``secret-bundles``), with one exception the caller asks for: ``--state oci://NS/BUCKET/KEY``
reads a Terraform state object, which needs ``read objects`` on that bucket alone
(``where target.bucket.name = 'BUCKET'``: the URL names the bucket, not its compartment).
``ocisec audit --print-policy`` prints these statements;
``docs/live-audit.md`` and the OKE CronJob example's Terraform hold the same list (tests compare).
"""

from __future__ import annotations

from scanner.sources.oci.specs import SPECS, ResourceSpec

VERB_RANK = {"inspect": 1, "read": 2}
DEFAULT_SUBJECT = "group ocisec-auditors"


def required_reads(specs: tuple[ResourceSpec, ...] = SPECS) -> list[str]:
    """IAM resource-types the audit must ``read``, sorted."""
    reads: set[str] = set()
    for spec in specs:
        if spec.get and spec.iam:
            reads.add(spec.iam)
        for rel in spec.related:
            if rel.permission and rel.permission[0] == "read":
                reads.add(rel.permission[1])
    return sorted(reads)


def auditor_statements(
    subject: str = DEFAULT_SUBJECT,
    compartment_id: str | None = None,
    specs: tuple[ResourceSpec, ...] = SPECS,
    state_buckets: tuple[str, ...] = (),
) -> list[str]:
    """The policy statements for ``subject`` (``group NAME`` or ``dynamic-group NAME``). With
    ``compartment_id`` (a subtree audit) the reads of regional resources are confined to that
    compartment; the tenancy-wide IAM and Cloud Guard reads stay in the tenancy.
    ``state_buckets``: buckets holding Terraform states read with ``--state oci://...``; each
    adds ``read objects`` on that bucket only (its compartment may lie outside the audited
    subtree, so the statement is on the tenancy, narrowed by the bucket's name)."""
    tenancy_wide = {s.iam for s in specs if s.scope in ("tenancy", "compartments", "singleton", "domains")}
    out = [f"Allow {subject} to inspect all-resources in tenancy"]
    for iam in required_reads(specs):
        where = (
            f"compartment id {compartment_id}" if compartment_id and iam not in tenancy_wide else "tenancy"
        )
        out.append(f"Allow {subject} to read {iam} in {where}")
    for bucket in sorted(set(state_buckets)):
        out.append(f"Allow {subject} to read objects in tenancy where target.bucket.name = '{bucket}'")
    return out
