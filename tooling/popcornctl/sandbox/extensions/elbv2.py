"""Elastic Load Balancing v2: CreateLoadBalancer checks what AWS checks."""

from __future__ import annotations

from typing import Any

from popcornctl.sandbox.extensions import Kind, extension


def _internet_facing_without_gateway(response: Any, params: dict[str, Any]) -> None:
    from moto.elbv2.exceptions import ELBClientError

    if params.get("Type", "application") == "gateway" or params.get("Scheme", "internet-facing") != "internet-facing":
        return
    ec2 = response.elbv2_backend.ec2_backend
    subnet_ids = list(params.get("Subnets") or []) + [m["SubnetId"] for m in params.get("SubnetMappings") or []]
    vpcs = {ec2.get_subnet(s).vpc_id for s in subnet_ids}
    attached = {igw.vpc.id for igw in ec2.internet_gateways.values() if igw.vpc is not None}
    for vpc in sorted(vpcs - attached):
        raise ELBClientError("InvalidSubnet", f"VPC {vpc} has no internet gateway")


@extension(
    "elbv2.internet_facing_needs_gateway",
    kind=Kind.STRICT,
    summary="CreateLoadBalancer rejects an internet-facing load balancer in a VPC without an attached internet "
    "gateway (InvalidSubnet), as AWS does when the ALB is created before the gateway",
    moto_lacks="5.2.5",
)
def install_internet_facing_check() -> None:
    from moto.elbv2.responses import ELBV2Response

    create = ELBV2Response.create_load_balancer

    def create_load_balancer(self: ELBV2Response) -> Any:
        _internet_facing_without_gateway(self, self._get_params())
        return create(self)

    ELBV2Response.create_load_balancer = create_load_balancer  # type: ignore[method-assign]
