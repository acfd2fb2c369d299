# For-expressions laid out over several lines, as larger modules write them.
locals {
  node_pools = {
    app    = { size = 3, shape = "VM.Standard.E4.Flex", enabled = true }
    batch  = { size = 0, shape = "VM.Standard.E4.Flex", enabled = false }
    system = { size = 2, shape = "VM.Standard3.Flex", enabled = true }
  }

  # A line break before "=>" inside the braces.
  enabled_pools = { for name, pool in local.node_pools : name
  => pool if pool.enabled }

  # Comments between the parts of a for-expression.
  pool_sizes = {
    for name, pool in local.node_pools : # every pool
    name => pool.size                    # keyed by name
    if pool.enabled                      # only enabled ones
  }

  # A conditional as the value, and one in the filter.
  pool_shapes = [
    for name, pool in local.node_pools :
    pool.size > 2 ? upper(pool.shape) : lower(pool.shape)
    if(pool.enabled && pool.size > 0)
  ]

  # Grouping mode and a nested for.
  by_shape  = { for name, pool in local.node_pools : pool.shape => name... }
  flattened = flatten([for name, pool in local.node_pools : [for i in range(pool.size) : "${name}-${i}"]])
}

output "enabled_pools" {
  value = keys(local.enabled_pools)
}
