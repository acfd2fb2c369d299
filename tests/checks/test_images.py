"""OCI-SUP-403: images pinned by digest or by a tag of an immutable repository."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.checks.images import image_pinned, split_image
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource, Unknown

DIGEST = "sha256:" + "ab" * 32


def workload(*containers: dict[str, Any], kind: str = "k8s.Deployment") -> Resource:
    attrs = {"workload": {"kind": "Deployment", "containers": list(containers)}}
    return Resource(kind, "Deployment/api", attrs, Provenance("kubernetes"), {"scope": "/m"})


def repository(name: Any, immutable: Any) -> Resource:
    attrs = {"display_name": name, "is_immutable": immutable}
    return Resource(
        "oci_artifacts_container_repository", "r", attrs, Provenance("terraform"), {"scope": "/tf"}
    )


def judge(resource: Resource, *others: Resource, **params: Any) -> bool | None:
    return image_pinned(resource, ResourceIndex([resource, *others]), params).result


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", False),  # no tag: latest
        ("nginx:latest", False),
        ("nginx:1.27.2", False),  # a tag can be moved
        (f"nginx@{DIGEST}", True),
        (f"nginx:1.27.2@{DIGEST}", True),
        ("localhost:5000/app", False),  # the port is not a tag
        ("nginx@sha256:short", None),
        ("registry.example.com/app:${TAG}", None),  # filled in by the pipeline
    ],
)
def test_manifest_images(image: str, expected: bool | None) -> None:
    assert judge(workload({"name": "c", "image": image})) is expected


def test_version_tags_only_when_the_parameter_says():
    w = workload({"name": "c", "image": "nginx:1.27.2"})
    assert judge(w, accept_version_tags=True) is True
    assert judge(workload({"name": "c", "image": "nginx:stable"}), accept_version_tags=True) is False


def test_an_immutable_ocir_repository_makes_its_tags_fixed():
    w = workload({"name": "c", "image": "fra.ocir.io/bankns/payments/api:1.8.2"})
    assert judge(w, repository("payments/api", True)) is True
    assert judge(w, repository("payments/api", False)) is False
    assert judge(w, repository(Unknown("var"), True)) is None
    # latest is never fixed, even in an immutable repository
    assert (
        judge(
            workload({"name": "c", "image": "fra.ocir.io/bankns/payments/api"}),
            repository("payments/api", True),
        )
        is False
    )


def test_every_container_is_judged_one_finding_each():
    w = workload(
        {"name": "init", "image": "busybox"},
        {"name": "api", "image": f"api@{DIGEST}"},
        {"name": "x", "image": "x:1"},
    )
    outcome = image_pinned(w, ResourceIndex([w]), {})
    assert outcome.result is False and outcome.path == "workload.containers.0.image"
    assert [m.path for m in outcome.more] == ["workload.containers.2.image"]


def test_values_image_parts():
    left = {"repository": "app", "tag": Unknown("chart"), "digest": Unknown("chart")}
    assert judge(workload({"name": "c", "image_parts": left}, kind="helm.workload")) is None
    tagged = {"repository": "app", "tag": "1.0", "digest": None}
    assert judge(workload({"name": "c", "image_parts": tagged}, kind="helm.workload")) is False
    pinned = {"repository": Unknown("chart"), "tag": Unknown("chart"), "digest": DIGEST}
    assert judge(workload({"name": "c", "image_parts": pinned}, kind="helm.workload")) is True


def test_split_image():
    assert split_image("r.io:443/a/b:1@sha256:x") == ("r.io:443/a/b", "1", "sha256:x")
    assert split_image("r.io:443/a/b") == ("r.io:443/a/b", None, None)


def test_images_a_deploy_tool_replaces_are_unknown():
    w = workload({"name": "c", "image": "contacts"})
    skaffold = Resource(
        "k8s.Config",
        "Config/contacts",
        {"apiVersion": "skaffold/v4beta1", "profiles": [{"build": {"artifacts": [{"image": "contacts"}]}}]},
        Provenance("kubernetes"),
        {"scope": "/m"},
    )
    assert judge(w) is False
    assert judge(w, skaffold) is None
    kustomization = Resource(
        "k8s.Kustomization",
        "Kustomization/k",
        {"images": [{"name": "contacts", "newTag": "1.2.3"}]},
        Provenance("kubernetes"),
        {"scope": "/m"},
    )
    assert judge(w, kustomization) is None
