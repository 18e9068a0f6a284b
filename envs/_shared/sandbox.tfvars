# Sandbox profile: what the local AWS emulator (moto) cannot create is switched off here, by variables only.
# Layered over terraform.tfvars by `popcornctl up <env> --sandbox`. Never use against real AWS.
# What each line leaves out, and why: docs/SANDBOX_PROFILE.md.

disposable                 = true  # destroys skip final snapshots; buckets and discovery services empty themselves
enable_deletion_protection = false # lets `popcornctl down` delete the ALB and the database

enable_elasticache     = false # no ElastiCache resource works in the emulator
enable_ecs_autoscaling = false # Application Auto Scaling answers 500 on tag listing
