terraform {
  required_version = ">= 1.3"
  required_providers {
    oci = {
      source  = "oracle/oci"
      version = ">= 5.0"
    }
  }
}

data "oci_identity_availability_domains" "ads" {
  compartment_id = var.tenancy_ocid
}

variable "tenancy_ocid" {}
variable "subnets" {
  type = map(object({ cidr = string, public = optional(bool, false) }))
  default = {
    a = { cidr = "10.0.1.0/24", public = false }
    b = { cidr = "10.0.2.0/24", public = true }
  }
}

resource "oci_core_vcn" "main" {
  compartment_id = var.tenancy_ocid
  cidr_blocks    = ["10.0.0.0/16"]
  display_name   = "main"
}

resource "oci_core_subnet" "each" {
  for_each                   = var.subnets
  compartment_id             = var.tenancy_ocid
  vcn_id                     = oci_core_vcn.main.id
  cidr_block                 = each.value.cidr
  prohibit_public_ip_on_vnic = !each.value.public
  availability_domain        = data.oci_identity_availability_domains.ads.availability_domains.0.name
  dns_label                  = "sn${each.key}"
}

locals {
  all_subnet_ids   = values(oci_core_subnet.each)[*].id
  legacy_splat_ids = oci_core_vcn.main.*.id
  first_ad         = data.oci_identity_availability_domains.ads.availability_domains[0]["name"]
  object_colons    = { "a" : 1, b : 2, (local.key) = 3 }
  key              = "computed"
  provider_fn      = provider::oci::parse_ocid("ocid1.tenancy.oc1..example")
  expanded         = max([1, 5, 3]...)
}

resource "oci_core_security_list" "dyn" {
  compartment_id = var.tenancy_ocid
  vcn_id         = oci_core_vcn.main.id

  dynamic "ingress_security_rules" {
    for_each = { for k, s in var.subnets : k => s if !s.public }
    iterator = rule
    content {
      protocol = "6"
      source   = rule.value.cidr
      tcp_options {
        min = 22
        max = 22
      }
    }
  }

  lifecycle { ignore_changes = [defined_tags] }
}

/* A block comment
   over several lines */
// and a line comment
resource "oci_core_internet_gateway" "empty_body" {}
