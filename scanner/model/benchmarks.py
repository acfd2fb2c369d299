"""The benchmarks ocisec reports compliance against, as data: every recommendation of the CIS
Oracle Cloud Infrastructure Foundations Benchmark v3.0.0 (id, title, section, level, whether the
benchmark calls its assessment automated or manual), and the v2.0.0 ids and levels.

Policies point at these with ``benchmarks: [{id: cis-oci, version: "3.0", control: "2.1", ...}]``
(validated by the policy schema and, against this table, by the tests); ``ocisec rules
--benchmark`` and the compliance section of the reports read the table to say what is covered,
and what is not. Titles and levels are those of the benchmark as published by CIS (v3.0.0,
transcribed in Prowler's ``cis_3.0_oraclecloud.json``; v2.0.0 levels as in Oracle's
``cis_reports.py`` 2.8.4): see docs/cis.md for the sources and their commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AUTOMATED = "automated"
MANUAL = "manual"

SECTIONS = {
    "1": "Identity and Access Management",
    "2": "Networking",
    "3": "Compute",
    "4": "Logging and Monitoring",
    "5": "Storage",
    "6": "Asset Management",
}


@dataclass(frozen=True)
class Recommendation:
    """One recommendation of a benchmark: ``control`` is its number (``"5.1.2"``), ``profile``
    whether the benchmark's assessment is ``automated`` or ``manual`` (None: not recorded)."""

    control: str
    title: str
    level: int
    profile: str | None

    @property
    def section(self) -> str:
        """The top-level section number (``"5"`` for ``5.1.2``)."""
        return self.control.split(".", 1)[0]

    @property
    def section_title(self) -> str:
        """The top-level section's name."""
        return SECTIONS.get(self.section, self.section)


@dataclass(frozen=True)
class Benchmark:
    """A benchmark version: ``key`` is what the command line takes (``cis-oci-3.0``)."""

    id: str
    version: str
    title: str
    recommendations: tuple[Recommendation, ...]

    @property
    def key(self) -> str:
        """``<id>-<version>``, the name ``--benchmark`` takes."""
        return f"{self.id}-{self.version}"

    def get(self, control: str) -> Recommendation | None:
        """The recommendation numbered ``control``, if the benchmark has one."""
        for rec in self.recommendations:
            if rec.control == control:
                return rec
        return None


def control_key(control: str) -> tuple[int, ...]:
    """Sort key of a control number: ``1.10`` after ``1.9``."""
    return tuple(int(p) if p.isdigit() else 0 for p in control.split("."))


