"""Listed types that Search also offers (VCNs, security lists, NSGs, event rules, topics,
subscriptions, log groups, OIC, OAC) are listed only in the compartments where one search per
region finds them, instead of in every compartment; without Search's offer, in every compartment.
The same objects either way, against the emulator (the CIS example tenancy)."""

from __future__ import annotations

from live_helpers import write_config
from test_cis_collection import _inventory
from test_live_audit import at_of, collect

from scanner.sources.oci.specs import SPECS
from tests.emulator import OciEmulator
from tests.emulator.doc_types import BY_SEARCH

LOCATED = {s.type: s.located_by for s in SPECS if s.located_by}


def _run(tmp_path, api_key, doc, **kwargs):  # noqa: ANN001
    config = write_config(tmp_path, api_key[0], doc["tenancy_id"], doc["home_region"])
    with OciEmulator(doc, public_key_pem=api_key[1], **kwargs) as emu:
        snapshot = collect(emu, config, at_of(doc))
        lists = [(r.path, r.region, r.query.get("compartmentId", [""])[0]) for r in emu.requests]
    return snapshot, lists


def test_located_types_are_listed_only_where_they_are(tmp_path, api_key):
    assert LOCATED["core.Vcn"] == "Vcn" and LOCATED["events.Rule"] == "EventRule"
    doc = _inventory("cis-compliant.json")
    located, calls = _run(tmp_path, api_key, doc)
    offered = {t.search for t in BY_SEARCH.values()} - set(LOCATED.values())
    everywhere, calls_everywhere = _run(tmp_path, api_key, doc, search_types=offered)
    assert located.errors == [] and everywhere.errors == []
    for sdk_type in LOCATED:
        expected = sum(1 for r in doc["resources"] if r["type"] == sdk_type)
        got = sorted(str(r.ocid) for r in located.resources if r.type == sdk_type)
        assert got == sorted(str(r.ocid) for r in everywhere.resources if r.type == sdk_type), sdk_type
        assert len(got) == expected, sdk_type
    vcn_lists = {(region, comp) for path, region, comp in calls if path == "/20160918/vcns"}
    holding = {(r["region"], r["data"]["compartment_id"]) for r in doc["resources"] if r["type"] == "core.Vcn"}
    assert holding and vcn_lists == holding  # only where VCNs are
    assert len({c for c in calls_everywhere if c[0] == "/20160918/vcns"}) > len(vcn_lists)
