"""Chart archives for the packaged-subchart tests, built here byte for byte.

``tgz`` writes a gzip-compressed tar the way ``helm package`` does (one top directory, regular
files), deterministically (mtime 0), and can also write what no honest archive holds: links,
devices, ``..`` names, duplicates, lying sizes. The two fixtures' archives are built from the
specs below (``MINIO``, ``ETCD``, ``COMMON``): ``test_helm_packaged.py`` checks that the committed
``.tgz`` files are exactly what these specs build, so the sources of every archive are readable
here, and rebuilding one is ``write_fixture_archives()``.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures" / "helm"

Member = tuple[str, "bytes | str | None", str]  # (name, content, kind: file|dir|symlink|hardlink|fifo|chr)


def tgz(members: list[Member] | dict[str, str], compresslevel: int = 9) -> bytes:
    """A gzip-compressed tar of ``members`` (a dict is files by name); deterministic."""
    if isinstance(members, dict):
        members = [(n, t, "file") for n, t in members.items()]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content, kind in members:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.mode = 0o644
            data = content.encode() if isinstance(content, str) else (content or b"")
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                continue
            info.type = {
                "dir": tarfile.DIRTYPE,
                "symlink": tarfile.SYMTYPE,
                "hardlink": tarfile.LNKTYPE,
                "fifo": tarfile.FIFOTYPE,
                "chr": tarfile.CHRTYPE,
            }[kind]
            if kind in ("symlink", "hardlink"):
                info.linkname = data.decode()
            tar.addfile(info)
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=compresslevel) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


# --- packaged-subcharts/charts/minio-8.0.17.tgz: shaped like the minio 8.0.17 archive milvus ships
MINIO = {
    "minio/Chart.yaml": "apiVersion: v1\nname: minio\nversion: 8.0.17\nappVersion: RELEASE.2021-02-14\n",
    "minio/values.yaml": """\
## distributed mode runs a StatefulSet of `replicas` pods
mode: standalone
replicas: 4
accessKey: ""
secretKey: ""
existingSecret: ""
## every pod on its own availability domain, unless switched off
affinity:
  anti_affinity: true
podDisruptionBudget:
  enabled: true
  maxUnavailable: 1
""",
    "minio/templates/statefulset.yaml": """\
{{- if eq .Values.mode "distributed" }}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .Release.Name }}-minio
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: minio
  template:
    metadata:
      labels:
        app: minio
    spec:
      {{- if .Values.affinity.anti_affinity }}
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - topologyKey: topology.kubernetes.io/zone
              labelSelector:
                matchLabels:
                  app: minio
      {{- end }}
      containers:
        - name: minio
          image: "minio/minio@sha256:0b3c6e8e8a5d0c8b0e2d1f9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c"
{{- end }}
""",
    "minio/templates/poddisruptionbudget.yaml": """\
{{- if .Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .Release.Name }}-minio
spec:
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      app: minio
{{- end }}
""",
    "minio/templates/secrets.yaml": """\
{{- if not .Values.existingSecret }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-minio
type: Opaque
data:
  accesskey: {{ .Values.accessKey | toString | b64enc | quote }}
  secretkey: {{ .Values.secretKey | toString | b64enc | quote }}
{{- end }}
""",
}

# --- packaged-etcd/charts/etcd-12.0.18.tgz's own charts/common-2.31.3.tgz (a library, bitnami's)
COMMON = {
    "common/Chart.yaml": "apiVersion: v2\nname: common\nversion: 2.31.3\ntype: library\n",
    "common/values.yaml": "exampleValue: common-chart\n",
    "common/templates/_names.tpl": '{{- define "common.names.fullname" -}}{{ .Release.Name }}{{- end -}}\n',
}

# --- packaged-etcd/charts/etcd-12.0.18.tgz: shaped like bitnami etcd 12.0.18 under apisix
ETCD = {
    "etcd/Chart.yaml": """\
apiVersion: v2
name: etcd
version: 12.0.18
dependencies:
  - name: common
    version: 2.x.x
    repository: oci://registry-1.docker.io/bitnamicharts
    tags:
      - bitnami-common
""",
    "etcd/values.yaml": """\
replicaCount: 1
## soft / hard: a preset anti-affinity on kubernetes.io/hostname; ignored when affinity is set
podAntiAffinityPreset: soft
affinity: {}
topologySpreadConstraints: []
pdb:
  create: true
  minAvailable: 51%
auth:
  rbac:
    create: true
    rootPassword: ""
""",
    "etcd/templates/statefulset.yaml": """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ include "common.names.fullname" . }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app.kubernetes.io/component: etcd
  template:
    metadata:
      labels:
        app.kubernetes.io/component: etcd
    spec:
      {{- if .Values.affinity }}
      affinity: {{- toYaml .Values.affinity | nindent 8 }}
      {{- else }}
      affinity:
        podAntiAffinity:
          {{- if eq .Values.podAntiAffinityPreset "soft" }}
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 1
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
                    app.kubernetes.io/component: etcd
          {{- end }}
      {{- end }}
      {{- if .Values.topologySpreadConstraints }}
      topologySpreadConstraints: {{- toYaml .Values.topologySpreadConstraints | nindent 8 }}
      {{- end }}
      containers:
        - name: etcd
          image: "bitnami/etcd@sha256:5c1f3e0d2b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d"
""",
    "etcd/templates/secrets.yaml": """\
{{- if .Values.auth.rbac.create }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "common.names.fullname" . }}
type: Opaque
data:
  etcd-root-password: {{ include "common.secrets.passwords.manage" (dict "secret" (include "common.names.fullname" .) "key" "etcd-root-password" "providedValues" (list "auth.rbac.rootPassword") "context" $) }}
{{- end }}
""",
    "etcd/templates/pdb.yaml": """\
{{- if .Values.pdb.create }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "common.names.fullname" . }}
spec:
  minAvailable: {{ .Values.pdb.minAvailable }}
  selector:
    matchLabels:
      app.kubernetes.io/component: etcd
{{- end }}
""",
}


def etcd_archive() -> bytes:
    """etcd-12.0.18.tgz, holding common-2.31.3.tgz under its own charts/ (an archive nested in
    an archive, as ``helm dependency build`` leaves it when the subchart's dependencies are
    packaged too)."""
    members: list[Member] = [(n, t, "file") for n, t in ETCD.items()]
    members.append(("etcd/charts/common-2.31.3.tgz", tgz(COMMON), "file"))
    return tgz(members)


FIXTURE_ARCHIVES = {
    FIX / "packaged-subcharts" / "charts" / "minio-8.0.17.tgz": lambda: tgz(MINIO),
    FIX / "packaged-etcd" / "charts" / "etcd-12.0.18.tgz": etcd_archive,
}


def write_fixture_archives() -> None:
    """Rebuild the fixtures' committed archives from the specs above."""
    for path, build in FIXTURE_ARCHIVES.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(build())