R = Recommendation
CIS_OCI_3_0 = Benchmark(
    "cis-oci",
    "3.0",
    "CIS Oracle Cloud Infrastructure Foundations Benchmark v3.0.0",
    (
        R(
            "1.1",
            "Ensure service level admins are created to manage resources of particular "
            "service",
            1,
            MANUAL,
        ),
        R(
            "1.2",
            "Ensure permissions on all resources are given only to the tenancy administrator "
            "group",
            1,
            AUTOMATED,
        ),
        R('1.3', 'Ensure IAM administrators cannot update tenancy Administrators group', 1, AUTOMATED),
        R('1.4', 'Ensure IAM password policy requires minimum length of 14 or greater', 1, AUTOMATED),
        R('1.5', 'Ensure IAM password policy expires passwords within 365 days', 1, MANUAL),
        R('1.6', 'Ensure IAM password policy prevents password reuse', 1, MANUAL),
        R('1.7', 'Ensure MFA is enabled for all users with a console password', 1, AUTOMATED),
        R('1.8', 'Ensure user API keys rotate within 90 days', 1, AUTOMATED),
        R('1.9', 'Ensure user customer secret keys rotate within 90 days', 1, AUTOMATED),
        R('1.10', 'Ensure user auth tokens rotate within 90 days', 1, AUTOMATED),
        R('1.11', 'Ensure user IAM Database Passwords rotate within 90 days', 1, MANUAL),
        R('1.12', 'Ensure API keys are not created for tenancy administrator users', 1, AUTOMATED),
        R('1.13', 'Ensure all OCI IAM user accounts have a valid and current email address', 1, MANUAL),
        R(
            "1.14",
            "Ensure Instance Principal authentication is used for OCI instances, OCI Cloud "
            "Databases and OCI Functions to access OCI resources",
            1,
            MANUAL,
        ),
        R('1.15', 'Ensure storage service-level admins cannot delete resources they manage', 2, MANUAL),
        R('1.16', 'Ensure OCI IAM credentials unused for 45 days or more are disabled', 1, AUTOMATED),
        R('1.17', 'Ensure there is only one active API Key for any single OCI IAM user', 1, AUTOMATED),
        R('2.1', 'Ensure no security lists allow ingress from 0.0.0.0/0 to port 22', 1, AUTOMATED),
        R('2.2', 'Ensure no security lists allow ingress from 0.0.0.0/0 to port 3389', 1, AUTOMATED),
        R('2.3', 'Ensure no network security groups allow ingress from 0.0.0.0/0 to port 22', 1, AUTOMATED),
        R('2.4', 'Ensure no network security groups allow ingress from 0.0.0.0/0 to port 3389', 1, AUTOMATED),
        R(
            "2.5",
            "Ensure the default security list of every VCN restricts all traffic except ICMP",
            1,
            AUTOMATED,
        ),
        R('2.6', 'Ensure Oracle Integration Cloud (OIC) access is restricted to allowed sources', 1, MANUAL),
        R(
            "2.7",
            "Ensure Oracle Analytics Cloud (OAC) access is restricted to allowed sources or "
            "deployed within a Virtual Cloud Network",
            1,
            MANUAL,
        ),
        R(
            "2.8",
            "Ensure Oracle Autonomous Shared Databases (ADB) access is restricted to allowed "
            "sources or deployed within a Virtual Cloud Network",
            1,
            MANUAL,
        ),
        R('3.1', 'Ensure Compute Instance Legacy Metadata service endpoint is disabled', 2, AUTOMATED),
        R('3.2', 'Ensure Secure Boot is enabled on Compute Instance', 2, AUTOMATED),
        R('3.3', 'Ensure In-transit Encryption is enabled on Compute Instance', 1, AUTOMATED),
        R('4.1', 'Ensure default tags are used on resources', 1, AUTOMATED),
        R(
            "4.2",
            "Create at least one notification topic and subscription to receive monitoring "
            "alerts",
            1,
            AUTOMATED,
        ),
        R('4.3', 'Ensure a notification is configured for Identity Provider changes', 1, AUTOMATED),
        R('4.4', 'Ensure a notification is configured for IdP group mapping changes', 1, AUTOMATED),
        R('4.5', 'Ensure a notification is configured for IAM group changes', 1, AUTOMATED),
        R('4.6', 'Ensure a notification is configured for IAM policy changes', 1, AUTOMATED),
        R('4.7', 'Ensure a notification is configured for user changes', 1, AUTOMATED),
        R('4.8', 'Ensure a notification is configured for VCN changes', 1, AUTOMATED),
        R('4.9', 'Ensure a notification is configured for changes to route tables', 1, AUTOMATED),
        R('4.10', 'Ensure a notification is configured for security list changes', 1, AUTOMATED),
        R('4.11', 'Ensure a notification is configured for network security group changes', 1, AUTOMATED),
        R('4.12', 'Ensure a notification is configured for changes to network gateways', 1, AUTOMATED),
        R('4.13', 'Ensure VCN flow logging is enabled for all subnets', 2, AUTOMATED),
        R('4.14', 'Ensure Cloud Guard is enabled in the root compartment of the tenancy', 1, AUTOMATED),
        R(
            "4.15",
            "Ensure a notification is configured for Oracle Cloud Guard problems detected",
            1,
            AUTOMATED,
        ),
        R(
            "4.16",
            "Ensure customer created Customer Managed Key (CMK) is rotated at least annually",
            1,
            AUTOMATED,
        ),
        R('4.17', 'Ensure write level Object Storage logging is enabled for all buckets', 2, AUTOMATED),
        R('4.18', 'Ensure a notification is configured for Local OCI User Authentication', 1, AUTOMATED),
        R('5.1.1', 'Ensure no Object Storage buckets are publicly visible', 1, AUTOMATED),
        R(
            "5.1.2",
            "Ensure Object Storage Buckets are encrypted with a Customer Managed Key (CMK)",
            2,
            AUTOMATED,
        ),
        R('5.1.3', 'Ensure Versioning is Enabled for Object Storage Buckets', 2, AUTOMATED),
        R('5.2.1', 'Ensure Block Volumes are encrypted with Customer Managed Keys (CMK)', 2, AUTOMATED),
        R('5.2.2', 'Ensure boot volumes are encrypted with Customer Managed Key (CMK)', 2, AUTOMATED),
        R(
            "5.3.1",
            "Ensure File Storage Systems are encrypted with Customer Managed Keys (CMK)",
            2,
            AUTOMATED,
        ),
        R('6.1', 'Create at least one compartment in your tenancy to store cloud resources', 1, AUTOMATED),
        R('6.2', 'Ensure no resources are created in the root compartment', 1, AUTOMATED),    ),
)

