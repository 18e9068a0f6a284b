"""The ElastiCache extensions of the sandbox emulator, each exercised the way provider 5.100 calls it
(modules/elasticache), then the module's example applied, planned again and destroyed with the real provider."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tfhelpers import REPO, Tf

REGION = "ap-northeast-2"
GROUP = "popcorn-test-valkey"
PARAMS = f"{GROUP}-valkey8"
ARN = f"arn:aws:elasticache:{REGION}:123456789012"
EXAMPLE = REPO / "modules/elasticache/examples/basic"

pytestmark = pytest.mark.sandbox


@pytest.fixture
def ec(sandbox: Any) -> Any:
    return sandbox.client("elasticache")


@pytest.fixture
def subnet_group(sandbox: Any, ec: Any) -> str:
    """The module's subnet group over two private subnets in two AZs."""
    ec2 = sandbox.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.45.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.45.{20 + i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    ec.create_cache_subnet_group(CacheSubnetGroupName=GROUP, CacheSubnetGroupDescription="data", SubnetIds=subnets)
    return GROUP


def parameter_group(ec: Any) -> None:
    """As the provider creates aws_elasticache_parameter_group: create, then the parameters in one modify."""
    ec.create_cache_parameter_group(
        CacheParameterGroupName=PARAMS,
        CacheParameterGroupFamily="valkey8",
        Description=f"{GROUP} (valkey8)",
        Tags=[{"Key": "Module", "Value": "elasticache"}],
    )
    ec.modify_cache_parameter_group(
        CacheParameterGroupName=PARAMS,
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}],
    )


def replication_group(ec: Any, subnet_group: str, nodes: int = 2, **extra: Any) -> dict[str, Any]:
    """CreateReplicationGroup with the arguments modules/elasticache sets."""
    group: dict[str, Any] = ec.create_replication_group(
        ReplicationGroupId=GROUP,
        ReplicationGroupDescription="Valkey cache of popcorn-test",
        Engine="valkey",
        EngineVersion="8.0",
        CacheNodeType="cache.t4g.micro",
        Port=6379,
        CacheParameterGroupName=PARAMS,
        NumCacheClusters=nodes,
        AutomaticFailoverEnabled=nodes > 1,
        MultiAZEnabled=nodes > 1,
        CacheSubnetGroupName=subnet_group,
        SecurityGroupIds=["sg-0123456789abcdef0"],
        AtRestEncryptionEnabled=True,
        KmsKeyId=f"arn:aws:kms:{REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        TransitEncryptionEnabled=True,
        TransitEncryptionMode="required",
        AuthToken="a" * 64,
        SnapshotRetentionLimit=7,
        SnapshotWindow="16:00-17:00",
        PreferredMaintenanceWindow="sun:18:00-sun:19:00",
        AutoMinorVersionUpgrade=True,
        LogDeliveryConfigurations=[
            {
                "LogType": "slow-log",
                "DestinationType": "cloudwatch-logs",
                "LogFormat": "json",
                "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": f"/aws/elasticache/{GROUP}/slow-log"}},
            }
        ],
        Tags=[{"Key": "Name", "Value": GROUP}],
        **extra,
    )["ReplicationGroup"]
    return group


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_elasticache_parameter_groups(ec: Any) -> None:
    """elasticache.parameter_groups: create, modify, read back by source, reset, delete."""
    parameter_group(ec)
    ec.modify_cache_parameter_group(
        CacheParameterGroupName=PARAMS,
        ParameterNameValues=[{"ParameterName": "slowlog-log-slower-than", "ParameterValue": "5000"}],
    )
    described = ec.describe_cache_parameter_groups(CacheParameterGroupName=PARAMS)["CacheParameterGroups"]
    assert described == [
        {
            "CacheParameterGroupName": PARAMS,
            "CacheParameterGroupFamily": "valkey8",
            "Description": f"{GROUP} (valkey8)",
            "IsGlobal": False,
            "ARN": f"{ARN}:parametergroup:{PARAMS}",
        }
    ]
    user = ec.describe_cache_parameters(CacheParameterGroupName=PARAMS, Source="user")["Parameters"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in user} == {
        "maxmemory-policy": "allkeys-lru",
        "slowlog-log-slower-than": "5000",
    }
    assert all(p["Source"] == "user" for p in user)

    ec.reset_cache_parameter_group(
        CacheParameterGroupName=PARAMS, ParameterNameValues=[{"ParameterName": "slowlog-log-slower-than"}]
    )
    everything = {
        p["ParameterName"]: p for p in ec.describe_cache_parameters(CacheParameterGroupName=PARAMS)["Parameters"]
    }
    assert everything["slowlog-log-slower-than"]["Source"] == "system"
    assert everything["slowlog-log-slower-than"]["ParameterValue"] == "10000"  # the family default again
    assert everything["maxmemory-policy"]["Source"] == "user"

    with pytest.raises(ClientError) as twice:
        ec.create_cache_parameter_group(
            CacheParameterGroupName=PARAMS, CacheParameterGroupFamily="valkey8", Description="again"
        )
    assert code(twice) == "CacheParameterGroupAlreadyExists"
    ec.delete_cache_parameter_group(CacheParameterGroupName=PARAMS)
    with pytest.raises(ClientError) as gone:
        ec.describe_cache_parameter_groups(CacheParameterGroupName=PARAMS)
    assert code(gone) == "CacheParameterGroupNotFound"


