"""Route 53: a hosted zone created with a VPC is private and keeps its VPC associations."""

from __future__ import annotations

from typing import Any

from popcornctl.sandbox.extensions import Kind, extension


@extension(
    "route53.private_zone_vpcs",
    kind=Kind.READBACK,
    summary="CreateHostedZone with a VPC makes a private zone (AWS infers it; the provider does not send "
    "HostedZoneConfig.PrivateZone) and GetHostedZone returns its VPCs",
    moto_lacks="5.2.5",
)
def install_private_zone_vpcs() -> None:
    from moto.route53.responses import Route53

    create = Route53.create_hosted_zone

    def create_hosted_zone(self: Route53) -> Any:
        result = create(self)
        answer: dict[str, Any] = result.result  # type: ignore[assignment]
        vpc_id, vpc_region = self._get_param("VPC.VPCId"), self._get_param("VPC.VPCRegion")
        zone = answer["HostedZone"]
        if vpc_id and not zone.private_zone:
            zone.private_zone = True
            zone.add_vpc(vpc_id, vpc_region)
            # AWS answers a private zone without a delegation set, and with the VPC it was created in.
            answer["DelegationSet"] = None
            answer["VPC"] = {"VPCRegion": vpc_region, "VPCId": vpc_id}
        return result

    Route53.create_hosted_zone = create_hosted_zone  # type: ignore[method-assign]
