output "zone_id" {
  description = "ID of the public hosted zone."
  value       = aws_route53_zone.this.zone_id
}

output "zone_name" {
  description = "Name of the public hosted zone (the apex domain)."
  value       = aws_route53_zone.this.name
}

output "name_servers" {
  description = "Name servers of the zone: set these at the domain registrar so the zone (and certificate validation) takes effect."
  value       = aws_route53_zone.this.name_servers
}

output "certificate_arn" {
  description = "ARN of the validated ACM certificate (apex and wildcard), available once validation completed."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "certificate_domain_names" {
  description = "Every name the certificate covers."
  value       = local.certificate_names
}

output "validation_record_fqdns" {
  description = "FQDNs of the DNS validation records."
  value       = [for r in aws_route53_record.validation : r.fqdn]
}
