"""The RDS extensions, called the way provider 5.100 calls them (boto3 against the emulator), and the rds module's
example applied with the real provider and every feature on: a second plan changes nothing, the destroy works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from roundtrip import Roundtrip, copy_example, managed

from tfhelpers import Tf

pytestmark = pytest.mark.sandbox

PARAMETERS = [
    {"ParameterName": "log_statement", "ParameterValue": "ddl", "ApplyMethod": "immediate"},
    {
        "ParameterName": "shared_preload_libraries",
        "ParameterValue": "pg_stat_statements",
        "ApplyMethod": "pending-reboot",
    },
]


def _clients(sandbox: Any) -> tuple[Any, Any]:
    return (sandbox.client("rds"), sandbox.client("kms"))


def _create(rds: Any, name: str, **extra: Any) -> dict[str, Any]:
    instance: dict[str, Any] = rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        EngineVersion="16.4",
        MasterUsername="popcorn",
        ManageMasterUserPassword=True,
        AllocatedStorage=20,
        **extra,
    )["DBInstance"]
    return instance


def _pi(instance: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (
        instance.get("PerformanceInsightsEnabled"),
        instance.get("PerformanceInsightsKMSKeyId"),
        instance.get("PerformanceInsightsRetentionPeriod"),
    )


def _described(rds: Any, name: str) -> dict[str, Any]:
    instance: dict[str, Any] = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    return instance


def test_performance_insights_is_kept_on_create_and_modify(sandbox: Any) -> None:
    """`rds.performance_insights`: the settings aws_db_instance sends are read back (the key as its ARN)."""
    rds, kms = _clients(sandbox)
    key = kms.create_key()["KeyMetadata"]
    _create(
        rds,
        "with-pi",
        EnablePerformanceInsights=True,
        PerformanceInsightsKMSKeyId=key["KeyId"],
        PerformanceInsightsRetentionPeriod=7,
    )
    assert _pi(_described(rds, "with-pi")) == (True, key["Arn"], 7)

    _create(rds, "without-pi")
    assert _pi(_described(rds, "without-pi"))[0] is False

    rds.modify_db_instance(
        DBInstanceIdentifier="without-pi",
        EnablePerformanceInsights=True,
        PerformanceInsightsKMSKeyId=key["Arn"],
        ApplyImmediately=True,
    )
    assert _pi(_described(rds, "without-pi")) == (True, key["Arn"], 7), "AWS's default retention: 7 days"
    rds.modify_db_instance(
        DBInstanceIdentifier="without-pi", PerformanceInsightsRetentionPeriod=31, ApplyImmediately=True
    )
    assert _pi(_described(rds, "without-pi")) == (True, key["Arn"], 31)
    rds.modify_db_instance(DBInstanceIdentifier="with-pi", EnablePerformanceInsights=False, ApplyImmediately=True)
    assert _pi(_described(rds, "with-pi")) == (False, None, None)


def test_modified_parameters_read_back_as_the_users(sandbox: Any) -> None:
    """`rds.parameter_source`: aws_db_parameter_group's create (modify in chunks), read and parameter removal."""
    rds, _ = _clients(sandbox)
    rds.create_db_parameter_group(
        DBParameterGroupName="popcorn-pg", DBParameterGroupFamily="postgres16", Description="custom"
    )
    rds.modify_db_parameter_group(DBParameterGroupName="popcorn-pg", Parameters=PARAMETERS)

    read = rds.describe_db_parameters(DBParameterGroupName="popcorn-pg")["Parameters"]
    assert [{k: p[k] for k in ("ParameterName", "ParameterValue", "ApplyMethod", "Source")} for p in read] == [
        {**p, "Source": "user"} for p in PARAMETERS
    ]
    # The provider asks for Source=user when its state has no parameters yet (an import).
    assert len(rds.describe_db_parameters(DBParameterGroupName="popcorn-pg", Source="user")["Parameters"]) == 2
    assert rds.describe_db_parameters(DBParameterGroupName="popcorn-pg", Source="engine-default")["Parameters"] == []

    # A parameter dropped from the configuration is reset to the engine default: no longer the user's.
    rds.reset_db_parameter_group(
        DBParameterGroupName="popcorn-pg",
        ResetAllParameters=False,
        Parameters=[{"ParameterName": "log_statement", "ApplyMethod": "immediate"}],
    )
    names = [
        p["ParameterName"]
        for p in rds.describe_db_parameters(DBParameterGroupName="popcorn-pg", Source="user")["Parameters"]
    ]
    assert names == ["shared_preload_libraries"]
    rds.reset_db_parameter_group(DBParameterGroupName="popcorn-pg", ResetAllParameters=True)
    assert rds.describe_db_parameters(DBParameterGroupName="popcorn-pg")["Parameters"] == []


