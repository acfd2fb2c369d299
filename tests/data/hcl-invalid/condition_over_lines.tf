resource "oci_core_subnet" "s" {
  prohibit_public_ip_on_vnic = var.private ?
  true : false
}
