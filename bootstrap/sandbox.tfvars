# Sandbox profile for the local AWS emulator (see the README's sandbox section). Never use against real AWS.
deny_insecure_transport    = false # moto 5.2 evaluates any conditional bucket-policy statement as an explicit deny
enable_deletion_protection = false # lets `down` destroy the lock table
force_destroy              = true  # lets `down` delete the bucket with the state objects in it
