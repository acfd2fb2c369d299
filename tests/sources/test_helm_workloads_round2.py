"""Workload decisions left after heldout14 that the tuning splits showed (issue 17, round 2),
each with a fixture shaped like its chart (``fixtures/helm/README.md``)."""

from __future__ import annotations

from pathlib import Path

from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)
from helm_scan import findings_by_address as _findings

from scanner.model import Status
from scanner.sources.helm.workload import is_ingress_nginx_controller


def test_nginx_incs_ingress_controller_is_judged_as_the_ingress_controller():
    """NGINX Inc's nginx-ingress chart (heldout11): `controller.image.repository:
    nginx/nginx-ingress` is the NGINX ingress controller every request passes: OCI-HA-105 judges
    it, and OCI-HA-101 does not judge it a second time."""
    got = _findings(FIX / "nginx-inc-ingress", "OCI-HA-101", "OCI-HA-105")
    base = got[("OCI-HA-105", "edge-ingress/controller[base]")]
    assert base.status is Status.FAILED
    assert (Path(base.location.file).name, base.location.start_line) == ("values.yaml", 7)
    assert got[("OCI-HA-105", "edge-ingress/controller[prod]")].status is Status.PASSED
    assert not [k for k in got if k[0] == "OCI-HA-101"]


def test_the_same_images_make_a_manifest_an_ingress_controller(tmp_path: Path):
    (tmp_path / "edge.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: edge\nspec:\n  replicas: 1\n"
        "  template:\n    spec:\n      containers:\n        - name: c\n"
        "          image: private-registry.nginx.com/nginx-ic/nginx-plus-ingress:5.1.0\n"
    )
    got = _findings(tmp_path, "OCI-HA-101", "OCI-HA-105")
    assert [(k[0], f.status) for k, f in got.items()] == [("OCI-HA-105", Status.FAILED)]


def test_an_image_is_the_controller_by_its_name_not_by_a_word_inside_it():
    assert is_ingress_nginx_controller({}, ["nginx/nginx-ingress:5.1.0"])
    assert is_ingress_nginx_controller({}, ["registry:5000/nginx-ingress@sha256:abc"])
    assert is_ingress_nginx_controller({}, ["registry.k8s.io/ingress-nginx/controller:v1.12.0"])
    assert not is_ingress_nginx_controller({}, ["nginx:1.27", "example/nginx-ingress-docs:1"])


def test_a_count_a_template_multiplies_by_one_is_at_the_value_that_gives_it(tmp_path: Path):
    """minio (heldout11): `$replicas := mul $poolCount $nodeCount` with `pools: 1`: the count is
    `replicas: 4` itself, so a workload with no spread is at that line; two pools make a count no
    value gives, decided by the template at its `replicas:` line."""
    got = _findings(FIX / "computed-replicas", "OCI-HA-102")
    spread = got[("OCI-HA-102", "object-store/statefulset[base]")]
    assert spread.status is Status.FAILED
    assert (Path(spread.location.file).name, spread.location.start_line) == ("values.yaml", 2)
    chart = tmp_path / "object-store"
    chart.mkdir()
    for f in (FIX / "computed-replicas").rglob("*"):
        if f.is_file() and f.name != "values-single.yaml":
            (chart / f.relative_to(FIX / "computed-replicas")).parent.mkdir(parents=True, exist_ok=True)
            (chart / f.relative_to(FIX / "computed-replicas")).write_text(f.read_text())
    (chart / "values-pools.yaml").write_text("pools: 2\n")
    got = _findings(chart, "OCI-HA-102")
    two = got[("OCI-HA-102", "object-store/statefulset[pools]")]
    assert two.status is Status.FAILED  # 8 pods, no spread
    assert (Path(two.location.file).name, two.location.start_line) == ("statefulset.yaml", 11)


def test_a_charts_own_tests_are_not_manifests_but_a_key_in_them_is_found():
    """headlamp (heldout12): `tests/expected_templates/*.yaml` hold the chart rendered with test
    values, compared by the chart's CI and never applied: no workload, env or Secret rule judges
    them (the chart itself is judged from its templates); a private key written there is still a
    private key in the repository (OCI-SEC-007 reads every file)."""
    rules = ("OCI-HA-101", "OCI-HA-102", "OCI-HA-103", "OCI-SEC-102", "OCI-SEC-103", "OCI-SEC-007")
    got = _findings(FIX / "chart-tests", *rules)
    from_tests = {
        (rule, Path(f.location.file).name)
        for (rule, _), f in got.items()
        if "/tests/" in f.location.file and f.status is Status.FAILED
    }
    assert from_tests == {("OCI-SEC-007", "oidc-directly.yaml")}
    assert got[("OCI-HA-101", "cluster-ui[base]")].status is Status.PASSED  # the chart's 2 replicas
    assert got[("OCI-HA-102", "cluster-ui[base]")].status is Status.PASSED
