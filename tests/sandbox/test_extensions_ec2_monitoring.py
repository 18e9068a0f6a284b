"""EC2 detailed monitoring in the emulator: MonitorInstances / UnmonitorInstances as provider 5.100 calls them, and an
``aws_instance`` with ``monitoring = true`` (the Kafka brokers' setting) applied, switched, planned clean, destroyed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from roundtrip import Roundtrip, managed

from tfhelpers import Tf

pytestmark = pytest.mark.sandbox

INSTANCE_TF = """
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100.0"
    }
  }
}

provider "aws" {
  region = "ap-northeast-2"
}

variable "monitoring" {
  type = bool
}

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["al2023-ami-2023*-x86_64"]
  }
}

resource "aws_instance" "broker" {
  ami           = data.aws_ami.al2023.id
  instance_type = "m7i.large"
  monitoring    = var.monitoring
}
"""


def _monitoring(ec2: Any, instance_id: str) -> str:
    state: str = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["Monitoring"][
        "State"
    ]
    return state


def test_monitor_and_unmonitor_instances_switch_detailed_monitoring(sandbox: Any) -> None:
    """`ec2.monitor_instances`: the provider's calls after creating an instance with monitoring (and on a change)."""
    ec2 = sandbox.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance_id = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="m7i.large")["Instances"][0][
        "InstanceId"
    ]
    assert _monitoring(ec2, instance_id) == "disabled"

    answer = ec2.monitor_instances(InstanceIds=[instance_id])["InstanceMonitorings"]
    assert answer == [{"InstanceId": instance_id, "Monitoring": {"State": "pending"}}], "AWS's transitional state"
    assert _monitoring(ec2, instance_id) == "enabled"

    answer = ec2.unmonitor_instances(InstanceIds=[instance_id])["InstanceMonitorings"]
    assert answer == [{"InstanceId": instance_id, "Monitoring": {"State": "disabling"}}]
    assert _monitoring(ec2, instance_id) == "disabled"

    with pytest.raises(ClientError) as err:
        ec2.monitor_instances(InstanceIds=["i-0123456789abcdef0"])
    assert err.value.response["Error"]["Code"] == "InvalidInstanceID.NotFound"
    with pytest.raises(ClientError) as err:
        ec2.monitor_instances(InstanceIds=[instance_id], DryRun=True)
    assert err.value.response["Error"]["Code"] == "DryRunOperation"


@pytest.mark.terraform
@pytest.mark.slow
def test_an_instance_with_detailed_monitoring_applies_plans_clean_and_destroys(
    sandbox: Any, tf: Tf, tmp_path: Path
) -> None:
    workdir = tmp_path / "instance"
    workdir.mkdir()
    (workdir / "main.tf").write_text(INSTANCE_TF)
    run = Roundtrip(tf, sandbox, workdir, {"monitoring": "true"})
    ec2 = sandbox.client("ec2")

    run.apply()
    (instance,) = [r["values"] for r in managed(run.state()) if r["type"] == "aws_instance"]
    assert instance["monitoring"] is True and _monitoring(ec2, instance["id"]) == "enabled"
    assert run.second_plan() == []

    run.apply(monitoring="false")  # an in-place update: UnmonitorInstances
    assert _monitoring(ec2, instance["id"]) == "disabled"
    assert run.second_plan(monitoring="false") == []

    run.destroy(monitoring="false")
    states = [i["State"]["Name"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    assert states == ["terminated"]
