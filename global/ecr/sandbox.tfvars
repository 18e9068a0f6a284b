# Sandbox profile for the local AWS emulator (see the README's sandbox section). Never use against real AWS.
force_delete                 = true # lets `down` delete repositories that received test images
kms_key_deletion_window_days = 7
