# Sandbox profile for the local AWS emulator (see the README's sandbox section). Never use against real AWS.
deny_insecure_transport      = false # moto 5.2 evaluates any conditional bucket-policy statement as an explicit deny
force_destroy                = true  # lets `down` delete the trail bucket with the log files in it
kms_key_deletion_window_days = 7
