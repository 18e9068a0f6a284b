data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  repository_prefix = coalesce(var.repository_prefix, var.project)
  services          = toset(var.services)

  # ECR applies rules by priority, and an image that matches a rule's tag selection can never be expired by a
  # rule of lower priority. Release images (what prod runs, tags matching release_tag_patterns) are matched first
  # by rules that would only expire them past release_images_to_keep newer releases, so dev's churn of other tags
  # (build and branch tags, counted by the last rule) can never expire an image prod runs or rolls back to.
  lifecycle_policy = jsonencode({
    rules = concat(
      [
        for i, pattern in var.release_tag_patterns : {
          rulePriority = 1 + i
          description  = "Release images (${pattern}): keep the last ${var.release_images_to_keep}"
          selection = {
            tagStatus      = "tagged"
            tagPatternList = [pattern]
            countType      = "imageCountMoreThan"
            countNumber    = var.release_images_to_keep
          }
          action = { type = "expire" }
        }
      ],
      [
        {
          rulePriority = 50
          description  = "Expire untagged images ${var.untagged_image_expiry_days} days after push"
          selection = {
            tagStatus   = "untagged"
            countType   = "sinceImagePushed"
            countUnit   = "days"
            countNumber = var.untagged_image_expiry_days
          }
          action = { type = "expire" }
        },
        {
          rulePriority = 100
          description  = "Other tags (builds, branches): keep the last ${var.tagged_images_to_keep}"
          selection = {
            tagStatus      = "tagged"
            tagPatternList = ["*"]
            countType      = "imageCountMoreThan"
            countNumber    = var.tagged_images_to_keep
          }
          action = { type = "expire" }
        },
      ],
    )
  })
}

data "aws_iam_policy_document" "ecr_key" {
  #checkov:skip=CKV_AWS_109:This is the key policy (resource "*" means this key): the AWS default statement delegating the key to the account's IAM policies, without which the key becomes unmanageable.
  #checkov:skip=CKV_AWS_111:Same default key-policy statement; write access is constrained by the account's IAM policies it delegates to.
  #checkov:skip=CKV_AWS_356:In a key policy "*" can only mean the key itself.
  # Key administration and use are governed by IAM policies of this account; ECR uses grants on pull/push.
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

resource "aws_kms_key" "ecr" {
  description             = "Encrypts the ${var.project} ECR repositories"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  policy                  = data.aws_iam_policy_document.ecr_key.json

  tags = { Name = "${var.project}-ecr" }
}

resource "aws_kms_alias" "ecr" {
  name          = "alias/${var.project}-ecr"
  target_key_id = aws_kms_key.ecr.key_id
}

resource "aws_ecr_repository" "this" {
  for_each = local.services

  name                 = "${local.repository_prefix}/${each.key}"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.ecr.arn
  }

  tags = { Name = "${local.repository_prefix}/${each.key}", Service = each.key }
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = local.services

  repository = aws_ecr_repository.this[each.key].name
  policy     = local.lifecycle_policy
}
