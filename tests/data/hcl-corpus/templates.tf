variable "tenancy_ocid" {}

variable "admin_groups" {
  type    = list(string)
  default = ["Administrators", "NetworkAdmins"]
}

locals {
  subnet_name = "sn-${~ "private" ~}-01"
  labels      = "%{for g in var.admin_groups}${lower(g)},%{endfor}"
  mode        = "%{if length(var.admin_groups) > 1}shared%{else}single%{endif}"
  escapes     = "literal $${not_interpolated} and %%{not_a_directive} and 100%%%{kept}"
  quoted      = "tab\tquote\"backslash\\ unicode\u00e9"

  cloud_init = <<-EOT
    #cloud-config
    %{~ for g in var.admin_groups ~}
    # group ${g}
    %{~ endfor ~}
    runcmd:
      - echo ${upper("ready")}
    EOT

  policy_doc = <<EOT
%{ for g in var.admin_groups ~}
Allow group ${g} to read all-resources in tenancy
%{ endfor ~}
EOT
}

resource "oci_identity_policy" "readers" {
  compartment_id = var.tenancy_ocid
  name           = "readers"
  description    = "Read access for ${length(var.admin_groups)} groups"
  statements     = compact(split("\n", local.policy_doc))
}
