"""Named checks about where compute and load balancers are placed (availability rules OCI-HA-*).

Whether "one availability domain" is a finding depends on the region: most OCI regions have a
single AD, where the spread that matters is across fault domains. The region comes from the
provider (``resource.context["region"]``) or from the AD names themselves
(``Uocm:EU-FRANKFURT-1-AD-1``); the AD count per region is the parameter ``region_ad_counts``.

Distinct ADs are counted as the condition language's ``distinct`` does: unknown values whose
symbols differ only by a literal index (``ads[0]`` vs ``ads[1]``) are distinct; other unknowns
leave the count open.

Policies that call these checks: OCI-HA-001, OCI-HA-003, OCI-HA-005.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, Unknown, is_unknown

SUBNET_KIND = "oci_core_subnet"

# Regions and their number of availability domains. Overridable through the rule parameter;
# a region missing here is treated as unknown (the result then depends on the AD spread alone).
DEFAULT_REGION_AD_COUNTS: dict[str, int] = {
    "us-ashburn-1": 3,
    "us-phoenix-1": 3,
    "us-chicago-1": 3,
    "eu-frankfurt-1": 3,
    "uk-london-1": 3,
    "us-sanjose-1": 1,
    "ca-toronto-1": 1,
    "ca-montreal-1": 1,
    "sa-saopaulo-1": 1,
    "sa-vinhedo-1": 1,
    "sa-santiago-1": 1,
    "mx-queretaro-1": 1,
    "mx-monterrey-1": 1,
    "eu-amsterdam-1": 1,
    "eu-zurich-1": 1,
    "eu-milan-1": 1,
    "eu-marseille-1": 1,
    "eu-stockholm-1": 1,
    "eu-paris-1": 1,
    "eu-madrid-1": 1,
    "uk-cardiff-1": 1,
    "me-jeddah-1": 1,
    "me-dubai-1": 1,
    "me-abudhabi-1": 1,
    "il-jerusalem-1": 1,
    "af-johannesburg-1": 1,
    "ap-tokyo-1": 1,
    "ap-osaka-1": 1,
    "ap-seoul-1": 1,
    "ap-chuncheon-1": 1,
    "ap-mumbai-1": 1,
    "ap-hyderabad-1": 1,
    "ap-singapore-1": 1,
    "ap-sydney-1": 1,
    "ap-melbourne-1": 1,
}
# Region keys and legacy AD-name prefixes (``Uocm:PHX-AD-1``, ``Uocm:US-ASHBURN-AD-1``).
REGION_ALIASES = {
    "phx": "us-phoenix-1",
    "iad": "us-ashburn-1",
    "fra": "eu-frankfurt-1",
    "lhr": "uk-london-1",
    "ord": "us-chicago-1",
    "us-ashburn": "us-ashburn-1",
}
_AD_NAME = re.compile(r"^(?:[A-Za-z0-9]+:)?(?P<region>[A-Za-z0-9-]+?)-AD-\d+$", re.IGNORECASE)

Params = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Paths and distinct values


def walk(value: Any, path: str, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Values at a dotted ``path`` with their concrete paths, mapping over lists on the way
    (``node_config_details.placement_configs`` -> ``node_config_details.0.placement_configs.1``)."""
    if not path:
        yield prefix, value
        return
    head, _, rest = path.partition(".")
    if isinstance(value, list) and not head.isdigit():
        for i, item in enumerate(value):
            yield from walk(item, path, f"{prefix}{i}.")
        return
    if isinstance(value, dict) and head in value:
        yield from walk(value[head], rest, f"{prefix}{head}.")
    elif isinstance(value, list) and head.isdigit() and int(head) < len(value):
        yield from walk(value[int(head)], rest, f"{prefix}{head}.")


