################################################################################
# API auditing: a multi-region CloudTrail trail (enable_cloudtrail; prod owns the account's trail).
# Log files go to a KMS-encrypted, versioned S3 bucket with log-file validation, and a copy to CloudWatch Logs
# ("/aws/cloudtrail/<name>") for searching and metric filters.
################################################################################

locals {
  # for_each over a one-key set rather than count: Checkov connects the bucket's companion resources
  # (versioning, encryption, ...) through "trail" keys but not through count indexes in a root module.
  trail = var.enable_cloudtrail ? toset(["trail"]) : toset([])

  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  cloudtrail_arn = "arn:${local.partition}:cloudtrail:${var.region}:${local.account_id}:trail/${var.name}"
}

resource "aws_s3_bucket" "cloudtrail" {
  for_each = local.trail

  #checkov:skip=CKV_AWS_18:The trail bucket is itself the audit log; its reads and writes are recorded by the trail (data events are out of scope), a log-of-logs bucket adds nothing.
  #checkov:skip=CKV_AWS_144:Cross-region replication of the audit log is not required for this project; versioning plus log-file validation protect integrity.
  #checkov:skip=CKV2_AWS_62:Nothing consumes new-object events; the CloudWatch Logs copy serves searching and alarms.
  bucket        = "${var.name}-cloudtrail-${local.account_id}"
  force_destroy = var.disposable

  tags = { Name = "${var.name}-cloudtrail" }
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
      kms_master_key_id = aws_kms_key.logs.arn
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
    resources = [aws_s3_bucket.cloudtrail["trail"].arn]

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
    resources = ["${aws_s3_bucket.cloudtrail["trail"].arn}/AWSLogs/${local.account_id}/*"]

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

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.cloudtrail["trail"].arn, "${aws_s3_bucket.cloudtrail["trail"].arn}/*"]

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

resource "aws_s3_bucket_policy" "cloudtrail" {
  for_each = local.trail

  bucket = aws_s3_bucket.cloudtrail["trail"].id
  policy = data.aws_iam_policy_document.cloudtrail_bucket["trail"].json

  depends_on = [aws_s3_bucket_public_access_block.cloudtrail]
}

resource "aws_cloudwatch_log_group" "cloudtrail" {
  for_each = local.trail

  #checkov:skip=CKV_AWS_338:This is the searchable copy with the environment's retention (log_retention_days); the S3 bucket keeps every log file for cloudtrail_retention_days (365 by default).
  name              = "/aws/cloudtrail/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn

  tags = { Name = "/aws/cloudtrail/${var.name}" }
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

  name               = "${var.name}-cloudtrail-logs"
  description        = "Lets the ${var.name} trail deliver events to CloudWatch Logs."
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
  name                          = var.name
  s3_bucket_name                = aws_s3_bucket.cloudtrail["trail"].id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = aws_kms_key.logs.arn
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.cloudtrail["trail"].arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.cloudtrail["trail"].arn

  event_selector {
    read_write_type           = "All"
    include_management_events = true
  }

  tags = { Name = var.name }

  depends_on = [aws_s3_bucket_policy.cloudtrail, aws_iam_role_policy.cloudtrail]
}
