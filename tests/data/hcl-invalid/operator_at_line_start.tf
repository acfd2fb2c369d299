locals {
  ready = var.a
  && var.b
}