def test_elasticache_parameter_group_in_use_is_not_deleted(ec: Any, subnet_group: str) -> None:
    """elasticache.parameter_groups: AWS refuses to delete a group a replication group uses."""
    parameter_group(ec)
    replication_group(ec, subnet_group)
    with pytest.raises(ClientError) as used:
        ec.delete_cache_parameter_group(CacheParameterGroupName=PARAMS)
    assert code(used) == "InvalidCacheParameterGroupState"


def test_elasticache_replication_group_members(ec: Any, subnet_group: str) -> None:
    """elasticache.replication_group_members: NumCacheClusters members, listed as cache clusters with the group's
    settings, as the provider reads the first member."""
    parameter_group(ec)
    replication_group(ec, subnet_group, nodes=3)
    group = ec.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]
    members = [f"{GROUP}-001", f"{GROUP}-002", f"{GROUP}-003"]
    assert group["MemberClusters"] == members
    roles = {
        m["CacheClusterId"]: (m["CurrentRole"], m["PreferredAvailabilityZone"])
        for m in group["NodeGroups"][0]["NodeGroupMembers"]
    }
    assert roles == {
        members[0]: ("primary", f"{REGION}a"),
        members[1]: ("replica", f"{REGION}b"),
        members[2]: ("replica", f"{REGION}a"),
    }
    assert (group["AutomaticFailover"], group["MultiAZ"], group["TransitEncryptionMode"]) == (
        "enabled",
        "enabled",
        "required",
    )
    assert group["AuthTokenEnabled"] and group["AtRestEncryptionEnabled"] and group["KmsKeyId"].endswith("90ab")
    assert group["LogDeliveryConfigurations"][0]["Status"] == "active"
    assert group["NodeGroups"][0]["ReaderEndpoint"]["Port"] == 6379

    first = ec.describe_cache_clusters(CacheClusterId=members[0], ShowCacheNodeInfo=True)["CacheClusters"][0]
    assert first["ReplicationGroupId"] == GROUP
    assert first["CacheParameterGroup"]["CacheParameterGroupName"] == PARAMS
    assert first["SecurityGroups"] == [{"SecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}]
    assert first["CacheSubnetGroupName"] == subnet_group
    assert first["PreferredMaintenanceWindow"] == "sun:18:00-sun:19:00"
    assert first["EngineVersion"].startswith("8.0.")
    assert first["CacheNodes"][0]["Endpoint"]["Address"].startswith(f"{members[0]}.")
    listed = ec.describe_cache_clusters()["CacheClusters"]
    assert [c["CacheClusterId"] for c in listed] == members
    assert "CacheNodes" not in listed[0]  # only with ShowCacheNodeInfo, as on AWS


def test_elasticache_replication_group_refuses_an_unknown_parameter_group(ec: Any, subnet_group: str) -> None:
    """elasticache.replication_group_members: an unknown parameter group is CacheParameterGroupNotFound."""
    with pytest.raises(ClientError) as missing:
        replication_group(ec, subnet_group)
    assert code(missing) == "CacheParameterGroupNotFound"


def test_elasticache_replication_group_modify(ec: Any, subnet_group: str) -> None:
    """elasticache.replication_group_modify: what the provider's update sends is what the next read returns."""
    parameter_group(ec)
    replication_group(ec, subnet_group)
    ec.create_cache_parameter_group(
        CacheParameterGroupName="other", CacheParameterGroupFamily="valkey8", Description="other"
    )
    ec.modify_replication_group(
        ReplicationGroupId=GROUP,
        ApplyImmediately=True,
        SnapshotWindow="17:00-18:00",
        SnapshotRetentionLimit=3,
        PreferredMaintenanceWindow="mon:18:00-mon:19:00",
        CacheParameterGroupName="other",
        SecurityGroupIds=["sg-0fedcba9876543210"],
        NotificationTopicArn=f"arn:aws:sns:{REGION}:123456789012:events",
        AuthToken="b" * 64,
        AuthTokenUpdateStrategy="ROTATE",
        LogDeliveryConfigurations=[
            {
                "LogType": "engine-log",
                "DestinationType": "cloudwatch-logs",
                "LogFormat": "json",
                "Enabled": True,
                "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": f"/aws/elasticache/{GROUP}/engine-log"}},
            },
            {"LogType": "slow-log", "Enabled": False},
        ],
    )
    group = ec.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]
    assert (group["SnapshotWindow"], group["SnapshotRetentionLimit"]) == ("17:00-18:00", 3)
    assert [c["LogType"] for c in group["LogDeliveryConfigurations"]] == ["engine-log"]
    assert group["AuthTokenEnabled"] is True
    member = ec.describe_cache_clusters(CacheClusterId=f"{GROUP}-001")["CacheClusters"][0]
    assert member["CacheParameterGroup"]["CacheParameterGroupName"] == "other"
    assert member["PreferredMaintenanceWindow"] == "mon:18:00-mon:19:00"
    assert member["SecurityGroups"][0]["SecurityGroupId"] == "sg-0fedcba9876543210"
    assert member["NotificationConfiguration"]["TopicArn"].endswith(":events")


