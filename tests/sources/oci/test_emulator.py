"""The API emulator is an independent witness: its type names come from the documentation, it
refuses what the service refuses, its permission model hides what a policy hides, and it cannot
send a field the SDK's model does not declare. Exercised through the real ``oci`` SDK."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import oci
import pytest
from live_helpers import ROOT

from scanner.sources.oci.auth import make_session
from scanner.sources.oci.specs import SPECS
from tests.emulator import OciEmulator
from tests.emulator.doc_types import BY_SEARCH, SERVICE_TYPES

EMULATOR = ROOT / "tests" / "emulator"


def _client(emu: OciEmulator, config: Path, class_path: str, region: str = "eu-frankfurt-1"):
    session = make_session("api_key", config, None, emu.endpoint)
    session.timeout = (5.0, 10.0)
    return session.client(class_path, region)


def _search(client, query: str, **kwargs):
    details = oci.resource_search.models.StructuredSearchDetails(
        type="Structured", query=query, matching_context_type="NONE"
    )
    return client.search_resources(search_details=details, **kwargs)


def test_the_emulator_imports_nothing_from_the_scanner():
    for path in EMULATOR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "scanner" for n in names), (path.name, names)


def test_every_search_type_the_collector_queries_is_spelled_as_documented():
    documented = {t.search for t in SERVICE_TYPES if t.search}
    queried = {s.search_type for s in SPECS if s.search_type}
    # Exact spelling: Search answers with this spelling and the collector compares it.
    assert queried <= documented, sorted(queried - documented)
    # Types the documentation does not list are collected by list calls, not by Search.
    assert not {"ClustersNodePool", "MysqlDbSystem", "StreamPool"} & queried


def test_search_rejects_undocumented_types_and_answers_with_the_documented_spelling(oci_config, tenancy_doc):
    with OciEmulator(tenancy_doc) as emu:
        client = _client(emu, oci_config, "resource_search.ResourceSearchClient")
        for bad in ("ClustersNodePool", "MysqlDbSystem", "StreamPool", "NoSuchThing"):
            with pytest.raises(oci.exceptions.ServiceError) as err:
                _search(client, f"query {bad} resources")
            assert (err.value.status, err.value.code) == (400, "InvalidParameter")
            # one bad name sinks the whole query, as the service does
            with pytest.raises(oci.exceptions.ServiceError):
                _search(client, f"query Bucket, {bad} resources")
        found = _search(client, "query devopsdeploypipeline resources").data.items
        assert found and {s.resource_type for s in found} == {"DevOpsDeployPipeline"}
        offered = client.list_resource_types().data
        assert {t.name for t in offered} == {t.search for t in BY_SEARCH.values()}


def test_lists_page_with_opaque_tokens(oci_config, tenancy_doc):
    with OciEmulator(tenancy_doc, page_size=2) as emu:
        client = _client(emu, oci_config, "identity.IdentityClient")
        first = client.list_users(compartment_id=tenancy_doc["tenancy_id"])
        token = first.headers["opc-next-page"]
        assert not token.isdigit()
        every = oci.pagination.list_call_get_all_results(
            client.list_users, compartment_id=tenancy_doc["tenancy_id"]
        ).data
        users = [r for r in tenancy_doc["resources"] if r["type"] == "identity.User"]
        assert len(first.data) == 2 and len(every) == len(users)
        with pytest.raises(oci.exceptions.ServiceError) as err:
            client.list_users(compartment_id=tenancy_doc["tenancy_id"], page="not-a-token")
        assert err.value.status == 400


def test_the_policy_decides_what_search_lists_and_what_a_get_returns(oci_config, tenancy_doc):
    bucket = next(
        r["data"]
        for r in tenancy_doc["resources"]
        if r["type"] == "object_storage.Bucket" and r["region"] == "eu-frankfurt-1"
    )
    inspect_only = ["Allow group Auditors to inspect all-resources in tenancy"]
    with OciEmulator(tenancy_doc, policy=inspect_only) as emu:
        search = _client(emu, oci_config, "resource_search.ResourceSearchClient")
        storage = _client(emu, oci_config, "object_storage.ObjectStorageClient")
        assert any(
            s.display_name == bucket["name"] for s in _search(search, "query Bucket resources").data.items
        )
        with pytest.raises(oci.exceptions.ServiceError) as err:
            storage.get_bucket(namespace_name="bankns", bucket_name=bucket["name"])
        assert (err.value.status, err.value.code) == (404, "NotAuthorizedOrNotFound")
    granted = inspect_only + ["Allow group Auditors to read object-family in compartment platform:apps"]
    with OciEmulator(tenancy_doc, policy=granted) as emu:
        storage = _client(emu, oci_config, "object_storage.ObjectStorageClient")
        apps = [
            r["data"]
            for r in tenancy_doc["resources"]
            if r["type"] == "object_storage.Bucket" and r["region"] == "eu-frankfurt-1"
        ]
        for data in apps:
            readable = data["compartment_id"] == "ocid1.compartment.oc1..aaaaaaaaapps"
            try:
                storage.get_bucket(namespace_name="bankns", bucket_name=data["name"])
                assert readable, data["name"]
            except oci.exceptions.ServiceError as exc:
                assert not readable and exc.status == 404, data["name"]
    with OciEmulator(tenancy_doc, policy=["Allow group Auditors to read users in tenancy"]) as emu:
        search = _client(emu, oci_config, "resource_search.ResourceSearchClient")
        assert _search(search, "query Bucket resources").data.items == []  # not even inspect


def test_statements_the_model_cannot_read_are_refused(tenancy_doc):
    with pytest.raises(ValueError, match="cannot read"):
        OciEmulator(
            tenancy_doc, policy=["Allow group A to read buckets in tenancy where target.bucket.name != 'x'"]
        )


def test_a_field_the_sdk_does_not_know_cannot_be_served(tenancy_doc):
    doc = copy.deepcopy(tenancy_doc)
    secret = next(r for r in doc["resources"] if r["type"] == "vault.Secret")
    secret["data"]["rotation_everything_fine"] = True
    with pytest.raises(ValueError, match="rotation_everything_fine"):
        OciEmulator(doc)
    doc = copy.deepcopy(tenancy_doc)
    doc["resources"].append({"type": "core.Teapot", "region": "eu-frankfurt-1", "data": {"id": "x"}})
    with pytest.raises(ValueError, match="core.Teapot"):
        OciEmulator(doc)


def test_example_snapshot_is_regenerated_by_an_audit():
    from example_snapshot import EXAMPLE_SNAPSHOT, collect_example

    assert collect_example() == EXAMPLE_SNAPSHOT.read_text(encoding="utf-8"), (
        "run: .venv/bin/python tests/sources/oci/example_snapshot.py"
    )
    # The input holds objects of every collected type; the snapshot says which types it collected.
    snapshot = json.loads(EXAMPLE_SNAPSHOT.read_text(encoding="utf-8"))
    domain_lists = [rel.name for s in SPECS if s.scope == "domains" for rel in s.related]
    assert sorted(snapshot["collected"]) == sorted([s.type for s in SPECS] + domain_lists)
