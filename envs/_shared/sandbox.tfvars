# Sandbox profile: what the local AWS emulator (moto) cannot create is switched off here, by variables only.
# Layered over terraform.tfvars by `popcornctl up <env> --sandbox`. Never use against real AWS.
# What each line leaves out, and why: docs/SANDBOX_PROFILE.md.

disposable                 = true  # destroys skip final snapshots; buckets and discovery services empty themselves
enable_deletion_protection = false # lets `popcornctl down` delete the ALB and the database

enable_xray_sampling_rules        = false # X-Ray sampling rules: 404
enable_xray_groups                = false # X-Ray groups: 404
enable_rds_performance_insights   = false # not persisted: every plan would want to turn it on again
enable_rds_custom_parameter_group = false # parameters drift on every plan (the emulator omits their source)
enable_kafka_detailed_monitoring  = false # MonitorInstances is not implemented
