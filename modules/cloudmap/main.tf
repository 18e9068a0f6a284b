locals {
  namespace_name = coalesce(var.namespace_name, "${var.name}.local")
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = local.namespace_name
  description = "Service discovery for ${var.name}"
  vpc         = var.vpc_id

  tags = merge(var.tags, { Name = local.namespace_name })
}

resource "aws_service_discovery_service" "this" {
  for_each = toset(var.services)

  name          = each.key
  description   = "${each.key} service of ${var.name}"
  force_destroy = var.force_destroy_services

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = var.routing_policy

    dns_records {
      ttl  = var.dns_ttl
      type = "A"
    }
  }

  # ECS reports task health to Cloud Map (custom health checks); unhealthy tasks leave the answers.
  health_check_custom_config {
    failure_threshold = 1
  }

  tags = merge(var.tags, { Name = "${each.key}.${local.namespace_name}", Service = each.key })
}
