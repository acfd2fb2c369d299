resource "oci_objectstorage_bucket" "b" {
  name         = "logs"
  access_type  = "NoPublicAccess"
  access_type  = "ObjectRead"
  namespace    = "ns"
}
