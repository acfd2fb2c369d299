variable "region" {
  type    = string
  default = "eu-frankfurt-1"
}

locals {
  windows_lines = upper(var.region)
}
