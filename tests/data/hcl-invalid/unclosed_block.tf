resource "oci_core_vcn" "main" {
  compartment_id = var.tenancy_ocid
  display_name   = "s3cr3t-Value-in-a-broken-file"
