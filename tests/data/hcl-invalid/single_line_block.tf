resource "oci_core_security_list" "s" {
  ingress_security_rules { protocol = "6"
    source = "0.0.0.0/0" }
}
