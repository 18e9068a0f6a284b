"""The small stack of tests/drift/fixtures/small, applied once on the emulator, then changed by hand as in the console.

One module-scoped apply serves every test of a module (about 20 s); each test reads what the fixture recorded:
the state, a normal plan and a refresh-only plan made after the hand-made changes, and the inventory.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

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


def _hand_made_changes(endpoint: str, state: dict[str, Any]) -> dict[str, str]:
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


@pytest.fixture(scope="module")
def small(tf_session: Any, moto_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Small:
    """The small stack applied, changed by hand, then planned twice (normal and -refresh-only)."""
    moto_server.reset()
    workdir = tmp_path_factory.mktemp("small")
    shutil.copy(SMALL / "main.tf", workdir / "main.tf")
    tf_session.apply(workdir, sandbox=moto_server)
    state_file = workdir / "terraform.tfstate"
    state = json.loads(state_file.read_text())
    made = _hand_made_changes(moto_server.endpoint, state)
    before = state_file.read_bytes()
    plan = tf_session.plan_json(workdir, sandbox=moto_server, variables={"retention_days": "14"})
    engine = tf_session.engine(moto_server)
    env = tf_session.env(workdir, moto_server)
    refresh_file = workdir.parent / f"{workdir.name}-refresh.tfplan"
    result = engine.run(workdir, ["plan", "-refresh-only", "-input=false", "-lock=false", "-no-color",
                                  f"-out={refresh_file}", "-var=retention_days=14"], env=env)
    assert result.ok, result.output
    refresh_only = engine.show_json(workdir, refresh_file, env=env)
    return Small(workdir=workdir, endpoint=moto_server.endpoint, state=state, plan=plan, refresh_only=refresh_only,
                 state_before=before, state_after=state_file.read_bytes(), made=made)