def test_elasticache_replication_group_delete(ec: Any, subnet_group: str) -> None:
    """elasticache.replication_group_delete: gone at once with its members, the final snapshot taken."""
    parameter_group(ec)
    replication_group(ec, subnet_group)
    deleted = ec.delete_replication_group(ReplicationGroupId=GROUP, FinalSnapshotIdentifier=f"{GROUP}-final")
    assert deleted["ReplicationGroup"]["Status"] == "deleting"
    with pytest.raises(ClientError) as gone:
        ec.describe_replication_groups(ReplicationGroupId=GROUP)
    assert code(gone) == "ReplicationGroupNotFoundFault"
    assert ec.describe_cache_clusters()["CacheClusters"] == []
    snapshots = ec.describe_snapshots(SnapshotName=f"{GROUP}-final")["Snapshots"]
    assert snapshots[0]["ReplicationGroupId"] == GROUP


def test_elasticache_subnet_groups(ec: Any, subnet_group: str) -> None:
    """elasticache.subnet_groups: refused while used, modified in place, deleted when free."""
    parameter_group(ec)
    replication_group(ec, subnet_group)
    with pytest.raises(ClientError) as used:
        ec.delete_cache_subnet_group(CacheSubnetGroupName=subnet_group)
    assert code(used) == "CacheSubnetGroupInUse"
    modified = ec.modify_cache_subnet_group(CacheSubnetGroupName=subnet_group, CacheSubnetGroupDescription="new")
    assert modified["CacheSubnetGroup"]["CacheSubnetGroupDescription"] == "new"
    ec.delete_replication_group(ReplicationGroupId=GROUP)
    ec.delete_cache_subnet_group(CacheSubnetGroupName=subnet_group)
    with pytest.raises(ClientError) as gone:
        ec.describe_cache_subnet_groups(CacheSubnetGroupName=subnet_group)
    assert code(gone) == "CacheSubnetGroupNotFoundFault"


