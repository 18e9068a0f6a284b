"""The init fingerprint: what makes a stack need `terraform init` again."""

from __future__ import annotations

from pathlib import Path

from popcornctl.orchestrate import fingerprint as fp

SAMPLES = {
    "throttling": "Error: creating IAM Role: ThrottlingException: Rate exceeded",
    "no-such-bucket-after-create": "Error: putting S3 policy: NoSuchBucket: The specified bucket does not exist",
    "invalid-parameter-after-create": "InvalidParameterValueException: The role defined for the task cannot be assumed",
    "iam-not-propagated": "Error: Unable to assume role arn:aws:iam::1:role/x",
    "send-request-failed": "RequestError: send request failed\ncaused by: Post https://sts",
    "tls-handshake-timeout": "Error: Failed to load backend: net/http: TLS handshake timeout",
    "tcp-timeout-or-reset": "dial tcp 52.1.1.1:443: i/o timeout",
    "client-timeout": "(Client.Timeout exceeded while awaiting headers)",
    "alarm-update-in-progress": "Creating metric alarm failed: request to update this alarm is in progress",
    "ssm-too-many-updates": "Error creating SSM parameter: TooManyUpdates: too many updates",
    "conflicting-operation": "OperationAborted: A conflicting conditional operation is currently in progress",
    "service-unavailable": "api error ServiceUnavailable: Service Unavailable",
    "provider-install-network": 'Error installing provider "aws": the request returned 429 after timeout',
}


def test_fingerprint_follows_backend_and_module_sources(tmp_path: Path) -> None:
    stack, module = tmp_path / "envs/dev", tmp_path / "modules/vpc"
    stack.mkdir(parents=True)
    module.mkdir(parents=True)
    (stack / "main.tf").write_text('module "vpc" {\n  source = "../../modules/vpc"\n  cidr = "10.0.0.0/16"\n}\n')
    (stack / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    (module / "main.tf").write_text('module "inner" {\n  source = "./inner"\n}\nresource "x" "y" {}\n')
    backend = {"bucket": "b", "key": "envs/dev/terraform.tfstate"}
    first = fp.fingerprint(stack, backend=backend)
    (stack / "main.tf").write_text((stack / "main.tf").read_text().replace("10.0.0.0/16", "10.1.0.0/16"))
    assert fp.fingerprint(stack, backend=backend) == first, "ordinary edits do not need init"
    assert fp.fingerprint(stack, backend={**backend, "bucket": "other"}) != first, "backend settings do"
    (module / "main.tf").write_text('module "inner" {\n  source = "./inner2"\n}\n')
    assert fp.fingerprint(stack, backend=backend) != first, "a module source change inside a module does"
    data = tmp_path / "data"
    assert not fp.is_current(data, first)
    fp.record(data, first)
    assert fp.is_current(data, first) and not fp.is_current(data, "other")
