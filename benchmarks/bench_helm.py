#!/usr/bin/env python3
"""Time ocisec on Helm charts and Kubernetes manifests, side by side with Checkov.

Generates, in a temporary directory outside the repository, 500 manifest files (a Deployment and
a Service each; every fifth also a PodDisruptionBudget and a HorizontalPodAutoscaler, every third
a ConfigMap) and 100 charts (``Chart.yaml``, ``values.yaml``, a production override, templates;
every fourth with a ``values.schema.json``). Then measures, in one run:

* ocisec cold on everything (500 manifests + 100 charts): ``ocisec scan DIR --no-cache``
  (target ≤ 1.5 s);
* ocisec cold on the 500 manifests alone, and
* Checkov on the same 500 manifests: ``checkov -d DIR --framework kubernetes`` (target: ocisec
  ≥ 10× faster), from its own virtualenv (``--checkov PATH``, ``$CHECKOV_BIN``, ``$CHECKOV_VENV``
  or ``benchmarks/.venv-checkov``); without Checkov its part is skipped with a message.

Medians of ``--runs`` runs; peak RSS per child process. Usage::

    python benchmarks/bench_helm.py
    python benchmarks/bench_helm.py --checkov /work/venvs/checkov/bin/checkov --runs 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCHMARKS_DIR = Path(__file__).resolve().parent
MANIFESTS = 500
CHARTS = 100
COLD_TARGET_SECONDS = 1.5
CHECKOV_RATIO_TARGET = 10.0


def _harness() -> Any:
    """The Terraform benchmark's process runner and tool lookup (one implementation)."""
    spec = importlib.util.spec_from_file_location("bench_vs_checkov", BENCHMARKS_DIR / "bench_vs_checkov.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --- corpus --------------------------------------------------------------------------------------
def manifest_text(i: int) -> str:
    """One manifest file: a Deployment and its Service, sometimes a PDB, HPA and ConfigMap."""
    name = f"svc-{i:03d}"
    replicas = 1 + i % 4
    spread = (
        "      topologySpreadConstraints:\n"
        "        - maxSkew: 1\n          topologyKey: topology.kubernetes.io/zone\n"
        "          whenUnsatisfiable: ScheduleAnyway\n"
        f"          labelSelector: {{matchLabels: {{app: {name}}}}}\n"
        if i % 2
        else ""
    )
    env_secret = (
        f"            - name: DB_PASSWORD\n              value: generated-password-{i:05d}\n"
        if i % 7 == 0
        else "            - name: DB_PASSWORD\n              valueFrom:\n"
        f"                secretKeyRef: {{name: {name}-db, key: password}}\n"
    )
    docs = [
        f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: team-{i % 10}
  labels: {{app: {name}, tier: backend}}
spec:
  replicas: {replicas}
  strategy:
    type: {"Recreate" if i % 11 == 0 else "RollingUpdate"}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, tier: backend}}
    spec:
      serviceAccountName: {name}
{spread}      containers:
        - name: app
          image: fra.ocir.io/bank/{name}:1.{i % 9}.0
          ports:
            - containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
{env_secret}          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: "1", memory: 512Mi}}
          readinessProbe:
            httpGet: {{path: /healthz, port: 8080}}
