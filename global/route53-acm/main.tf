locals {
  subject_alternative_names = coalesce(var.subject_alternative_names, ["*.${var.domain_name}"])
  certificate_names         = distinct(concat([var.domain_name], local.subject_alternative_names))

  # "*.example.com" and "example.com" share one validation record; create it once.
  validation_names = [
    for n in local.certificate_names : n
    if !(startswith(n, "*.") && contains(local.certificate_names, trimprefix(n, "*.")))
  ]

  # Amazon's certificate authorities (ACM), for CAA.
  amazon_cas = ["amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com"]
}

resource "aws_route53_zone" "this" {
  #checkov:skip=CKV2_AWS_38:DNSSEC signing needs a KMS key in us-east-1 and a DS record at the registrar; planned separately, out of scope of this stack.
  #checkov:skip=CKV2_AWS_39:Query logging for public zones must go to a log group in us-east-1; not enabled for this project's traffic level.
  name          = var.domain_name
  comment       = "Public zone of ${var.project} (managed by Terraform, global/route53-acm)"
  force_destroy = var.zone_force_destroy

  tags = { Name = var.domain_name }
}

resource "aws_route53_record" "caa" {
  count = var.create_caa_records ? 1 : 0

  zone_id = aws_route53_zone.this.zone_id
  name    = var.domain_name
  type    = "CAA"
  ttl     = 3600
  records = concat(
    [for ca in local.amazon_cas : "0 issue \"${ca}\""],
    [for ca in local.amazon_cas : "0 issuewild \"${ca}\""],
  )
}

resource "aws_acm_certificate" "this" {
  #checkov:skip=CKV2_AWS_71:The wildcard covers the ALB's host-routed subdomains (api., pay., ...) of one application; a certificate per name adds renewals without reducing exposure.
  domain_name               = var.domain_name
  subject_alternative_names = local.subject_alternative_names
  validation_method         = "DNS"
  key_algorithm             = "RSA_2048"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  tags = { Name = var.domain_name }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for dvo in aws_acm_certificate.this.domain_validation_options : dvo.domain_name => dvo
    if contains(local.validation_names, dvo.domain_name)
  }

  zone_id = aws_route53_zone.this.zone_id
  name    = each.value.resource_record_name
  type    = each.value.resource_record_type
  ttl     = 300
  records = [each.value.resource_record_value]

  # ACM's validation CNAME is the same for every certificate of this account and name: a record left behind by
  # an earlier certificate is taken over instead of failing the apply.
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]

  timeouts {
    create = var.validation_timeout
  }
}
