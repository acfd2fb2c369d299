locals {
  doc = "%{ if var.on }yes"
}
