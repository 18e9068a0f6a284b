"""VPC plumbing the targets reason about: subnet routes, VPC endpoints, security groups and network ACLs.

:mod:`.facts` holds the typed facts, :mod:`.fetch` the (batched) EC2 reads that produce them, :mod:`.paths` the
pure reasoning over them (who may reach a port, which route a subnet takes, which NACL rule decides).
"""
