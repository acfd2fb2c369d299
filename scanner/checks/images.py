"""Named checks on the container images a workload runs: pinned by digest, or by a tag that
cannot move.

A tag is a pointer the registry lets anyone with push rights move; ``latest`` (written, or implied
by an image without a tag) moves on every push. A digest names the bytes. A tag is fixed only in a
repository that refuses overwrites: an ``oci_artifacts_container_repository`` declared
``is_immutable = true`` (joined across the scan's Terraform roots by the OCIR path
``<region>.ocir.io/<namespace>/<display_name>``, since the registry serves every cluster).

Policies that call these checks: OCI-SUP-403.
"""

from __future__ import annotations

import re
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown

Params = dict[str, Any]
REPOSITORY_KIND = "oci_artifacts_container_repository"
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_VERSION = re.compile(r"^v?\d+(\.\d+){1,3}([-+][0-9A-Za-z.-]+)?$")
_OCIR = re.compile(r"^[a-z0-9-]+\.ocir\.io/[^/]+/(?P<path>.+)$")
_PLACEHOLDER = re.compile(r"\$\{|\$\(|\{\{|<[A-Za-z_]+>")


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """``registry/repo:tag@sha256:d`` -> (repository, tag or None, digest or None). A colon in
    the registry's host:port is not a tag."""
    rest, _, digest = image.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest or None
    return rest, None, digest or None


def _immutable_repositories(index: ResourceIndex) -> tuple[set[str], bool]:
    """Display names of OCIR repositories declared immutable anywhere in the scan, and whether
    some repository's name or setting is not known statically."""
    names: set[str] = set()
    unsure = False
    for repo in index.by_kind(REPOSITORY_KIND):
        name, immutable = repo.attributes.get("display_name"), repo.attributes.get("is_immutable")
        if is_unknown(name) or is_unknown(immutable):
            unsure = True
        elif immutable in (True, "true") and isinstance(name, str):
            names.add(name)
    return names, unsure


def _artifacts(node: Any, found: set[str], depth: int = 0) -> None:
    """Image names under any ``artifacts: [{image: ...}]`` of a skaffold configuration (``build``
    and each profile's ``build``)."""
    if depth > 8:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "artifacts" and isinstance(value, list):
                found.update(str(a["image"]) for a in value if isinstance(a, dict) and a.get("image"))
            else:
                _artifacts(value, found, depth + 1)
    elif isinstance(node, list):
        for item in node:
            _artifacts(item, found, depth + 1)


def rewritten_images(index: ResourceIndex) -> set[str]:
    """Image names a deploy tool replaces before the manifest reaches a cluster: artifacts that
    skaffold builds (and deploys by digest or its own tag), and ``images:`` entries of a
    Kustomization (``newTag`` / ``digest``). As written in the repository they say nothing of
    what runs."""
    found: set[str] = set()
    for config in index.by_kind("k8s.Config"):
        if str(config.attributes.get("apiVersion", "")).startswith("skaffold/"):
            _artifacts(config.attributes, found)
    for kustomization in index.by_kind("k8s.Kustomization"):
        images = kustomization.attributes.get("images")
        for entry in images if isinstance(images, list) else []:
            if isinstance(entry, dict) and entry.get("name") and (entry.get("newTag") or entry.get("digest")):
                found.add(str(entry["name"]))
    return found


def _judge(
    repository: Any, tag: Any, digest: Any, params: Params, immutable: tuple[set[str], bool]
) -> tuple[bool | None, str]:
    if isinstance(digest, str) and digest:
        if _DIGEST.match(digest):
            return True, "pinned by digest"
        return None, f"digest {digest!r} is not a sha256 digest"
    if tag is None or tag == "latest":
        return False, "no tag: latest" if tag is None else "tag latest"
    if digest is None and is_unknown(tag) and not params.get("accept_version_tags", False):
        # no digest for certain; whatever tag the chart picks (its appVersion) can be moved
        if not (isinstance(repository, str) and _OCIR.match(repository)):
            return False, "no digest; the tag is the chart's default"
    if is_unknown(tag) or is_unknown(digest) or is_unknown(repository):
        return None, "tag or digest left to the chart's defaults"
    repo = str(repository)
    m = _OCIR.match(repo)
    names, unsure = immutable
    if m and m.group("path") in names:
        return True, f"tag {tag!r} of an immutable OCIR repository"
    if params.get("accept_version_tags", False) and _VERSION.match(str(tag)):
        return True, f"version tag {tag!r} (accept_version_tags)"
    if m and unsure:
        return None, "a container repository's immutability is not known statically"
    return False, f"tag {tag!r} can be moved: no digest, not an immutable repository"


def _containers(resource: Resource) -> list[dict[str, Any]]:
    workload = resource.attributes.get("workload")
    containers = workload.get("containers") if isinstance(workload, dict) else None
    return [c for c in containers if isinstance(c, dict)] if isinstance(containers, list) else []


@check("image_pinned")
def image_pinned(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-SUP-403: every container and init container runs an image pinned by a sha256 digest,
    or by a tag of an OCIR repository declared immutable in Terraform; with
    ``accept_version_tags`` a version tag (``1.4.2``, ``v2.0``) is enough. An untagged image is
    ``latest``. Images written with placeholders (``${TAG}``), and images a skaffold configuration
    builds or a Kustomization's ``images:`` retags, are unknown: the deployed name differs."""
    failures: list[Outcome] = []
    unknown: Outcome | None = None
    immutable = _immutable_repositories(index)
    rewritten = rewritten_images(index)
    judged = False
    for n, container in enumerate(_containers(resource)):
        path = f"workload.containers.{n}.image"
        parts = container.get("image_parts")
        if isinstance(parts, dict):
            result, detail = _judge(
                parts.get("repository"), parts.get("tag"), parts.get("digest"), params, immutable
            )
        else:
            image = container.get("image")
            if is_unknown(image) or not isinstance(image, str) or not image.strip():
                unknown = unknown or Outcome(None, path=path, detail="image not known")
                continue
            if _PLACEHOLDER.search(image):
                unknown = unknown or Outcome(None, path=path, detail=f"image {image!r} is filled in later")
                continue
            repository, tag, digest = split_image(image.strip())
            if repository in rewritten:
                unknown = unknown or Outcome(
                    None,
                    path=path,
                    detail=f"image {repository!r} is replaced at deploy (skaffold or kustomize)",
                )
                continue
            result, detail = _judge(repository, tag, digest, params, immutable)
        judged = True
        name = container.get("name") or n
        if result is False:
            failures.append(Outcome(False, path=path, detail=f"container {name}: {detail}"))
        elif result is None:
            unknown = unknown or Outcome(None, path=path, detail=f"container {name}: {detail}")
    if failures:
        first, *rest = failures
        return Outcome(False, path=first.path, detail=first.detail, more=tuple(rest))
    if unknown is not None:
        return unknown
    if not judged:
        return Outcome(True, path="workload", detail="no container image to judge")
    return Outcome(True, path="workload.containers", detail="every image pinned")
