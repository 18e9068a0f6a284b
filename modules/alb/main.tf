data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# The regional Elastic Load Balancing account that writes access logs (regions opened before August 2022).
data "aws_elb_service_account" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id

  access_logs_bucket = var.enable_access_logs ? coalesce(var.access_logs_bucket_name, "${var.name}-alb-logs-${local.account_id}") : null
  # Built from the name (not read from the bucket) so the bucket policy is known at plan time and reviewable.
  access_logs_bucket_arn = var.enable_access_logs ? "arn:${data.aws_partition.current.partition}:s3:::${local.access_logs_bucket}" : null
  waf_logging            = var.enable_waf && var.enable_waf_logging
}

################################################################################
# Access-log bucket
################################################################################

resource "aws_s3_bucket" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  #checkov:skip=CKV_AWS_145:ALB access logs can only be delivered to buckets encrypted with SSE-S3 (AES256), not SSE-KMS.
  #checkov:skip=CKV_AWS_18:This bucket is itself a log destination; logging it to another bucket would only add a log-of-logs bucket.
  #checkov:skip=CKV_AWS_144:Access logs are operational data with a short retention; cross-region replication is not worth the cost.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events for new log objects; they are read on demand (Athena/S3 console).
  bucket        = local.access_logs_bucket
  force_destroy = var.access_logs_force_destroy

  tags = merge(var.tags, { Name = local.access_logs_bucket })
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  bucket = aws_s3_bucket.access_logs[count.index].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  bucket                  = aws_s3_bucket.access_logs[count.index].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  bucket = aws_s3_bucket.access_logs[count.index].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  bucket = aws_s3_bucket.access_logs[count.index].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  bucket = aws_s3_bucket.access_logs[count.index].id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {
      prefix = ""
    }

    expiration {
      days = var.access_logs_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  # Regions opened before August 2022 (ap-northeast-2 among them): the regional ELB account writes the logs.
  statement {
    sid       = "ElbAccountWritesAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${local.access_logs_bucket_arn}/${var.access_logs_prefix}/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }

  # Newer regions (and the direction AWS documents for all): the log-delivery service principal.
  statement {
    sid       = "ElbLogDeliveryWritesAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${local.access_logs_bucket_arn}/${var.access_logs_prefix}/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.access_logs_bucket_arn, "${local.access_logs_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  bucket = aws_s3_bucket.access_logs[count.index].id
  policy = data.aws_iam_policy_document.access_logs[count.index].json

  # A bucket policy is refused while the public access block is being applied.
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

################################################################################
# Load balancer
################################################################################

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_76:The web ACL's rules are dynamic blocks built from var.waf_managed_rule_groups, which Checkov does not render; the default list holds AWSManagedRulesKnownBadInputsRuleSet and AWSManagedRulesAnonymousIpList and the plan test asserts both.
  name               = "${var.name}-alb"
  load_balancer_type = "application"
  internal           = false
  subnets            = var.public_subnet_ids
  security_groups    = var.security_group_ids

  drop_invalid_header_fields = true
  desync_mitigation_mode     = "defensive"
  enable_http2               = true
  enable_waf_fail_open       = false
  idle_timeout               = var.idle_timeout
  enable_deletion_protection = var.enable_deletion_protection

  dynamic "access_logs" {
    for_each = var.enable_access_logs ? [1] : []

    content {
      bucket  = aws_s3_bucket.access_logs[0].id
      prefix  = var.access_logs_prefix
      enabled = true
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-alb" })

  # ELB checks that it can write to the bucket when access logs are switched on.
  depends_on = [aws_s3_bucket_policy.access_logs]
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-http" })
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  routing_http_response_strict_transport_security_header_value = var.hsts_header_value

  default_action {
    type = "fixed-response"

    fixed_response {
      status_code  = var.default_response.status_code
      content_type = var.default_response.content_type
      message_body = var.default_response.message_body
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-https" })
}

resource "aws_lb_listener_certificate" "additional" {
  for_each = toset(var.additional_certificate_arns)

  listener_arn    = aws_lb_listener.https.arn
  certificate_arn = each.value
}

################################################################################
# Target groups and routing rules
################################################################################

resource "aws_lb_target_group" "this" {
  for_each = var.routed_services

  #checkov:skip=CKV_AWS_378:TLS terminates at the ALB; targets are Fargate tasks in private subnets reached over HTTP inside the VPC.
  name                 = "${var.name}-${each.key}"
  target_type          = "ip"
  protocol             = "HTTP"
  protocol_version     = "HTTP1"
  port                 = each.value.port
  vpc_id               = var.vpc_id
  deregistration_delay = each.value.deregistration_delay
  slow_start           = each.value.slow_start

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = each.value.health_check_path
    matcher             = each.value.health_check_matcher
    interval            = each.value.health_check_interval
    timeout             = min(5, each.value.health_check_interval - 1)
    healthy_threshold   = each.value.healthy_threshold
    unhealthy_threshold = each.value.unhealthy_threshold
  }

  tags = merge(var.tags, { Name = "${var.name}-${each.key}", Service = each.key })
}

resource "aws_lb_listener_rule" "this" {
  for_each = var.routed_services

  listener_arn = aws_lb_listener.https.arn
  priority     = each.value.priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }

  dynamic "condition" {
    for_each = length(each.value.path_patterns) > 0 ? [each.value.path_patterns] : []

    content {
      path_pattern {
        values = condition.value
      }
    }
  }

  dynamic "condition" {
    for_each = length(each.value.host_headers) > 0 ? [each.value.host_headers] : []

    content {
      host_header {
        values = condition.value
      }
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-${each.key}", Service = each.key })
}

################################################################################
# WAF
################################################################################

resource "aws_wafv2_web_acl" "this" {
  count = var.enable_waf ? 1 : 0

  name        = "${var.name}-alb"
  description = "Protects the ${var.name} ALB: AWS managed rules and a per-IP rate limit."
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = var.waf_managed_rule_groups

    content {
      name     = rule.value.name
      priority = rule.key + 1

      override_action {
        dynamic "none" {
          for_each = rule.value.count_only ? [] : [1]
          content {}
        }

        dynamic "count" {
          for_each = rule.value.count_only ? [1] : []
          content {}
        }
      }

      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.value.name

          dynamic "rule_action_override" {
            for_each = rule.value.count_rules

            content {
              name = rule_action_override.value

              action_to_use {
                count {}
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-${rule.value.name}"
        sampled_requests_enabled   = true
      }
    }
  }

  dynamic "rule" {
    for_each = var.waf_rate_limit == null ? [] : [var.waf_rate_limit]

    content {
      name     = "rate-limit-per-ip"
      priority = length(var.waf_managed_rule_groups) + 1

      action {
        block {}
      }

      statement {
        rate_based_statement {
          limit              = rule.value
          aggregate_key_type = "IP"
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-rate-limit-per-ip"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-alb"
    sampled_requests_enabled   = true
  }

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.enable_waf ? 1 : 0

  resource_arn = aws_lb.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this[count.index].arn
}

resource "aws_cloudwatch_log_group" "waf" {
  count = local.waf_logging ? 1 : 0

  #checkov:skip=CKV_AWS_338:Retention is a validated variable (waf_log_retention_days, default 30 days) chosen per environment for cost.
  name              = "aws-waf-logs-${var.name}" # WAF requires the aws-waf-logs- prefix.
  retention_in_days = var.waf_log_retention_days
  kms_key_id        = var.waf_log_kms_key_arn

  tags = merge(var.tags, { Name = "aws-waf-logs-${var.name}" })
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  count = local.waf_logging ? 1 : 0

  resource_arn            = aws_wafv2_web_acl.this[count.index].arn
  log_destination_configs = [aws_cloudwatch_log_group.waf[count.index].arn]

  # Never write credentials to the logs.
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}
