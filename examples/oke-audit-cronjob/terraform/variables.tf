variable "tenancy_ocid" {
  description = "Tenancy that is audited (dynamic groups and tenancy-wide policies live in its root)."
  type        = string
}

variable "region" {
  description = "Region of the reports bucket and its Vault key (the OKE cluster's region)."
  type        = string
}

variable "oci_profile" {
  description = "Profile in ~/.oci/config used to apply this configuration."
  type        = string
  default     = "DEFAULT"
}

variable "reports_compartment_ocid" {
  description = "Compartment that holds the reports bucket and its Vault."
  type        = string
}

variable "audit_nodes_compartment_ocid" {
  description = "Compartment of the OKE worker nodes of the dedicated audit node pool."
  type        = string
}

variable "audit_node_tag" {
  description = "Defined tag (namespace.key = value) carried only by the audit node pool's instances."
  type = object({
    namespace = string
    key       = string
    value     = string
  })
  default = {
    namespace = "Operations"
    key       = "workload"
    value     = "ocisec-audit"
  }
}

variable "bucket_name" {
  description = "Object Storage bucket receiving snapshots, SARIF, JSON results and HTML reports."
  type        = string
  default     = "ocisec-audit-reports"
}