def elements(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Like ``walk``, but a list found at the end of the path yields its elements."""
    for concrete, found in walk(value, path):
        if isinstance(found, list):
            for i, item in enumerate(found):
                yield f"{concrete}{i}.", item
        else:
            yield concrete, found


def _concrete(path: str) -> str:
    return path.rstrip(".")


_INDEX = re.compile(r"\[(\d+)\]")


def distinct_at_least(values: list[Any], n: int) -> bool | None:
    """Whether ``values`` hold at least ``n`` distinct values: True, False or None (unknown).

    Literal strings compare case-insensitively. Unknowns with the same symbol are equal; those
    whose symbols differ only in literal indexes are distinct from each other; an unknown is
    otherwise not comparable to anything.
    """
    literals = {str(v).casefold() for v in values if v is not None and not is_unknown(v)}
    unknown_symbols: set[str] = set()
    anonymous = 0
    for v in values:
        if isinstance(v, Unknown):
            if v.symbol:
                unknown_symbols.add(v.symbol)
            else:
                anonymous += 1
    families: dict[str, set[str]] = {}
    for symbol in unknown_symbols:
        families.setdefault(_INDEX.sub("[#]", symbol), set()).add(symbol)
    largest_family = max((len(f) for f in families.values()), default=0)
    lower = max(len(literals), largest_family)
    upper = len(literals) + len(unknown_symbols) + anonymous
    if lower >= n:
        return True
    if upper < n:
        return False
    return None


# --------------------------------------------------------------------------------------------
# Regions


def region_of(resource: Resource, availability_domains: list[Any]) -> str | None:
    """The resource's region: the provider's, else the one its AD names spell, else None."""
    region = resource.context.get("region")
    if isinstance(region, str) and region:
        return _normalize_region(region)
    for ad in availability_domains:
        if isinstance(ad, str):
            m = _AD_NAME.match(ad.strip())
            if m:
                return _normalize_region(m.group("region"))
    return None


def _normalize_region(name: str) -> str:
    key = name.strip().lower()
    return REGION_ALIASES.get(key, key)


def region_ad_count(region: str | None, params: Params) -> int | None:
    """Number of ADs of ``region`` from the ``region_ad_counts`` parameter (None: not known)."""
    if region is None:
        return None
    table = params.get("region_ad_counts") or DEFAULT_REGION_AD_COUNTS
    counts = {str(k).lower(): v for k, v in table.items()}
    count = counts.get(region)
    if count is None and not region[-1:].isdigit():
        count = counts.get(f"{region}-1")
    return int(count) if count is not None else None


# --------------------------------------------------------------------------------------------
# Compute placement


@check("placement_spans_ads")
def placement_spans_ads(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-HA-001/003: placement configurations span at least ``min_ads`` ADs; in a region with
    fewer ADs than that, at least ``min_fault_domains`` fault domains.

    ``placements`` (with) is the path of the placement blocks, e.g.
    ``node_config_details.placement_configs``. A placement without ``fault_domains`` lets OCI
    spread over every fault domain of its AD, which satisfies the fault-domain test.
    """
    placements_path = str(params.get("placements", "placement_configurations"))
    min_ads = int(params.get("min_ads", 2))
    placements = list(elements(resource.attributes, placements_path))
    if not placements or all(not isinstance(p, dict) for _, p in placements):
        return Outcome(None, path=placements_path, detail="no placement configuration is known statically")
    ads = [p.get("availability_domain") for _, p in placements if isinstance(p, dict)]
    ad_path = f"{_concrete(placements[0][0])}.availability_domain"

    spread = distinct_at_least(ads, min_ads)
    if spread:
        return Outcome(True, path=ad_path)
    region = region_of(resource, ads)
    # A live inventory knows its regions' ADs; code relies on the parameter table.
    ad_count = resource.context.get("region_ad_count") or region_ad_count(region, params)
    if ad_count is None:
        return Outcome(
            None,
            path=ad_path,
            detail=f"placement is in fewer than {min_ads} known ADs and the "
            "region's number of ADs is not known",
        )
    if ad_count >= min_ads:
        if spread is None:
            return Outcome(None, path=ad_path, detail="the availability domains are not known statically")
        return Outcome(
            False,
            path=ad_path,
            detail=f"all nodes are in one availability domain of {region} ({ad_count} ADs)",
        )
    return _fault_domain_spread(placements, int(params.get("min_fault_domains", 2)), region)


def _fault_domain_spread(placements: list[tuple[str, Any]], min_fds: int, region: str | None) -> Outcome:
    fds: list[Any] = []
    for path, p in placements:
        if not isinstance(p, dict):
            continue
        value = p.get("fault_domains")
        fd_path = f"{_concrete(path)}.fault_domains"
        if value is None or value == []:
            return Outcome(True, path=fd_path)  # OCI spreads over all fault domains
        if is_unknown(value):
            return Outcome(None, path=fd_path, detail="fault_domains is not known statically")
        fds.extend(value if isinstance(value, list) else [value])
    result = distinct_at_least(fds, min_fds)
    path = f"{_concrete(placements[0][0])}.fault_domains"
    if result is False:
        return Outcome(
            False, path=path, detail=f"{region} has a single AD and the placement pins one fault domain"
        )
    return Outcome(result, path=path, detail=None if result else "the fault domains are not known statically")


# --------------------------------------------------------------------------------------------
# Load balancer subnets


def _subnets(resource: Resource, index: ResourceIndex, value: Any) -> list[Resource]:
    scope = resource.context.get("scope")
    return [r for r in index.referenced(value) if r.kind == SUBNET_KIND and r.context.get("scope") == scope]


@check("load_balancer_spans_ads")
def load_balancer_spans_ads(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-HA-005: a load balancer is not confined to one AD-specific subnet.

    Compliant when one of its subnets (``subnets`` path, default ``subnet_ids``) is regional (no
    ``availability_domain``), when its AD-specific subnets span ``min_ads`` ADs, or when the
    region has a single AD (its primary and standby then sit in different fault domains).
    """
    subnets_path = str(params.get("subnets", "subnet_ids"))
    min_ads = int(params.get("min_ads", 2))
    refs = [v for _, v in elements(resource.attributes, subnets_path)]
    if not refs or (len(refs) == 1 and is_unknown(refs[0]) and not refs[0].ref):
        return Outcome(None, path=subnets_path, detail="the subnets are not known statically")
    ads: list[Any] = []
    unresolved = False
    for ref in refs:
        subnets = _subnets(resource, index, ref)
        if len(subnets) != 1:
            unresolved = True
            continue
        attrs = subnets[0].attributes
        if attrs.get("availability_domain") is None:
            return Outcome(True, path=subnets_path, detail=f"{subnets[0].address} is regional")
        ads.append(attrs["availability_domain"])
    spread = distinct_at_least(ads, min_ads)
    if spread:
        return Outcome(True, path=subnets_path)
    if unresolved:
        return Outcome(None, path=subnets_path, detail="some subnets are not defined in this configuration")
    region = region_of(resource, ads)
    # A live inventory knows its regions' ADs; code relies on the parameter table.
    ad_count = resource.context.get("region_ad_count") or region_ad_count(region, params)
    if ad_count is None:
        return Outcome(None, path=subnets_path, detail="AD-specific subnets in a region of unknown AD count")
    if ad_count < min_ads:
        return Outcome(True, path=subnets_path, detail=f"{region} has a single availability domain")
    if spread is None:
        return Outcome(None, path=subnets_path, detail="the subnets' availability domains are not known")
    return Outcome(
        False, path=subnets_path, detail=f"every subnet is specific to one availability domain of {region}"
    )
