module "xray" {
  source = "../.."

  name = var.name

  services = {
    api-gateway  = { fixed_rate = 0.1, reservoir_size = 2 }
    user-service = {}
    # A long key shows the 32-character name shortening.
    notification-dispatcher-worker = { fixed_rate = 0.01, url_path = "/api/*" }
  }

  enable_sampling_rules    = var.enable_sampling_rules
  enable_groups            = var.enable_groups
  enable_encryption_config = var.enable_encryption_config

  tags = { Example = "xray-basic" }
}

# How a stack hands the policy to its task roles (the iam module takes enable_xray and attaches the same rights).
resource "aws_iam_policy" "xray_write" {
  name        = "${var.name}-xray-write"
  description = "Send traces to X-Ray"
  policy      = module.xray.task_role_policy_json
}
