terraform {
  required_version = ">= 1.5"
  required_providers {
    oci = {
      source  = "oracle/oci"
      version = ">= 6.0"
    }
  }
}

# Applied by an administrator from a workstation: a config-file profile, never a key in code.
provider "oci" {
  region              = var.region
  config_file_profile = var.oci_profile
}