""",
        f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: team-{i % 10}
spec:
  selector: {{app: {name}}}
  ports:
    - port: 80
      targetPort: 8080
""",
    ]
    if i % 5 == 0:
        docs.append(
            f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
  namespace: team-{i % 10}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {{app: {name}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: team-{i % 10}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}
  minReplicas: 2
  maxReplicas: 10
"""
        )
    if i % 3 == 0:
        docs.append(
            f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: team-{i % 10}
data:
  LOG_LEVEL: info
  application.properties: |
    server.port=8080
    feature.flags=a,b,c
"""
        )
    return "---\n".join(docs)


CHART_TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          env: {{- toYaml .Values.env | nindent 12 }}
"""


def chart_files(i: int) -> dict[str, str]:
    """The files of one generated chart."""
    token = (
        f"value: generated-token-{i:05d}"
        if i % 9 == 0
        else "valueFrom: {secretKeyRef: {name: api, key: token}}"
    )
    values = f"""replicaCount: {1 + i % 3}
image:
  repository: fra.ocir.io/bank/chart-{i:03d}
  tag: "1.{i % 7}.0"
serviceAccount:
  name: chart-{i:03d}
strategy:
  type: RollingUpdate
  rollingUpdate: {{maxUnavailable: 1, maxSurge: 1}}
podDisruptionBudget:
  enabled: {"true" if i % 2 else "false"}
  maxUnavailable: 1
autoscaling:
  enabled: false
  minReplicas: 2
  maxReplicas: 6
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: {"topology.kubernetes.io/zone" if i % 3 else "kubernetes.io/hostname"}
          labelSelector: {{matchLabels: {{app: chart-{i:03d}}}}}
env:
  - name: LOG_LEVEL
    value: info
  - name: API_TOKEN
    {token}
database:
  existingSecret: chart-{i:03d}-db
  host: db-{i:03d}.bank.example
config:
  LOG_LEVEL: info
ingress:
  enabled: true
  className: nginx
  hosts:
    - host: chart-{i:03d}.bank.example
  tls:
    - secretName: chart-{i:03d}-tls
      hosts: [chart-{i:03d}.bank.example]
resources:
  requests: {{cpu: 100m, memory: 128Mi}}
"""
    files = {
        "Chart.yaml": f"apiVersion: v2\nname: chart-{i:03d}\nversion: 0.1.{i}\n",
        "values.yaml": values,
        "values-production.yaml": "replicaCount: 4\nautoscaling:\n  enabled: true\n  minReplicas: 4\n",
        "templates/deployment.yaml": CHART_TEMPLATE,
        "templates/configmap.yaml": "kind: ConfigMap\ndata: {{- toYaml .Values.config | nindent 2 }}\n",
        "templates/secret.yaml": "{{- if not .Values.database.existingSecret }}\nkind: Secret\n{{- end }}\n",
        "templates/_helpers.tpl": '{{- define "name" -}}{{ .Chart.Name }}{{- end -}}\n',
    }
    if i % 4 == 0:
        files["values.schema.json"] = json.dumps(
            {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "required": ["replicaCount"],
                "properties": {"replicaCount": {"type": "integer", "minimum": 1}},
            }
        )
    return files


def generate(root: Path) -> tuple[Path, Path]:
    """Write the corpus under ``root``; returns (all, manifests only)."""
    manifests = root / "corpus" / "manifests"
    manifests.mkdir(parents=True)
    for i in range(MANIFESTS):
        (manifests / f"svc-{i:03d}.yaml").write_text(manifest_text(i))
    for i in range(CHARTS):
        chart = root / "corpus" / "charts" / f"chart-{i:03d}"
        for rel, text in chart_files(i).items():
            (chart / rel).parent.mkdir(parents=True, exist_ok=True)
            (chart / rel).write_text(text)
    return root / "corpus", manifests


# --- measuring -----------------------------------------------------------------------------------
def run_once(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one child process.

    CPU time is reported beside wall time because on a shared machine the wall time of a
    single-threaded scan includes waiting for a core; the CPU time does not.
    """
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.DEVNULL)  # noqa: S603
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        raise SystemExit(f"`{' '.join(argv)}` exited with {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def time_runs(argv: list[str], runs: int) -> dict[str, Any]:
    """Median wall and CPU time and peak RSS of ``runs`` runs of ``argv`` (exit 0 or 1 accepted)."""
    measured = [run_once(argv) for _ in range(runs)]
    return {
        "median_seconds": statistics.median(m[0] for m in measured),
        "median_cpu_seconds": statistics.median(m[1] for m in measured),
        "runs": [round(m[0], 3) for m in measured],
        "peak_rss_mib": max(m[2] for m in measured) / 1024,
    }


def resolve_checkov(harness: Any, path: str | None) -> list[str] | None:
    """Checkov from --checkov, $CHECKOV_BIN, $CHECKOV_VENV / benchmarks/.venv-checkov or PATH."""
    path = path or os.environ.get("CHECKOV_BIN")
    try:
        return harness.resolve_checkov(path)
    except harness.BenchmarkError as exc:
        print(f"Checkov skipped: {exc}", file=sys.stderr)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the corpus, time both tools, print the figures; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ocisec", help="ocisec command (default: on PATH or beside this Python)")
    parser.add_argument("--checkov", help="checkov executable (default: $CHECKOV_BIN, $CHECKOV_VENV)")
    parser.add_argument("--runs", type=int, default=5, help="ocisec runs per measurement (default 5)")
    parser.add_argument("--checkov-runs", type=int, default=1, help="checkov runs (default 1)")
    parser.add_argument("--skip-checkov", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpus and print its path")
    args = parser.parse_args(argv)
    harness = _harness()
    ocisec = harness.resolve_ocisec(args.ocisec)
    tmp = Path(tempfile.mkdtemp(prefix="ocisec-bench-helm-"))
    try:
        everything, manifests = generate(tmp)
        scan = [*ocisec, "scan", "--format", "json", "--output", os.devnull, "--no-cache"]
        run_once([*scan, str(everything)])  # untimed: fills the OS page cache, as on a developer's machine
        results: dict[str, Any] = {
            "corpus": {"manifest_files": MANIFESTS, "charts": CHARTS},
            "ocisec_all": time_runs([*scan, str(everything)], args.runs),
            "ocisec_manifests": time_runs([*scan, str(manifests)], args.runs),
        }
        checkov = None if args.skip_checkov else resolve_checkov(harness, args.checkov)
        if checkov is not None:
            cmd = [*checkov, "-d", str(manifests), "--framework", "kubernetes", "--quiet", "-o", "json"]
            results["checkov_manifests"] = time_runs(cmd, args.checkov_runs)
            results["checkov_version"] = harness.tool_version(checkov)
        print(render(results))
        if args.keep:
            print(f"corpus kept at {tmp}")
        return 0 if targets_met(results) else 1
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def targets_met(results: dict[str, Any]) -> bool:
    """Cold time within target, and (when Checkov ran) the speed ratio too."""
    ok = results["ocisec_all"]["median_seconds"] <= COLD_TARGET_SECONDS
    if "checkov_manifests" in results:
        ok = ok and ratio(results) >= CHECKOV_RATIO_TARGET
    return ok


def ratio(results: dict[str, Any]) -> float:
    """How many times faster ocisec scans the 500 manifests than Checkov."""
    return results["checkov_manifests"]["median_seconds"] / results["ocisec_manifests"]["median_seconds"]


def render(results: dict[str, Any]) -> str:
    """The figures as a small text table."""
    lines = [f"corpus: {MANIFESTS} manifest files + {CHARTS} charts (generated, outside the repository)"]
    rows = [
        ("ocisec cold, 500 manifests + 100 charts", results["ocisec_all"], COLD_TARGET_SECONDS),
        ("ocisec cold, 500 manifests", results["ocisec_manifests"], None),
    ]
    if "checkov_manifests" in results:
        rows.append(
            (f"checkov {results.get('checkov_version') or ''} --framework kubernetes, 500 manifests".strip(),
             results["checkov_manifests"], None)
        )  # fmt: skip
    for label, timing, target in rows:
        verdict = "" if target is None else (" ok" if timing["median_seconds"] <= target else " MISSED")
        lines.append(
            f"  {label:<62} {timing['median_seconds']:7.2f} s wall, {timing['median_cpu_seconds']:6.2f} s CPU"
            f"  (runs {timing['runs']}, "
            f"peak {timing['peak_rss_mib']:.0f} MiB){verdict}"
            + (f"  target ≤ {target} s" if target else "")
        )
    if "checkov_manifests" in results:
        r = ratio(results)
        verdict = "ok" if r >= CHECKOV_RATIO_TARGET else "MISSED"
        lines.append(
            f"  ocisec is {r:.1f}× faster than checkov on the same manifests ({verdict}, target ≥ 10×)"
        )
    else:
        lines.append("  checkov not measured")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