# v2.0.0 numbers its recommendations as v3.0 does, without 1.16, 1.17 and 4.18; 3.1 was level 1
# and 4.15 level 2. Whether each assessment was automated is not recorded here.
CIS_OCI_2_0 = Benchmark(
    "cis-oci",
    "2.0",
    "CIS Oracle Cloud Infrastructure Foundations Benchmark v2.0.0",
    (
        R(
            "1.1",
            "Ensure service level admins are created to manage resources of particular "
            "service",
            1,
            None,
        ),
        R(
            "1.2",
            "Ensure permissions on all resources are given only to the tenancy administrator "
            "group",
            1,
            None,
        ),
        R('1.3', 'Ensure IAM administrators cannot update tenancy Administrators group', 1, None),
        R('1.4', 'Ensure IAM password policy requires minimum length of 14 or greater', 1, None),
        R('1.5', 'Ensure IAM password policy expires passwords within 365 days', 1, None),
        R('1.6', 'Ensure IAM password policy prevents password reuse', 1, None),
        R('1.7', 'Ensure MFA is enabled for all users with a console password', 1, None),
        R('1.8', 'Ensure user API keys rotate within 90 days or less', 1, None),
        R('1.9', 'Ensure user customer secret keys rotate within 90 days or less', 1, None),
        R('1.10', 'Ensure user auth tokens rotate within 90 days or less', 1, None),
        R('1.11', 'Ensure user IAM Database Passwords rotate within 90 days', 1, None),
        R('1.12', 'Ensure API keys are not created for tenancy administrator users', 1, None),
        R('1.13', 'Ensure all OCI IAM user accounts have a valid and current email address', 1, None),
        R(
            "1.14",
            "Ensure Instance Principal authentication is used for OCI instances, OCI Cloud "
            "Databases and OCI Functions to access OCI resources",
            1,
            None,
        ),
        R('1.15', 'Ensure storage service-level admins cannot delete resources they manage', 2, None),
        R('2.1', 'Ensure no security lists allow ingress from 0.0.0.0/0 to port 22', 1, None),
        R('2.2', 'Ensure no security lists allow ingress from 0.0.0.0/0 to port 3389', 1, None),
        R('2.3', 'Ensure no network security groups allow ingress from 0.0.0.0/0 to port 22', 1, None),
        R('2.4', 'Ensure no network security groups allow ingress from 0.0.0.0/0 to port 3389', 1, None),
        R('2.5', 'Ensure the default security list of every VCN restricts all traffic except ICMP', 1, None),
        R('2.6', 'Ensure Oracle Integration Cloud (OIC) access is restricted to allowed sources', 1, None),
        R(
            "2.7",
            "Ensure Oracle Analytics Cloud (OAC) access is restricted to allowed sources or "
            "deployed within a Virtual Cloud Network",
            1,
            None,
        ),
        R(
            "2.8",
            "Ensure Oracle Autonomous Shared Database (ADB) access is restricted or deployed "
            "within a VCN",
            1,
            None,
        ),
        R('3.1', 'Ensure Compute Instance Legacy Metadata service endpoint is disabled', 1, None),
        R('3.2', 'Ensure Secure Boot is enabled on Compute Instance', 2, None),
        R('3.3', 'Ensure In-transit Encryption is enabled on Compute Instance', 1, None),
        R('4.1', 'Ensure default tags are used on resources', 1, None),
        R(
            "4.2",
            "Create at least one notification topic and subscription to receive monitoring "
            "alerts",
            1,
            None,
        ),
        R('4.3', 'Ensure a notification is configured for Identity Provider changes', 1, None),
        R('4.4', 'Ensure a notification is configured for IdP group mapping changes', 1, None),
        R('4.5', 'Ensure a notification is configured for IAM group changes', 1, None),
        R('4.6', 'Ensure a notification is configured for IAM policy changes', 1, None),
        R('4.7', 'Ensure a notification is configured for user changes', 1, None),
        R('4.8', 'Ensure a notification is configured for VCN changes', 1, None),
        R('4.9', 'Ensure a notification is configured for changes to route tables', 1, None),
        R('4.10', 'Ensure a notification is configured for security list changes', 1, None),
        R('4.11', 'Ensure a notification is configured for network security group changes', 1, None),
        R('4.12', 'Ensure a notification is configured for changes to network gateways', 1, None),
        R('4.13', 'Ensure VCN flow logging is enabled for all subnets', 2, None),
        R('4.14', 'Ensure Cloud Guard is enabled in the root compartment of the tenancy', 1, None),
        R('4.15', 'Ensure a notification is configured for Oracle Cloud Guard problems detected', 2, None),
        R('4.16', 'Ensure customer created Customer Managed Key (CMK) is rotated at least annually', 1, None),
        R('4.17', 'Ensure write level Object Storage logging is enabled for all buckets', 2, None),
        R('5.1.1', 'Ensure no Object Storage buckets are publicly visible', 1, None),
        R('5.1.2', 'Ensure Object Storage Buckets are encrypted with a Customer Managed Key (CMK)', 2, None),
        R('5.1.3', 'Ensure Versioning is Enabled for Object Storage Buckets', 2, None),
        R('5.2.1', 'Ensure Block Volumes are encrypted with Customer Managed Keys', 2, None),
        R('5.2.2', 'Ensure Boot Volumes are encrypted with Customer Managed Key', 2, None),
        R('5.3.1', 'Ensure File Storage Systems are encrypted with Customer Managed Keys', 2, None),
        R('6.1', 'Create at least one compartment in your tenancy to store cloud resources', 1, None),
        R('6.2', 'Ensure no resources are created in the root compartment', 1, None),    ),
)

