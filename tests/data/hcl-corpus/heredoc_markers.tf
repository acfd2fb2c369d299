# Heredocs in a list, one closed by a marker with trailing spaces (Terraform accepts it), and
# exponent literals without a fraction.
locals {
  statements = [
    <<EOF
      Allow group ${var.group} to read buckets in compartment ${var.compartment}
    EOF  
    ,
    <<-EOT
      Allow service objectstorage-${var.region} to use keys in tenancy
    EOT
  ]
  big   = 1e9
  small = 2E-3
}
