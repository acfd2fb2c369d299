"""Which files a kustomization names as patches: partial objects, not objects of their own.

A kustomize overlay keeps its patches as YAML files shaped like objects (argocd-example-apps'
``plugins/kustomized-helm/overlays/guestbook-deployment.yaml``: a Deployment with a name and an
image, no selector, no replicas). kubectl never applies such a file alone: kustomize merges it
into the object it patches. Read as a Deployment of its own it would run "one replica".

A file is a patch when a kustomization in its directory or a directory above it (up to the scan
root) lists it under ``patches:`` (``- path: x`` or ``- x``), ``patchesStrategicMerge:`` or
``patchesJson6902:``, and no kustomization lists it under ``resources:`` (a resource is an object
whatever else names it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scanner.sources.helm.yamlmarks import YamlInputError, load_yaml_documents, read_yaml_text

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_PATCH_FIELDS = ("patches", "patchesStrategicMerge", "patchesJson6902")


def _named_paths(entries: Any, field: str) -> list[str]:
    """The file paths a kustomization field lists: plain strings, or ``path:`` of a mapping (an
    inline patch, a multi-line string, is no file)."""
    out: list[str] = []
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, str) and "\n" not in entry.strip():
            out.append(entry.strip())
        elif isinstance(entry, dict) and field != "resources" and isinstance(entry.get("path"), str):
            out.append(entry["path"].strip())
    return out


def _read_kustomization(directory: Path) -> tuple[set[str], set[str]]:
    """(patch files, resource files) a kustomization in ``directory`` names, as absolute paths;
    empty when there is none or it cannot be read (the file's own reading reports that)."""
    for name in KUSTOMIZATION_NAMES:
        path = directory / name
        if not path.is_file():
            continue
        try:
            docs = load_yaml_documents(read_yaml_text(path))
        except YamlInputError:
            return set(), set()
        data = docs[0].data if docs else None
        if not isinstance(data, dict):
            return set(), set()
        patches = {p for f in _PATCH_FIELDS for p in _named_paths(data.get(f), f)}
        resources = set(_named_paths(data.get("resources"), "resources"))
        resolve = lambda rel: os.path.normpath(os.path.join(directory, rel))  # noqa: E731
        return {resolve(p) for p in patches}, {resolve(r) for r in resources}
    return set(), set()


class KustomizePatches:
    """Answers "is this file a kustomize patch?" for the files of one scan, reading each
    directory's kustomization once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self._dirs: dict[Path, tuple[set[str], set[str]]] = {}

    def _named(self, directory: Path) -> tuple[set[str], set[str]]:
        if directory not in self._dirs:
            self._dirs[directory] = _read_kustomization(directory)
        return self._dirs[directory]

    def is_patch(self, path: Path) -> bool:
        """True when a kustomization at or above ``path``'s directory (within the scan root)
        names it as a patch and none names it as a resource."""
        absolute = os.path.abspath(path)
        patch = False
        directory = Path(absolute).parent
        while True:
            patches, resources = self._named(directory)
            if absolute in resources:
                return False
            patch = patch or absolute in patches
            if directory == self.root or directory.parent == directory or self.root not in directory.parents:
                return patch
            directory = directory.parent
