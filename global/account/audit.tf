################################################################################
# Audit: the account's multi-region CloudTrail trail (enable_cloudtrail). Log files go to a KMS-encrypted, versioned
# S3 bucket with log-file validation, and a copy to CloudWatch Logs ("/aws/cloudtrail/<project>") for searching and
# metric filters. One trail records every region and environment of the account.
################################################################################

locals {
  # for_each over a one-key set rather than count: Checkov connects the bucket's companion resources
  # (versioning, encryption, ...) through "trail" keys but not through count indexes in a root module.
  trail = var.enable_cloudtrail ? toset(["trail"]) : toset([])

  trail_name           = var.project
  cloudtrail_arn       = "arn:${local.partition}:cloudtrail:${var.region}:${local.account_id}:trail/${local.trail_name}"
  trail_bucket         = "${var.project}-cloudtrail-${local.account_id}"
  trail_bucket_arn     = "arn:${local.partition}:s3:::${local.trail_bucket}"
  trail_log_group_name = "/aws/cloudtrail/${var.project}"
}

################################################################################
# The trail's key: CloudTrail encrypts log files with it, CloudWatch Logs the searchable copy
################################################################################

data "aws_iam_policy_document" "audit_key" {
  count = var.enable_cloudtrail ? 1 : 0

  #checkov:skip=CKV_AWS_109:Key policy: "*" is the key itself; administration is limited to the account root principal (IAM governs who).
  #checkov:skip=CKV_AWS_111:Key policy: "*" is the key itself; every service statement is scoped by principal and condition.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is the only valid Resource in a KMS key policy.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudTrailEncryptsLogFiles"
    actions   = ["kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:cloudtrail:arn"
      values   = ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.cloudtrail_arn]
    }
  }

  statement {
    sid       = "CloudTrailDescribesKey"
    actions   = ["kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.cloudtrail_arn]
    }
  }

  statement {
    sid       = "CloudWatchLogsForTheTrailCopy"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:${local.trail_log_group_name}"]
    }
  }
}

resource "aws_kms_key" "audit" {
  count = var.enable_cloudtrail ? 1 : 0

  description             = "${var.project}: CloudTrail log files and their CloudWatch Logs copy"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  policy                  = data.aws_iam_policy_document.audit_key[0].json

  tags = { Name = "${var.project}-audit" }
}

resource "aws_kms_alias" "audit" {
  count = var.enable_cloudtrail ? 1 : 0

  name          = "alias/${var.project}-audit"
  target_key_id = aws_kms_key.audit[0].key_id
}

resource "aws_s3_bucket" "cloudtrail" {
  for_each = local.trail

  #checkov:skip=CKV_AWS_18:The trail bucket is itself the audit log; its reads and writes are recorded by the trail (data events are out of scope), a log-of-logs bucket adds nothing.
  #checkov:skip=CKV_AWS_144:Cross-region replication of the audit log is not required for this project; versioning plus log-file validation protect integrity.
  #checkov:skip=CKV2_AWS_62:Nothing consumes new-object events; the CloudWatch Logs copy serves searching and alarms.
  bucket        = local.trail_bucket
  force_destroy = var.force_destroy

  tags = { Name = local.trail_bucket }
}

resource "aws_s3_bucket_ownership_controls" "cloudtrail" {
  for_each = local.trail

  bucket = aws_s3_bucket.cloudtrail["trail"].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "cloudtrail" {
  for_each = local.trail

  bucket                  = aws_s3_bucket.cloudtrail["trail"].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "cloudtrail" {
  for_each = local.trail

  bucket = aws_s3_bucket.cloudtrail["trail"].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "cloudtrail" {
  for_each = local.trail

  bucket = aws_s3_bucket.cloudtrail["trail"].id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.audit[0].arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "cloudtrail" {
  for_each = local.trail

  bucket = aws_s3_bucket.cloudtrail["trail"].id

  rule {
    id     = "expire-trail-logs"
    status = "Enabled"

    filter {
      prefix = ""
    }

    expiration {
      days = var.cloudtrail_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.cloudtrail]
}

data "aws_iam_policy_document" "cloudtrail_bucket" {
  for_each = local.trail

  statement {
    sid       = "CloudTrailChecksBucketAcl"
    actions   = ["s3:GetBucketAcl"]
    resources = [local.trail_bucket_arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.cloudtrail_arn]
    }
  }

  statement {
    sid       = "CloudTrailWritesLogFiles"
    actions   = ["s3:PutObject"]
    resources = ["${local.trail_bucket_arn}/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.cloudtrail_arn]
    }
  }

  dynamic "statement" {
    for_each = var.deny_insecure_transport ? [1] : []

    content {
      sid       = "DenyInsecureTransport"
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = [local.trail_bucket_arn, "${local.trail_bucket_arn}/*"]

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
}

resource "aws_s3_bucket_policy" "cloudtrail" {
  for_each = local.trail

  bucket = aws_s3_bucket.cloudtrail["trail"].id
  policy = data.aws_iam_policy_document.cloudtrail_bucket["trail"].json

  depends_on = [aws_s3_bucket_public_access_block.cloudtrail]
}

resource "aws_cloudwatch_log_group" "cloudtrail" {
  for_each = local.trail

  #checkov:skip=CKV_AWS_338:This is the searchable copy with a short retention (cloudtrail_log_retention_days); the S3 bucket keeps every log file for cloudtrail_retention_days (365 by default).
  name              = local.trail_log_group_name
  retention_in_days = var.cloudtrail_log_retention_days
  kms_key_id        = aws_kms_key.audit[0].arn

  tags = { Name = local.trail_log_group_name }
}

data "aws_iam_policy_document" "cloudtrail_assume" {
  for_each = local.trail

  statement {
    sid     = "CloudTrailAssume"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.cloudtrail_arn]
    }
  }
}

data "aws_iam_policy_document" "cloudtrail_logs" {
  for_each = local.trail

  statement {
    sid       = "DeliverToTrailLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.cloudtrail["trail"].arn}:log-stream:*"]
  }
}

resource "aws_iam_role" "cloudtrail" {
  for_each = local.trail

  name               = "${var.project}-cloudtrail-logs"
  description        = "Lets the ${var.project} trail deliver events to CloudWatch Logs."
  assume_role_policy = data.aws_iam_policy_document.cloudtrail_assume["trail"].json

  tags = var.tags
}

resource "aws_iam_role_policy" "cloudtrail" {
  for_each = local.trail

  name   = "deliver-to-cloudwatch-logs"
  role   = aws_iam_role.cloudtrail["trail"].id
  policy = data.aws_iam_policy_document.cloudtrail_logs["trail"].json
}

resource "aws_cloudtrail" "this" {
  for_each = local.trail

  #checkov:skip=CKV_AWS_252:No SNS notification per delivered log file: nothing consumes them, and the alert topic must stay for alarms; the CloudWatch Logs copy is the integration point.
  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.cloudtrail["trail"].id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = aws_kms_key.audit[0].arn
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.cloudtrail["trail"].arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.cloudtrail["trail"].arn

  event_selector {
    read_write_type           = "All"
    include_management_events = true
  }

  tags = { Name = local.trail_name }

  depends_on = [aws_s3_bucket_policy.cloudtrail, aws_iam_role_policy.cloudtrail]
}
