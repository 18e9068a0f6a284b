"""The Route 53 extension, called as the AWS provider calls it (boto3 against the sandbox's emulator).

route53.private_zone_vpcs: aws_route53_zone with a vpc block sends CreateHostedZone with VPC and a
HostedZoneConfig holding only the comment (AWS infers a private zone from the VPC), then reads the zone's VPCs
back with GetHostedZone. Without them a second plan wants to associate the VPC again, which fails
(PublicZoneVPCAssociation): the README's `up` could not be run twice.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.sandbox]

REGION = "ap-northeast-2"


def test_route53_private_zone_vpcs_are_kept(sandbox: Any) -> None:
    """route53.private_zone_vpcs"""
    ec2, r53 = sandbox.client("ec2"), sandbox.client("route53")
    vpc, other = (ec2.create_vpc(CidrBlock=c)["Vpc"]["VpcId"] for c in ("10.0.0.0/16", "10.1.0.0/16"))
    created = r53.create_hosted_zone(
        Name="kafka.goorm-popcorn-dev.internal",
        CallerReference="terraform-1",
        HostedZoneConfig={"Comment": "Kafka brokers"},
        VPC={"VPCRegion": REGION, "VPCId": vpc},
    )
    assert created["HostedZone"]["Config"]["PrivateZone"] is True
    assert created["VPC"] == {"VPCRegion": REGION, "VPCId": vpc}
    assert "DelegationSet" not in created
    zone_id = created["HostedZone"]["Id"]
    read = r53.get_hosted_zone(Id=zone_id)
    assert read["HostedZone"]["Config"]["PrivateZone"] is True
    assert read["VPCs"] == [{"VPCRegion": REGION, "VPCId": vpc}]

    # The provider associates any further VPC; a private zone accepts it, and lists under both VPCs.
    r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC={"VPCRegion": REGION, "VPCId": other})
    assert {v["VPCId"] for v in r53.get_hosted_zone(Id=zone_id)["VPCs"]} == {vpc, other}
    for v in (vpc, other):
        listed = r53.list_hosted_zones_by_vpc(VPCId=v, VPCRegion=REGION)["HostedZoneSummaries"]
        assert [z["HostedZoneId"] for z in listed] == [zone_id.split("/")[-1]]


def test_route53_private_zone_vpcs_leave_public_zones_public(sandbox: Any) -> None:
    """route53.private_zone_vpcs changes nothing for a zone created without a VPC."""
    r53 = sandbox.client("route53")
    created = r53.create_hosted_zone(Name="popcorn.example.com", CallerReference="terraform-2")
    assert created["HostedZone"]["Config"]["PrivateZone"] is False
    assert created["DelegationSet"]["NameServers"]
    assert "VPCs" not in r53.get_hosted_zone(Id=created["HostedZone"]["Id"])
