variable "create_bastion" {
  type    = bool
  default = false
}

variable "worker_count" {
  type    = number
  default = 2
}

locals {
  # Double negation turns any value into a bool.
  bastion_enabled = !!var.create_bastion
  not_not_not     = !!!var.create_bastion

  # Unary minus applied twice, and in arithmetic.
  plus_one    = - -1
  offset      = var.worker_count - -1
  negative    = -var.worker_count
  precedence  = 1 + 2 * 3 - 4 / 2 % 3
  comparisons = var.worker_count >= 1 && var.worker_count <= 10 || var.worker_count == 0
  not_equal   = var.worker_count != 3

  # Long conditions spread over lines inside parentheses.
  needs_nat = (
    var.create_bastion
    || var.worker_count > 0
  )
  first_worker = var.worker_count > 0 ? "worker-0" : null
}
