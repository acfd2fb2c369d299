"""The pass / fail fixtures of the CIS event-notification rules (OCI-MON-303...318, one per
recommendation 4.3-4.12, 4.15, 4.18), built from each rule's own ``event_types`` parameter.

The rules differ only in the event types they require, so their fixtures differ only there too:
one builder writes them, rather than twelve copies of the same Terraform and snapshot. What each
fixture means is the same for every rule:

* pass, Terraform: a subscribed topic and an enabled rule in the root compartment whose condition
  names every required type, with an ONS action to that topic.
* pass, live: the same objects in each of the snapshot's two regions (Events is regional).
* fail, Terraform (a root marked ``tenancy_root: true``): one rule that misses the last required
  type, and one that covers them all but notifies a topic nobody subscribed to.
* fail, live: the rule covers every type but is disabled in the home region; the second region
  has a good rule, which does not make up for it.

Run as a script to look at them: ``python tests/rules/event_rule_fixtures.py OCI-MON-303 DIR``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scanner.engine.policy import load_rules  # noqa: E402
from scanner.sources.oci.mapping import TYPES  # noqa: E402

CHECK = "tenancy_notifies_on_events"
TENANCY = "ocid1.tenancy.oc1..aaaafixture"
APP = "ocid1.compartment.oc1..aaaaapp"
HOME, OTHER = "eu-frankfurt-1", "eu-amsterdam-1"


@cache
def event_rules() -> dict[str, list[str]]:
    """Rule id -> the event types its fixtures use (the first set when it lists alternatives)."""
    rules, _ = load_rules()
    out: dict[str, list[str]] = {}
    for rule in rules:
        if CHECK not in json.dumps([t.condition for t in rule.targets], default=str):
            continue
        listed = list(rule.parameters.get("event_types") or [])
        out[rule.id] = list(listed[0]) if listed and isinstance(listed[0], list) else listed
    return out


def condition_hcl(types: list[str]) -> str:
    """A rule's ``condition`` matching ``types``, as a root writes it."""
    listed = "".join(f'        "{t}",\n' for t in types)
    return f"condition = jsonencode({{\n    eventType = [\n{listed}    ]\n  }})"


def event_rule_tf(
    name: str, condition: str, topic: str, compartment: str = "var.tenancy_ocid", block: str = "actions"
) -> str:
    """An enabled ``oci_events_rule`` with ``condition`` (HCL) and one ONS action to ``topic``;
    ``block`` is the inner block's name (``action``, or the provider's older ``actions``)."""
    return f'''
resource "oci_events_rule" "{name}" {{
  compartment_id = {compartment}
  display_name   = "{name.replace("_", "-")}"
  is_enabled     = true
  {condition}
  actions {{
    {block} {{
      action_type = "ONS"
      is_enabled  = true
      topic_id    = oci_ons_notification_topic.{topic}.id
    }}
  }}
}}
'''


def topic_tf(topic: str = "security", subscribed: bool = True) -> str:
    """A notification topic, with an e-mail subscription unless ``subscribed`` is False."""
    text = f'''
resource "oci_ons_notification_topic" "{topic}" {{
  compartment_id = var.compartment_ocid
  name           = "{topic.replace("_", "-")}"
}}
'''
    if subscribed:
        text += f'''
resource "oci_ons_subscription" "{topic}_team" {{
  compartment_id = var.compartment_ocid
  topic_id       = oci_ons_notification_topic.{topic}.id
  protocol       = "EMAIL"
  endpoint       = "security-team@example.com"
}}
'''
    return text


def terraform(types: list[str], kind: str) -> str:
    """The fixture's ``main.tf``."""
    text = f'''variable "tenancy_ocid" {{}}
variable "compartment_ocid" {{}}

provider "oci" {{
  tenancy_ocid = var.tenancy_ocid
  region       = "{HOME}"
}}
''' + topic_tf("security")
    if kind == "pass":
        return text + event_rule_tf("notify", condition_hcl(types), "security")
    return (
        text
        + topic_tf("unread", subscribed=False)
        + event_rule_tf("partial", condition_hcl(types[:-1]), "security")
        + event_rule_tf("to_nobody", condition_hcl(types), "unread")
    )


def _objects(region: str, types: list[str], enabled: bool) -> list[dict]:
    topic = f"ocid1.onstopic.oc1.{region}.security"
    rule = {
        "actions": {"actions": [{"action_type": "ONS", "is_enabled": True, "lifecycle_state": "ACTIVE", "topic_id": topic}]},
        "compartment_id": TENANCY,
        "condition": json.dumps({"eventType": types, "data": {}}),
        "display_name": "notify",
        "id": f"ocid1.eventrule.oc1.{region}.notify",
        "is_enabled": enabled,
        "lifecycle_state": "ACTIVE",
    }
    subscription = {
        "compartment_id": APP,
        "endpoint": "security-team@example.com",
        "id": f"ocid1.onssubscription.oc1.{region}.team",
        "lifecycle_state": "ACTIVE",
        "protocol": "EMAIL",
        "topic_id": topic,
    }
    return [
        {"data": {"compartment_id": APP, "lifecycle_state": "ACTIVE", "name": "security-alerts", "topic_id": topic},
         "region": region, "type": "ons.NotificationTopic"},
        {"data": subscription, "region": region, "type": "ons.Subscription"},
        {"data": rule, "region": region, "type": "events.Rule"},
    ]


def snapshot(types: list[str], kind: str) -> str:
    """The fixture's ``snapshot.json`` (every type collected, so an absent object is a failure)."""
    doc = {
        "format": "ocisec-inventory/1",
        "tool": "ocisec 0.1.0",
        "tenancy_id": TENANCY,
        "compartment_id": TENANCY,
        "home_region": HOME,
        "collected_at": "2026-11-01T08:00:00Z",
        "regions": {r: {"availability_domains": [f"Uocm:{r.upper()}-AD-1"]} for r in (HOME, OTHER)},
        "collected": sorted(TYPES),
        "errors": [],
        "resources": _objects(HOME, types, enabled=kind == "pass") + _objects(OTHER, types, enabled=True),
    }
    return json.dumps(doc, indent=1, sort_keys=False) + "\n"


def write(rule_id: str, kind: str, dest: Path) -> Path:
    """Write the ``kind`` (pass / fail) fixture of ``rule_id`` into ``dest``; returns ``dest``."""
    types = event_rules()[rule_id]
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "main.tf").write_text(terraform(types, kind), encoding="utf-8")
    (dest / "snapshot.json").write_text(snapshot(types, kind), encoding="utf-8")
    if kind == "fail":
        (dest / ".ocisec.yaml").write_text(
            "# This root is the tenancy's baseline: what it lacks, the tenancy lacks.\ntenancy_root: true\n",
            encoding="utf-8",
        )
    return dest


@cache
def _workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="ocisec-event-fixtures-"))


@cache
def fixture_dir(rule_id: str, kind: str) -> Path:
    """The fixture, written once per test session into a temporary directory."""
    return write(rule_id, kind, _workdir() / rule_id / kind)


if __name__ == "__main__":
    rule_id, out = sys.argv[1], Path(sys.argv[2])
    for variant in ("pass", "fail"):
        print(write(rule_id, variant, out / variant))
