# Sandbox profile for the local AWS emulator (see the README's sandbox section). Never use against real AWS.
zone_force_destroy = true # lets `down` delete the zone with the records ACM validation left behind
