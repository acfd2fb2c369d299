terraform {
  required_version = ">= 1.6" # the s3 backend's endpoints argument
  required_providers {
    oci = {
      source  = "oracle/oci"
      version = ">= 6.0"
    }
  }
  # State in Object Storage through the S3-compatible API, in a bucket of its own (private,
  # versioned, CMK) that the tenancy's bootstrap stack manages; set the namespace and region at
  # init: terraform init -backend-config="endpoints={s3=\"https://NAMESPACE.compat.objectstorage.REGION.oraclecloud.com\"}"
  # ocisec judges that bucket where it is declared (OCI-SUP-404 is unknown here).
  backend "s3" {
    bucket                      = "ocisec-terraform-state"
    key                         = "ocisec-audit/terraform.tfstate"
    region                      = "eu-frankfurt-1"
    endpoints                   = { s3 = "https://NAMESPACE.compat.objectstorage.eu-frankfurt-1.oraclecloud.com" }
    skip_region_validation      = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_s3_checksum            = true
    use_path_style              = true
  }
}

# Applied by an administrator from a workstation: a config-file profile, never a key in code.
provider "oci" {
  region              = var.region
  config_file_profile = var.oci_profile
}
