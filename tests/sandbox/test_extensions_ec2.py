"""The EC2 read-back extensions, called as the AWS provider calls them (boto3 against the sandbox's emulator)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.sandbox]


def private_network(sandbox: Any) -> dict[str, str]:
    ec2 = sandbox.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    groups = [ec2.create_security_group(GroupName=n, Description=n, VpcId=vpc)["GroupId"] for n in ("app", "db")]
    return {"vpc": vpc, "subnet": subnet, "app": groups[0], "db": groups[1]}


def run_broker(sandbox: Any, net: dict[str, str], **extra: Any) -> dict[str, Any]:
    """RunInstances as the provider sends it for modules/ec2-kafka's brokers (private subnet, no public IP)."""
    ec2 = sandbox.client("ec2")
    request = {
        "ImageId": "ami-12c6146b",
        "MinCount": 1,
        "MaxCount": 1,
        "InstanceType": "t3.medium",
        "SubnetId": net["subnet"],
        "SecurityGroupIds": [net["app"]],
        "MaintenanceOptions": {"AutoRecovery": "default"},
        **extra,
    }
    request = {k: v for k, v in request.items() if v is not None}
    instance_id = ec2.run_instances(**request)["Instances"][0]["InstanceId"]
    instance: dict[str, Any] = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    return instance


def test_ec2_instance_public_ip_is_absent_in_a_private_subnet(sandbox: Any) -> None:
    """ec2.instance_public_ip: the provider reads associate_public_ip_address as "the primary interface has an
    Association"; AWS sends none without a public IP, so a second plan must not replace the broker."""
    net = private_network(sandbox)
    interface = {"DeviceIndex": 0, "SubnetId": net["subnet"], "AssociatePublicIpAddress": False, "Groups": [net["app"]]}
    explicit = run_broker(sandbox, net, SubnetId=None, SecurityGroupIds=None, NetworkInterfaces=[interface])
    for instance in (run_broker(sandbox, net), explicit):
        assert "PublicIpAddress" not in instance
        assert "Association" not in instance["NetworkInterfaces"][0]


def test_ec2_instance_public_ip_is_still_returned_when_requested(sandbox: Any) -> None:
    """ec2.instance_public_ip keeps the Association of an interface that has a public IP."""
    net = private_network(sandbox)
    ec2 = sandbox.client("ec2")
    instance_id = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": net["subnet"], "AssociatePublicIpAddress": True, "Groups": [net["app"]]}
        ],
    )["Instances"][0]["InstanceId"]
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    association = described["NetworkInterfaces"][0]["Association"]
    assert association["PublicIp"] == described["PublicIpAddress"]


def test_ec2_instance_maintenance_options_are_returned_and_modified(sandbox: Any) -> None:
    """ec2.instance_maintenance_options: as RunInstances set them, AWS's default otherwise, and after
    ModifyInstanceMaintenanceOptions (the provider's in-place update)."""
    net = private_network(sandbox)
    assert run_broker(sandbox, net)["MaintenanceOptions"] == {"AutoRecovery": "default"}
    disabled = run_broker(sandbox, net, MaintenanceOptions={"AutoRecovery": "disabled"})
    assert disabled["MaintenanceOptions"] == {"AutoRecovery": "disabled"}
    plain = sandbox.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=net["subnet"])[
        "Instances"
    ][0]
    assert plain["MaintenanceOptions"] == {"AutoRecovery": "default"}
    ec2 = sandbox.client("ec2")
    answer = ec2.modify_instance_maintenance_options(InstanceId=disabled["InstanceId"], AutoRecovery="default")
    assert answer["AutoRecovery"] == "default"
    again = ec2.describe_instances(InstanceIds=[disabled["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert again["MaintenanceOptions"] == {"AutoRecovery": "default"}


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_ec2_referenced_group_rule_description_is_kept(sandbox: Any, direction: str) -> None:
    """ec2.referenced_group_rule_description: aws_vpc_security_group_*_rule with referenced_security_group_id
    authorizes a UserIdGroupPairs entry with its description and reads it back by rule id."""
    net = private_network(sandbox)
    ec2 = sandbox.client("ec2")
    authorize = getattr(ec2, f"authorize_security_group_{direction}")
    permission = {
        "IpProtocol": "tcp",
        "FromPort": 5432,
        "ToPort": 5432,
        "UserIdGroupPairs": [{"GroupId": net["db"], "Description": "PostgreSQL to the database"}],
    }
    (created,) = authorize(GroupId=net["app"], IpPermissions=[permission])["SecurityGroupRules"]
    assert created["Description"] == "PostgreSQL to the database"
    (read,) = ec2.describe_security_group_rules(SecurityGroupRuleIds=[created["SecurityGroupRuleId"]])[
        "SecurityGroupRules"
    ]
    assert read["Description"] == "PostgreSQL to the database"
    assert read["ReferencedGroupInfo"]["GroupId"] == net["db"]
    cidr = authorize(
        GroupId=net["app"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "HTTPS in the VPC"}],
            }
        ],
    )["SecurityGroupRules"][0]
    assert cidr["Description"] == "HTTPS in the VPC"


def test_ec2_instance_security_groups_of_a_network_interface_launch(sandbox: Any) -> None:
    """ec2.instance_security_groups: the provider launches a broker with associate_public_ip_address = false as a
    NetworkInterfaces specification; the instance then lists the interface's groups, as AWS does."""
    ec2 = sandbox.client("ec2")
    net = private_network(sandbox)
    spec = {"DeviceIndex": 0, "SubnetId": net["subnet"], "Groups": [net["app"]], "AssociatePublicIpAddress": False}
    instance_id = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, NetworkInterfaces=[spec])[
        "Instances"
    ][0]["InstanceId"]
    (instance,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"]
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [net["app"]]
    # Changing the groups (ModifyInstanceAttribute) is what the instance reports from then on.
    ec2.modify_instance_attribute(InstanceId=instance_id, Groups=[net["db"]])
    (instance,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"]
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [net["db"]]


def test_ec2_revoke_unknown_rule_id_answers_awss_code(sandbox: Any) -> None:
    """ec2.revoke_unknown_rule_id: revoking a rule id that is already gone (an SDK retry of a revoke that had
    succeeded) answers InvalidSecurityGroupRuleId.NotFound, which the provider's delete treats as done."""
    from botocore.exceptions import ClientError

    ec2 = sandbox.client("ec2")
    net = private_network(sandbox)
    added = ec2.authorize_security_group_ingress(
        GroupId=net["app"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
        ],
    )
    rule_id = added["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.revoke_security_group_ingress(GroupId=net["app"], SecurityGroupRuleIds=[rule_id])
    for revoke in (ec2.revoke_security_group_ingress, ec2.revoke_security_group_egress):
        with pytest.raises(ClientError) as failed:
            revoke(GroupId=net["app"], SecurityGroupRuleIds=[rule_id])
        assert failed.value.response["Error"]["Code"] == "InvalidSecurityGroupRuleId.NotFound"
        assert rule_id in failed.value.response["Error"]["Message"]
