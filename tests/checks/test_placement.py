"""Unit tests for the placement checks (OCI-HA-001, OCI-HA-003, OCI-HA-005)."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.checks.placement import distinct_at_least, load_balancer_spans_ads, placement_spans_ads
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource, Unknown

NODE_POOL = {"placements": "node_config_details.placement_configs"}


def make(kind: str, label: str, region: str | None = None, **attrs: Any) -> Resource:
    context: dict[str, Any] = {"scope": "/repo", "module": ""}
    if region:
        context["region"] = region
    return Resource(
        kind=kind,
        address=f"{kind}.{label}",
        attributes=attrs,
        provenance=Provenance(source="terraform"),
        context=context,
    )


def ad(i: int) -> Unknown:
    symbol = f"data.oci_identity_availability_domains.ads.availability_domains[{i}].name"
    return Unknown("data source", symbol=symbol)


def node_pool(*placements: dict[str, Any], region: str | None = None) -> Resource:
    details = [{"size": 3, "placement_configs": list(placements)}]
    return make("oci_containerengine_node_pool", "workers", region=region, node_config_details=details)


def placement(availability_domain: Any, **extra: Any) -> dict[str, Any]:
    return {"availability_domain": availability_domain, "subnet_id": "ocid1.subnet.oc1..x", **extra}


def spans(resource: Resource, **params: Any) -> Any:
    return placement_spans_ads(resource, ResourceIndex([resource]), {**NODE_POOL, **params})


@pytest.mark.parametrize(
    ("values", "n", "expected"),
    [
        (["Uocm:PHX-AD-1", "Uocm:PHX-AD-2"], 2, True),
        (["Uocm:PHX-AD-1", "uocm:phx-ad-1"], 2, False),
        ([ad(0), ad(1)], 2, True),
        ([ad(0), ad(0)], 2, False),
        ([Unknown("v", symbol="var.ad_a"), Unknown("v", symbol="var.ad_b")], 2, None),
        (["Uocm:PHX-AD-1", ad(0)], 2, None),
        ([Unknown("no symbol")], 2, False),
    ],
)
def test_distinct_at_least(values: list[Any], n: int, expected: bool | None) -> None:
    assert distinct_at_least(values, n) is expected


def test_node_pool_across_two_ads_passes() -> None:
    assert spans(node_pool(placement(ad(0)), placement(ad(1)))).result is True


def test_node_pool_in_one_ad_of_multi_ad_region_fails() -> None:
    outcome = spans(node_pool(placement("Uocm:EU-FRANKFURT-1-AD-1")))
    assert outcome.result is False
    assert outcome.path == "node_config_details.0.placement_configs.0.availability_domain"


def test_region_from_provider_context_decides_single_ad_case() -> None:
    single = node_pool(placement(ad(0)), region="eu-amsterdam-1")
    assert spans(single).result is True  # no fault_domains: OCI spreads over all three
    multi = node_pool(placement(ad(0)), region="us-ashburn-1")
    assert spans(multi).result is False


def test_single_ad_region_pinned_to_one_fault_domain_fails() -> None:
    pinned = node_pool(placement("Uocm:EU-AMSTERDAM-1-AD-1", fault_domains=["FAULT-DOMAIN-1"]))
    assert spans(pinned).result is False
    fds = ["FAULT-DOMAIN-1", "FAULT-DOMAIN-2"]
    spread = node_pool(placement("Uocm:EU-AMSTERDAM-1-AD-1", fault_domains=fds))
    assert spans(spread).result is True


def test_unknown_region_with_one_ad_is_unknown() -> None:
    assert spans(node_pool(placement(ad(0)))).result is None


def test_region_table_parameter_overrides_default() -> None:
    pool = node_pool(placement(ad(0)), region="xx-newregion-1")
    assert spans(pool).result is None
    assert spans(pool, region_ad_counts={"xx-newregion-1": 3}).result is False


def test_instance_pool_uses_its_own_path() -> None:
    pool = make("oci_core_instance_pool", "web", placement_configurations=[placement("Uocm:PHX-AD-1")])
    outcome = placement_spans_ads(pool, ResourceIndex([pool]), {"placements": "placement_configurations"})
    assert outcome.result is False


# ---------------------------------------------------------------------------- load balancers


def subnet_ref(label: str) -> Unknown:
    address = f"oci_core_subnet.{label}"
    return Unknown("after apply", nonnull=True, ref=address, symbol=f"{address}.id")


def lb_world(*subnets: Resource, region: str | None = None) -> tuple[Resource, ResourceIndex]:
    lb = make(
        "oci_load_balancer_load_balancer",
        "web",
        region=region,
        subnet_ids=[subnet_ref(s.address.split(".")[1]) for s in subnets],
    )
    return lb, ResourceIndex([lb, *subnets])


def test_load_balancer_in_regional_subnet_passes() -> None:
    lb, index = lb_world(make("oci_core_subnet", "public", cidr_block="10.0.0.0/24"))
    assert load_balancer_spans_ads(lb, index, {}).result is True


def test_load_balancer_in_one_ad_specific_subnet_fails() -> None:
    lb, index = lb_world(make("oci_core_subnet", "a", availability_domain="Uocm:US-ASHBURN-AD-1"))
    outcome = load_balancer_spans_ads(lb, index, {})
    assert outcome.result is False and outcome.path == "subnet_ids"


def test_load_balancer_across_two_ad_specific_subnets_passes() -> None:
    lb, index = lb_world(
        make("oci_core_subnet", "a", availability_domain=ad(0)),
        make("oci_core_subnet", "b", availability_domain=ad(1)),
    )
    assert load_balancer_spans_ads(lb, index, {}).result is True


def test_load_balancer_single_ad_region_passes_and_unresolved_subnet_is_unknown() -> None:
    lb, index = lb_world(make("oci_core_subnet", "a", availability_domain="Uocm:AP-TOKYO-1-AD-1"))
    assert load_balancer_spans_ads(lb, index, {}).result is True
    lonely = make("oci_load_balancer_load_balancer", "x", subnet_ids=["ocid1.subnet.oc1..aaa"])
    assert load_balancer_spans_ads(lonely, ResourceIndex([lonely]), {}).result is None