def test_elasticache_tags(sandbox: Any, ec: Any, subnet_group: str) -> None:
    """elasticache.tags: parameter groups and replication groups by ARN; writes answer the resulting TagList."""
    parameter_group(ec)
    replication_group(ec, subnet_group)
    params_arn, group_arn = f"{ARN}:parametergroup:{PARAMS}", f"{ARN}:replicationgroup:{GROUP}"
    assert ec.list_tags_for_resource(ResourceName=params_arn)["TagList"] == [{"Key": "Module", "Value": "elasticache"}]
    added = ec.add_tags_to_resource(ResourceName=group_arn, Tags=[{"Key": "Env", "Value": "dev"}])
    assert added["TagList"] == [{"Key": "Name", "Value": GROUP}, {"Key": "Env", "Value": "dev"}]
    removed = ec.remove_tags_from_resource(ResourceName=group_arn, TagKeys=["Name"])
    assert removed["TagList"] == [{"Key": "Env", "Value": "dev"}]
    with pytest.raises(ClientError) as missing:
        ec.list_tags_for_resource(ResourceName=f"{ARN}:parametergroup:nope")
    assert code(missing) == "CacheParameterGroupNotFound"
    tagging = sandbox.client("resourcegroupstaggingapi")
    found = tagging.get_resources(TagFilters=[{"Key": "Module", "Values": ["elasticache"]}])["ResourceTagMappingList"]
    assert [r["ResourceARN"] for r in found] == [params_arn]


def test_elasticache_events_and_test_failover(ec: Any, subnet_group: str) -> None:
    """elasticache.events and elasticache.test_failover: creation, a tested failover and a snapshot, newest first,
    filtered by source."""
    parameter_group(ec)
    replication_group(ec, subnet_group)
    ec.test_failover(ReplicationGroupId=GROUP, NodeGroupId="0001")
    ec.create_snapshot(ReplicationGroupId=GROUP, SnapshotName="manual-1")
    events = ec.describe_events()["Events"]
    assert [(e["SourceIdentifier"], e["Message"]) for e in events] == [
        (GROUP, "Snapshot succeeded for snapshot with ID 'manual-1'"),
        (f"{GROUP}-002", f"Failover from primary node {GROUP}-001 to replica node {GROUP}-002 completed"),
        (GROUP, "Test Failover API called for node group 0001"),
        (f"{GROUP}-002", "Cache cluster created"),
        (f"{GROUP}-001", "Cache cluster created"),
    ]
    only = ec.describe_events(SourceIdentifier=f"{GROUP}-001", SourceType="cache-cluster")["Events"]
    assert [e["Message"] for e in only] == ["Cache cluster created"]
    roles = {
        m["CacheClusterId"]: m["CurrentRole"]
        for m in ec.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]["NodeGroups"][0][
            "NodeGroupMembers"
        ]
    }
    assert roles == {f"{GROUP}-001": "replica", f"{GROUP}-002": "primary"}


