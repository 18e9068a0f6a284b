locals {
  app_ports = distinct(concat([var.app_port], var.additional_app_ports))

  groups = merge(
    {
      alb         = "Application load balancer: HTTP/HTTPS from the internet, app ports to ECS only"
      ecs         = "ECS services: app ports from the ALB and each other"
      rds         = "RDS PostgreSQL: ${var.postgres_port} from ECS services only"
      elasticache = "ElastiCache Valkey: ${var.cache_port} from ECS services only"
      kafka       = "Kafka brokers: client port from ECS, quorum and replication between brokers"
    },
    var.create_vpc_endpoints_security_group ? { vpce = "Interface VPC endpoints: HTTPS from inside the VPC" } : {},
  )

  # Every rule is one standalone resource with a description. A rule has either `cidr` or `source` (a group key).
  # Only the ALB's 80/443 accept the internet.
  ingress_rules = merge(
    {
      for c in var.alb_ingress_cidr_blocks : "alb-http-${c}" => {
        group       = "alb", port = 80, cidr = c, source = null
        description = "HTTP from ${c} (redirected to HTTPS by the listener)"
      }
    },
    {
      for c in var.alb_ingress_cidr_blocks : "alb-https-${c}" => {
        group       = "alb", port = 443, cidr = c, source = null
        description = "HTTPS from ${c}"
      }
    },
    {
      for p in local.app_ports : "ecs-app-${p}-from-alb" => {
        group       = "ecs", port = p, cidr = null, source = "alb"
        description = "App port ${p} from the ALB"
      }
    },
    {
      for p in local.app_ports : "ecs-app-${p}-from-ecs" => {
        group       = "ecs", port = p, cidr = null, source = "ecs"
        description = "App port ${p} between ECS services (Cloud Map service-to-service calls)"
      }
    },
    {
      "rds-postgres-from-ecs" = {
        group       = "rds", port = var.postgres_port, cidr = null, source = "ecs"
        description = "PostgreSQL from ECS services"
      }
      "elasticache-from-ecs" = {
        group       = "elasticache", port = var.cache_port, cidr = null, source = "ecs"
        description = "Valkey from ECS services"
      }
      "kafka-client-from-ecs" = {
        group       = "kafka", port = var.kafka_client_port, cidr = null, source = "ecs"
        description = "Kafka client listener from ECS services"
      }
      "kafka-client-from-kafka" = {
        group       = "kafka", port = var.kafka_client_port, cidr = null, source = "kafka"
        description = "Kafka inter-broker replication between brokers"
      }
      "kafka-controller-from-kafka" = {
        group       = "kafka", port = var.kafka_controller_port, cidr = null, source = "kafka"
        description = "Kafka KRaft controller quorum between brokers"
      }
    },
    var.create_vpc_endpoints_security_group ? {
      "vpce-https-from-vpc" = {
        group       = "vpce", port = 443, cidr = var.vpc_cidr_block, source = null
        description = "HTTPS from the VPC to the interface endpoints"
      }
    } : {},
  )

  # Egress is limited to what each tier needs. Groups without egress rules (RDS, ElastiCache, endpoints)
  # can still answer connections: security groups are stateful.
  egress_rules = merge(
    {
      for p in local.app_ports : "alb-to-ecs-${p}" => {
        group       = "alb", port = p, cidr = null, destination = "ecs"
        description = "App port ${p} to ECS tasks (target groups)"
      }
    },
    {
      for p in local.app_ports : "ecs-to-ecs-${p}" => {
        group       = "ecs", port = p, cidr = null, destination = "ecs"
        description = "App port ${p} to other ECS services"
      }
    },
    {
      for c in var.ecs_egress_https_cidr_blocks : "ecs-https-${c}" => {
        group       = "ecs", port = 443, cidr = c, destination = null
        description = "HTTPS to ${c}: ECR, Secrets Manager, CloudWatch, X-Ray and external APIs"
      }
    },
    {
      "ecs-to-rds" = {
        group       = "ecs", port = var.postgres_port, cidr = null, destination = "rds"
        description = "PostgreSQL to RDS"
      }
      "ecs-to-elasticache" = {
        group       = "ecs", port = var.cache_port, cidr = null, destination = "elasticache"
        description = "Valkey to ElastiCache"
      }
      "ecs-to-kafka" = {
        group       = "ecs", port = var.kafka_client_port, cidr = null, destination = "kafka"
        description = "Kafka client listener on the brokers"
      }
      "kafka-to-kafka-client" = {
        group       = "kafka", port = var.kafka_client_port, cidr = null, destination = "kafka"
        description = "Kafka inter-broker replication"
      }
      "kafka-to-kafka-controller" = {
        group       = "kafka", port = var.kafka_controller_port, cidr = null, destination = "kafka"
        description = "Kafka KRaft controller quorum"
      }
    },
    {
      for c in var.kafka_egress_https_cidr_blocks : "kafka-https-${c}" => {
        group       = "kafka", port = 443, cidr = c, destination = null
        description = "HTTPS to ${c}: SSM, CloudWatch agent, package and Kafka downloads"
      }
    },
    var.create_vpc_endpoints_security_group ? {
      "ecs-to-vpce" = {
        group       = "ecs", port = 443, cidr = null, destination = "vpce"
        description = "HTTPS to the interface VPC endpoints"
      }
      "kafka-to-vpce" = {
        group       = "kafka", port = 443, cidr = null, destination = "vpce"
        description = "HTTPS to the interface VPC endpoints (SSM, CloudWatch)"
      }
    } : {},
  )
}

resource "aws_security_group" "this" {
  for_each = local.groups

  #checkov:skip=CKV2_AWS_5:This module only defines the groups; the alb, ecs, rds, elasticache, ec2-kafka and vpc modules attach them in the environment stacks.
  name        = "${var.name}-${each.key}"
  description = each.value
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = local.ingress_rules

  security_group_id            = aws_security_group.this[each.value.group].id
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  cidr_ipv4                    = each.value.cidr
  referenced_security_group_id = each.value.source == null ? null : aws_security_group.this[each.value.source].id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = local.egress_rules

  security_group_id            = aws_security_group.this[each.value.group].id
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  cidr_ipv4                    = each.value.cidr
  referenced_security_group_id = each.value.destination == null ? null : aws_security_group.this[each.value.destination].id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}
