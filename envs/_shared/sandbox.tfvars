# Sandbox profile: only what a throw-away environment needs; every feature of the profile is created in the sandbox.
# Layered over terraform.tfvars by `popcornctl up <env> --sandbox`. Never use against real AWS.
# What each line leaves out, and why: docs/SANDBOX_PROFILE.md.

disposable                 = true  # destroys skip final snapshots; buckets and discovery services empty themselves
enable_deletion_protection = false # lets `popcornctl down` delete the ALB and the database
