data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  kms_key_alias = coalesce(var.kms_key_alias, "alias/${var.project}-tfstate")
  # Built from the name so the bucket policy is known (and reviewable) at plan time.
  state_bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.state_bucket_name}"
}

################################################################################
# KMS key for the state bucket and the lock table
################################################################################

data "aws_iam_policy_document" "state_key" {
  #checkov:skip=CKV_AWS_109:This is the key policy (resource "*" means this key): the AWS default statement delegating the key to the account's IAM policies, without which the key becomes unmanageable.
  #checkov:skip=CKV_AWS_111:Same default key-policy statement; write access is constrained by the account's IAM policies it delegates to.
  #checkov:skip=CKV_AWS_356:In a key policy "*" can only mean the key itself.
  # Key administration and use are governed by IAM policies of this account.
  statement {
    sid       = "AccountIamGovernsKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "state" {
  description             = "Encrypts the Terraform state bucket ${var.state_bucket_name} and lock table ${var.lock_table_name}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  policy                  = data.aws_iam_policy_document.state_key.json

  tags = { Name = "${var.project}-tfstate" }
}

resource "aws_kms_alias" "state" {
  name          = local.kms_key_alias
  target_key_id = aws_kms_key.state.key_id
}

################################################################################
# State bucket
################################################################################

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:Server access logs would need a second bucket in bootstrap; state access is IAM-authenticated, versioned and visible in CloudTrail management events.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles the cost for a few kilobytes of state; versioning covers accidental overwrites, and every stack can be re-imported.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to state-file events; Terraform reads the bucket on demand.
  bucket        = var.state_bucket_name
  force_destroy = var.force_destroy

  tags = { Name = var.state_bucket_name }
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-noncurrent-state-versions"
    status = "Enabled"

    filter {
      prefix = ""
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

data "aws_iam_policy_document" "state_bucket" {
  count = var.deny_insecure_transport ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.state_bucket_arn, "${local.state_bucket_arn}/*"]

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

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.state_bucket_arn, "${local.state_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  count = var.deny_insecure_transport ? 1 : 0

  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_bucket[0].json

  depends_on = [aws_s3_bucket_public_access_block.state]
}

################################################################################
# Lock table
################################################################################

resource "aws_dynamodb_table" "locks" {
  name                        = var.lock_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "LockID"
  deletion_protection_enabled = var.enable_deletion_protection

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.state.arn
  }

  tags = { Name = var.lock_table_name }
}