def test_elasticache_test_failover_needs_a_replica(ec: Any, subnet_group: str) -> None:
    """elasticache.test_failover: a single node without automatic failover is refused as on AWS."""
    parameter_group(ec)
    replication_group(ec, subnet_group, nodes=1)
    with pytest.raises(ClientError) as refused:
        ec.test_failover(ReplicationGroupId=GROUP, NodeGroupId="0001")
    assert code(refused) == "InvalidReplicationGroupState"


# -- the module's example with the real provider --------------------------------------------------------------


@pytest.fixture
def example(tmp_path: Path) -> Iterator[Path]:
    """A copy of the example (module source absolute), so its local state stays out of the repository."""
    work = tmp_path / "example"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    main = work / "main.tf"
    main.write_text(main.read_text().replace('source = "../.."', f'source = "{EXAMPLE.parents[1].as_posix()}"'))
    yield work


@pytest.mark.terraform
@pytest.mark.slow
def test_the_elasticache_example_applies_converges_and_destroys(tf_session: Tf, sandbox: Any, example: Path) -> None:
    tf_session.apply(example, sandbox=sandbox)
    ec = sandbox.client("elasticache")
    group = ec.describe_replication_groups(ReplicationGroupId="popcorn-cache-ex-valkey")["ReplicationGroups"][0]
    assert group["MemberClusters"] == ["popcorn-cache-ex-valkey-001", "popcorn-cache-ex-valkey-002"]
    assert (group["Engine"], group["TransitEncryptionMode"], group["AuthTokenEnabled"]) == ("valkey", "required", True)

    second = tf_session.run(
        example, "plan", "-input=false", "-no-color", "-detailed-exitcode", sandbox=sandbox, check=False
    )
    assert second.returncode == 0, f"the second plan is not empty:\n{second.output[-4000:]}"

    tf_session.run(example, "destroy", "-auto-approve", "-input=false", "-no-color", sandbox=sandbox)
    assert ec.describe_replication_groups()["ReplicationGroups"] == []
    assert ec.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    assert ec.describe_cache_parameter_groups()["CacheParameterGroups"] == []


def test_elasticache_user_groups(ec: Any) -> None:
    """elasticache.user_groups: modules/elasticache's IAM mode (a disabled default user and an IAM user), the
    DefaultUserRequired rule, membership changes and deletion."""
    ec.create_user(
        UserId=f"{GROUP}-default",
        UserName="default",
        Engine="valkey",
        AccessString="off ~* -@all",
        AuthenticationMode={"Type": "no-password-required"},
    )
    ec.create_user(
        UserId=f"{GROUP}-app",
        UserName=f"{GROUP}-app",
        Engine="valkey",
        AccessString="on ~* +@all",
        AuthenticationMode={"Type": "iam"},
    )
    with pytest.raises(ClientError) as no_default:
        ec.create_user_group(UserGroupId=f"{GROUP}-users", Engine="valkey", UserIds=[f"{GROUP}-app"])
    assert code(no_default) == "DefaultUserRequired"

    created = ec.create_user_group(
        UserGroupId=f"{GROUP}-users",
        Engine="valkey",
        UserIds=[f"{GROUP}-default", f"{GROUP}-app"],
        Tags=[{"Key": "Env", "Value": "dev"}],
    )
    assert (created["Status"], created["ARN"]) == ("active", f"{ARN}:usergroup:{GROUP}-users")
    assert ec.list_tags_for_resource(ResourceName=created["ARN"])["TagList"] == [{"Key": "Env", "Value": "dev"}]
    ec.modify_user_group(UserGroupId=f"{GROUP}-users", UserIdsToRemove=[f"{GROUP}-app"])
    group = ec.describe_user_groups(UserGroupId=f"{GROUP}-users")["UserGroups"][0]
    assert group["UserIds"] == [f"{GROUP}-default"]

    ec.delete_user_group(UserGroupId=f"{GROUP}-users")
    with pytest.raises(ClientError) as gone:
        ec.describe_user_groups(UserGroupId=f"{GROUP}-users")
    assert code(gone) == "UserGroupNotFound"
