"""Run Oracle's ``cis_reports.py`` (unmodified, kept OUTSIDE this repository) against the loopback
API emulator serving an example tenancy, so that its verdicts can be set beside ocisec's on the
same data (``benchmarks/cis_reports_compare.py`` drives this and writes the comparison).

Run it with the Python of a separate virtualenv holding cis_reports.py's own requirements
(``oci``, ``pytz``, ``requests``), never ocisec's::

    python3 -m venv /work/corpus/cis/venv
    /work/corpus/cis/venv/bin/pip install oci pytz requests cryptography
    /work/corpus/cis/venv/bin/python benchmarks/cis_reports_run.py \\
        --cis-reports /work/corpus/cis/cis_reports.py --inventory fixtures/live/tenancy.json --out DIR

What is patched, and why (nothing of cis_reports.py's logic):

* ``oci.regions.endpoint_for``: every SDK client built from a config's region talks to the
  emulator's ``http://127.0.0.1:PORT/<region>`` instead of ``https://<service>.<region>.oci...``;
  clients built with an explicit ``service_endpoint`` (identity domains, vault management) get the
  emulator's URLs from the objects it serves.
* The class-level clock of ``CIS_Report`` (``start_datetime`` and the age limits computed from it
  when the module is imported) is set to the inventory's ``collected_at``, the instant ocisec's
  audit of the same snapshot judges ages against; otherwise the two would judge key and password
  ages on different days.
* Inventory objects that lack ``time_created`` (ocisec's fixtures leave out what no rule reads;
  the API always sends it) get the inventory's ``collected_at``, which cis_reports.py formats
  without checking for None.
* The signer is an API-key signer with a key generated for the run (the emulator only checks that
  requests are signed).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the emulator (tests/emulator imports nothing from scanner)


def _load(path: Path):  # noqa: ANN202 - a module object
    spec = importlib.util.spec_from_file_location("cis_reports", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _freeze_clock(report_class: type, at: datetime.datetime) -> None:
    """Recompute the age limits cis_reports.py computes at import time, from ``at``."""
    fmt = "%Y-%m-%dT%H:%M:%S"

    def naive(value: datetime.datetime) -> datetime.datetime:
        return datetime.datetime.strptime(value.strftime(fmt), fmt)

    report_class.start_datetime = at
    report_class.start_time_str = at.strftime(fmt)
    report_class.report_datetime = at.strftime("%Y-%m-%d_%H-%M-%S")
    days_old = report_class._DAYS_OLD
    kms_days = getattr(report_class, "_CIS_Report__KMS_DAYS_OLD", 365)
    expiry_days = getattr(report_class, "_CIS_Report__days_to_expiry", 30)
    used_days = getattr(report_class, "_CIS_Report__days_used", 45)
    report_class.api_key_time_max_datetime = naive(at - datetime.timedelta(days=days_old))
    report_class.kms_key_time_max_datetime = naive(at - datetime.timedelta(days=kms_days))
    report_class.cert_key_time_max_datetime = naive(at + datetime.timedelta(days=expiry_days))
    report_class.local_user_time_max_datetime = naive(at - datetime.timedelta(days=used_days))


def _complete(doc: dict) -> list[str]:
    """Give every object whose SDK model declares ``time_created`` one (``collected_at``) when the
    inventory leaves it out; returns the types that were completed."""
    import oci

    from tests.emulator.server import RELATED_MODELS

    def declares(model_name: str | None) -> bool:
        if not model_name:
            return False
        module, _, name = model_name.partition(".")
        model = getattr(getattr(oci, module).models, name, None)
        return model is not None and "time_created" in model().swagger_types

    completed = set()
    for item in doc.get("resources", []):
        objects = [(item["type"], item["data"])] + [
            (RELATED_MODELS.get(rel), value)
            for rel, values in (item.get("related") or {}).items()
            for value in values
            if isinstance(value, dict)
        ]
        for model_name, data in objects:
            if declares(model_name) and not data.get("time_created"):
                data["time_created"] = doc["collected_at"]
                completed.add(str(model_name))
    return sorted(completed)


def main(argv: list[str] | None = None) -> int:
    """Start the emulator, point the SDK at it, run cis_reports.py; its CSVs land in ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cis-reports", type=Path, required=True, help="path of cis_reports.py")
    parser.add_argument("--inventory", type=Path, required=True, help="emulator input (tenancy.json)")
    parser.add_argument("--out", type=Path, required=True, help="report directory")
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--trace-after", type=float, default=0, help="dump stacks after N s (debugging)")
    args = parser.parse_args(argv)
    if args.trace_after:
        import faulthandler

        faulthandler.dump_traceback_later(args.trace_after, exit=True)

    import oci
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from tests.emulator import OciEmulator

    doc = json.loads(args.inventory.read_text(encoding="utf-8"))
    completed = _complete(doc)
    at = datetime.datetime.fromisoformat(doc["collected_at"].replace("Z", "+00:00")).astimezone(datetime.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    domains = any(item["type"] == "identity.Domain" for item in doc.get("resources", []))
    with tempfile.TemporaryDirectory() as tmp, OciEmulator(doc, identity_domains=domains) as emulator:
        key_file = Path(tmp) / "key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        original = oci.regions.endpoint_for

        def endpoint_for(service, region=None, endpoint=None, service_endpoint_template=None,  # noqa: ANN001, ANN202
                         endpoint_service_name=None):
            if endpoint:
                return original(service, region, endpoint, service_endpoint_template, endpoint_service_name)
            return f"{emulator.base}/{region}"

        oci.regions.endpoint_for = endpoint_for
        config = {
            "user": "ocid1.user.oc1..cisreports",
            "fingerprint": "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00",
            "key_file": str(key_file),
            "tenancy": doc["tenancy_id"],
            "region": doc["home_region"],
        }
        signer = oci.signer.Signer(config["tenancy"], config["user"], config["fingerprint"], str(key_file))
        module = _load(args.cis_reports)
        module.DEBUG = False
        _freeze_clock(module.CIS_Report, at)
        args.out.mkdir(parents=True, exist_ok=True)
        report = module.CIS_Report(
            config, signer, None, None, str(args.out), None, True, "False", "", True, False, False,
            oci_url=None, debug=False, all_resources=False, disable_api_keys=False,
        )
        report.generate_reports(args.level)
        calls = sorted({f"{r.method} {r.path.split('?')[0]} -> {r.status}" for r in emulator.requests})
        (args.out / "emulator-calls.txt").write_text("\n".join(calls) + "\n", encoding="utf-8")
        (args.out / "completed-types.txt").write_text("\n".join(completed) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