def test_network_type_is_read_back(sandbox: Any) -> None:
    """`rds.network_type`: an instance reads back IPV4 (or what it asked for); subnet groups support IPV4."""
    rds, _ = _clients(sandbox)
    ec2 = sandbox.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"ap-northeast-2{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    group = rds.create_db_subnet_group(DBSubnetGroupName="data", DBSubnetGroupDescription="data", SubnetIds=subnets)[
        "DBSubnetGroup"
    ]
    assert group["SupportedNetworkTypes"] == ["IPV4"]
    assert _create(rds, "plain", DBSubnetGroupName="data")["NetworkType"] == "IPV4"
    _create(rds, "dual", DBSubnetGroupName="data", NetworkType="DUAL")
    assert _described(rds, "dual")["NetworkType"] == "DUAL"


def test_every_instance_has_its_own_resource_id(sandbox: Any) -> None:
    """`rds.dbi_resource_id`: the provider finds an instance by its DbiResourceId; two must not share one."""
    rds, _ = _clients(sandbox)
    first, second = _create(rds, "first")["DbiResourceId"], _create(rds, "second")["DbiResourceId"]
    assert first != second and first.startswith("db-") and len(first) == 29
    found = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [second]}])["DBInstances"]
    assert [i["DBInstanceIdentifier"] for i in found] == ["second"]


@pytest.mark.terraform
@pytest.mark.slow
def test_the_rds_example_applies_plans_clean_and_destroys(sandbox: Any, tf: Tf, tmp_path: Path) -> None:
    """modules/rds/examples/basic with Performance Insights, the custom parameter group and Enhanced Monitoring on
    (deletion protection off, as for a disposable environment)."""
    run = Roundtrip(
        tf, sandbox, copy_example("modules/rds/examples/basic", tmp_path / "rds"), {"deletion_protection": "false"}
    )
    run.apply()
    resources = managed(run.state())
    (db,) = [r["values"] for r in resources if r["type"] == "aws_db_instance"]
    (group,) = [r["values"] for r in resources if r["type"] == "aws_db_parameter_group"]
    assert db["performance_insights_enabled"] is True and db["performance_insights_retention_period"] == 7
    assert db["performance_insights_kms_key_id"] == db["kms_key_id"], "the module's key encrypts Performance Insights"
    assert db["parameter_group_name"] == group["name"] and len(group["parameter"]) == 10
    assert db["network_type"] == "IPV4"
    assert run.second_plan() == []

    run.destroy()
    rds, _ = _clients(sandbox)
    assert rds.describe_db_instances()["DBInstances"] == []
    assert not [
        g
        for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
        if g["DBParameterGroupName"].startswith("popcorn-rds-ex")
    ]


def test_rds_default_ca_is_awss_for_an_instance_that_names_none(sandbox: Any) -> None:
    """rds.default_ca: no CACertificateIdentifier in CreateDBInstance (as the provider sends it) reads back AWS's
    default CA; a CA that is named is kept."""
    from popcornctl.sandbox.extensions.rds import AWS_DEFAULT_CA

    rds, _ = _clients(sandbox)
    assert _create(rds, "default-ca")["CACertificateIdentifier"] == AWS_DEFAULT_CA
    assert _described(rds, "default-ca")["CACertificateIdentifier"] == AWS_DEFAULT_CA
    named = _create(rds, "named-ca", CACertificateIdentifier="rds-ca-ecc384-g1")
    assert named["CACertificateIdentifier"] == "rds-ca-ecc384-g1"
