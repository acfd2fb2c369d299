# What the scheduled audit (../k8s/cronjob.yaml) needs in the tenancy:
#   - a dynamic group matching only the instances of the dedicated audit node pool,
#   - a read-only policy for the audit plus write-once access to the reports bucket,
#   - the reports bucket: private, versioned, emitting events, encrypted with a Vault key
#     that rotates automatically.
# `ocisec scan` on this directory reports no finding, and one unknown result: the state bucket
# of versions.tf is declared by the bootstrap stack (tests/test_example_cronjob.py).

data "oci_objectstorage_namespace" "this" {
  compartment_id = var.tenancy_ocid
}

locals {
  tag = var.audit_node_tag
  # Exactly the types `ocisec audit --print-policy` lists (docs/live-audit.md; a test holds the
  # two equal): `read` returns an object's configuration; secret contents (secret-bundles) and
  # object data are never granted.
  audit_read_types = [
    "analytics-instances",
    "audit-events",
    "authentication-policies",
    "autonomous-databases",
    "buckets",
    "cloud-guard-config",
    "cloudevents-rules",
    "cluster-node-pools",
    "clusters",
    "databases",
    "db-systems",
    "devops-deploy-pipeline",
    "devops-deploy-stage",
    "domains",
    "export-sets",
    "file-systems",
    "instance-pools",
    "instances",
    "integration-instances",
    "keys",
    "load-balancers",
    "mysql-instances",
    "network-load-balancers",
    "network-security-groups",
    "secrets",
    "serviceconnectors",
    "stream-pools",
    "streams",
    "subnets",
    "vaults",
    "volumes",
    "web-app-firewall",
  ]
}

resource "oci_identity_dynamic_group" "ocisec_audit" {
  compartment_id = var.tenancy_ocid
  name           = "ocisec-audit"
  description    = "Worker nodes of the OKE node pool that runs the scheduled ocisec audit"
  # Both clauses must hold: the node compartment alone would admit every worker in it.
  matching_rule = "ALL {instance.compartment.id = '${var.audit_nodes_compartment_ocid}', tag.${local.tag.namespace}.${local.tag.key}.value = '${local.tag.value}'}"
}

resource "oci_identity_policy" "ocisec_audit" {
  compartment_id = var.tenancy_ocid
  name           = "ocisec-audit-read-only"
  description    = "Read-only tenancy audit by ocisec; reports are written once to one bucket"
  statements = concat(
    [
      # Listing (Resource Search, compartments, IAM, list calls) needs inspect everywhere; with
      # it, a missing read is reported by name instead of hiding the objects.
      "Allow dynamic-group ${oci_identity_dynamic_group.ocisec_audit.name} to inspect all-resources in tenancy",
    ],
    [
      for type in local.audit_read_types :
      "Allow dynamic-group ${oci_identity_dynamic_group.ocisec_audit.name} to read ${type} in tenancy"
    ],
    [
      # Reports: create, read and overwrite (latest/) objects in the reports bucket only, never
      # delete; the bucket is versioned, so an overwrite keeps the previous version.
      "Allow dynamic-group ${oci_identity_dynamic_group.ocisec_audit.name} to manage objects in compartment id ${var.reports_compartment_ocid} where all {target.bucket.name = '${var.bucket_name}', any {request.permission = 'OBJECT_CREATE', request.permission = 'OBJECT_OVERWRITE', request.permission = 'OBJECT_INSPECT', request.permission = 'OBJECT_READ'}}",
    ],
  )
}

resource "oci_kms_vault" "reports" {
  compartment_id = var.reports_compartment_ocid
  display_name   = "ocisec-audit-reports"
  vault_type     = "DEFAULT"
}

resource "oci_kms_key" "reports" {
  compartment_id      = var.reports_compartment_ocid
  display_name        = "ocisec-audit-reports"
  management_endpoint = oci_kms_vault.reports.management_endpoint
  protection_mode     = "HSM"

  key_shape {
    algorithm = "AES"
    length    = 32
  }

  is_auto_rotation_enabled = true
  auto_key_rotation_details {
    rotation_interval_in_days = 180
  }
}

# Object Storage encrypts the bucket with the key on the service's behalf.
resource "oci_identity_policy" "objectstorage_uses_reports_key" {
  compartment_id = var.reports_compartment_ocid
  name           = "objectstorage-uses-ocisec-reports-key"
  description    = "Object Storage may use the reports key, and only that key"
  statements = [
    "Allow service objectstorage-${var.region} to use keys in compartment id ${var.reports_compartment_ocid} where target.key.id = '${oci_kms_key.reports.id}'",
  ]
}

resource "oci_objectstorage_bucket" "reports" {
  compartment_id        = var.reports_compartment_ocid
  namespace             = data.oci_objectstorage_namespace.this.namespace
  name                  = var.bucket_name
  access_type           = "NoPublicAccess"
  versioning            = "Enabled"
  object_events_enabled = true
  kms_key_id            = oci_kms_key.reports.id

  depends_on = [oci_identity_policy.objectstorage_uses_reports_key]
}

output "bucket_name" {
  value = oci_objectstorage_bucket.reports.name
}

output "namespace" {
  value = data.oci_objectstorage_namespace.this.namespace
}
