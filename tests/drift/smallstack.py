"""The small stack of tests/drift/fixtures/small: what the ``small`` fixture (conftest.py) records, and the
hand-made changes it makes after applying it, as someone in the console would."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SMALL = Path(__file__).parent / "fixtures" / "small"
REGION = "ap-northeast-2"


@dataclass
class Small:
    """The applied small stack after the hand-made changes."""

    workdir: Path
    endpoint: str
    state: dict[str, Any]
    plan: dict[str, Any]  # a normal plan (retention_days = 14: one configuration change not applied)
    refresh_only: dict[str, Any]  # a -refresh-only plan of the same moment
    state_before: bytes
    state_after: bytes
    made: dict[str, str] = field(default_factory=dict)  # what the hand-made changes created: name -> id


def hand_made_changes(endpoint: str, state: dict[str, Any]) -> dict[str, str]:
    """The console user's afternoon: each change aimed at the applied objects found in the state."""
    from popcornctl.aws import Clients
    from popcornctl.drift.state import instances
    from popcornctl.target import Target

    clients = Clients(Target(REGION, endpoint))
    ec2, logs, iam, s3 = (clients.client(s) for s in ("ec2", "logs", "iam", "s3"))
    ids = {i.address: i.attributes for i in instances("small", state)}
    group, vpc = ids["aws_security_group.app"]["id"], ids["aws_vpc.main"]["id"]
    made: dict[str, str] = {}
    ec2.create_tags(Resources=[group], Tags=[{"Key": "Team", "Value": "b"}])
    made["rule"] = ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    logs.put_retention_policy(logGroupName="/drifttest-dev/kept", retentionInDays=30)
    logs.delete_log_group(logGroupName="/drifttest-dev/doomed")
    iam.attach_role_policy(RoleName="drifttest-dev-app", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    ec2.create_route(RouteTableId=ids["aws_route_table.app"]["id"], DestinationCidrBlock="10.99.0.0/16",
                     GatewayId=ids["aws_internet_gateway.main"]["id"])
    made["stray_group"] = ec2.create_security_group(GroupName="stray", Description="by hand", VpcId=vpc)["GroupId"]
    platform = [{"Key": "Project", "Value": "drifttest"}, {"Key": "Environment", "Value": "dev"}]
    s3.create_bucket(Bucket="drifttest-dev-stray", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="drifttest-dev-stray", Tagging={"TagSet": platform})
    # Outside the scope: another environment's tags, and an untagged group in another VPC.
    other = [{"Key": "Project", "Value": "drifttest"}, {"Key": "Environment", "Value": "prod"}]
    s3.create_bucket(Bucket="drifttest-prod-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="drifttest-prod-bucket", Tagging={"TagSet": other})
    elsewhere = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    made["elsewhere_group"] = ec2.create_security_group(GroupName="elsewhere", Description="x",
                                                        VpcId=elsewhere)["GroupId"]
    return made