BENCHMARKS: dict[str, Benchmark] = {b.key: b for b in (CIS_OCI_3_0, CIS_OCI_2_0)}


def get_benchmark(key: str) -> Benchmark:
    """The benchmark named ``key`` (``cis-oci-3.0``); ``KeyError`` naming the known ones."""
    try:
        return BENCHMARKS[key.strip().lower()]
    except KeyError:
        raise KeyError(f"unknown benchmark {key!r}; known: {', '.join(sorted(BENCHMARKS))}") from None


def controls_judged(benchmarks: list[dict[str, Any]], bench: Benchmark) -> list[str]:
    """The controls of ``bench`` a rule's ``benchmarks`` references judge. A rule referring to
    v3.0 only judges the same-numbered v2.0 recommendation too (v2.0 numbers them alike); an
    explicit v2.0 reference wins."""
    own = [b["control"] for b in benchmarks if b.get("id") == bench.id and b.get("version") == bench.version]
    if own or bench is not CIS_OCI_2_0:
        return [c for c in dict.fromkeys(own) if bench.get(c) is not None]
    v3 = [b["control"] for b in benchmarks if b.get("id") == "cis-oci" and b.get("version") == "3.0"]
    return [c for c in dict.fromkeys(v3) if bench.get(c) is not None]


def coverage_of(benchmarks: list[dict[str, Any]], bench: Benchmark, control: str) -> str:
    """How fully a rule's reference judges ``control``: full, partial or heuristic."""
    for ref in benchmarks:
        if ref.get("id") == bench.id and ref.get("control") == control:
            return str(ref.get("coverage") or "full")
    return "full"
