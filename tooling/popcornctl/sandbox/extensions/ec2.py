"""EC2: instances and security-group rules read back as AWS returns them."""

from __future__ import annotations

from typing import Any

from popcornctl.sandbox.extensions import Kind, extension


@extension(
    "ec2.instance_public_ip",
    kind=Kind.READBACK,
    summary="a network interface without a public IP has no Association (moto sends an empty one, which the "
    "provider reads as associate_public_ip_address = true and replaces the instance on every plan)",
    moto_lacks="5.2.5",
)
def install_instance_public_ip() -> None:
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    association = NetworkInterface.association

    def without_empty(self: NetworkInterface) -> dict[str, Any] | None:
        return association.fget(self) or None  # type: ignore[attr-defined]

    NetworkInterface.association = property(without_empty)  # type: ignore[assignment,method-assign]


@extension(
    "ec2.instance_maintenance_options",
    kind=Kind.READBACK,
    summary="DescribeInstances returns MaintenanceOptions (AutoRecovery as RunInstances set it, else AWS's "
    "'default'); ModifyInstanceMaintenanceOptions changes it",
    moto_lacks="5.2.5",
)
def install_instance_maintenance_options() -> None:
    from moto.ec2.models.instances import Instance
    from moto.ec2.responses.instances import InstanceResponse

    def maintenance_options(self: Instance) -> dict[str, str]:
        return {"AutoRecovery": self.__dict__.get("_popcorn_auto_recovery", "default")}

    Instance.maintenance_options = property(maintenance_options)  # type: ignore[attr-defined]
    run = InstanceResponse.run_instances

    def run_instances(self: InstanceResponse) -> Any:
        result = run(self)
        recovery = self._get_param("MaintenanceOptions.AutoRecovery")
        if recovery:
            for instance in result.result.instances:  # type: ignore[attr-defined]
                instance._popcorn_auto_recovery = recovery
        return result

    def modify_instance_maintenance_options(self: InstanceResponse) -> Any:
        from moto.core.responses import ActionResult

        instance = self.ec2_backend.get_instance(self._get_param("InstanceId"))
        recovery = self._get_param("AutoRecovery")
        if recovery:
            instance._popcorn_auto_recovery = recovery
        return ActionResult({"InstanceId": instance.id, "AutoRecovery": instance.maintenance_options["AutoRecovery"]})

    InstanceResponse.run_instances = run_instances  # type: ignore[method-assign]
    InstanceResponse.modify_instance_maintenance_options = modify_instance_maintenance_options  # type: ignore[attr-defined]


@extension(
    "ec2.referenced_group_rule_description",
    kind=Kind.READBACK,
    summary="a security-group rule that references another group keeps its description "
    "(DescribeSecurityGroupRules and AuthorizeSecurityGroupIngress/Egress return it)",
    moto_lacks="5.2.5",
)
def install_referenced_group_rule_description() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: SecurityGroupRule) -> str | None:
        return self.ip_range.get("Description") or self.source_group.get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[assignment,method-assign]


@extension(
    "ec2.instance_security_groups",
    kind=Kind.READBACK,
    summary="an instance launched with a NetworkInterfaces specification (what the provider sends when "
    "associate_public_ip_address is set) lists its primary interface's security groups in SecurityGroups",
    moto_lacks="5.2.5",
)
def install_instance_security_groups() -> None:
    """AWS reports an instance's security groups as those of its primary network interface. moto keeps the groups
    of a NetworkInterfaces launch on the interface only, so the provider reads vpc_security_group_ids back empty
    and plans to add the groups again on every plan."""
    from moto.ec2.models.instances import Instance

    def get(self: Instance) -> list[Any]:
        groups: list[Any] = self.__dict__.get("_popcorn_security_groups", [])
        primary = self.__dict__.get("nics", {}).get(0)
        if not groups and primary is not None:
            return list(primary._group_set)
        return groups

    def put(self: Instance, groups: list[Any]) -> None:
        self.__dict__["_popcorn_security_groups"] = groups

    Instance.security_groups = property(get, put)  # type: ignore[assignment]


@extension(
    "ec2.revoke_unknown_rule_id",
    kind=Kind.READBACK,
    summary="RevokeSecurityGroupIngress/Egress with SecurityGroupRuleIds naming a rule that does not exist answers "
    "InvalidSecurityGroupRuleId.NotFound, as AWS does (moto answers InvalidPermission.NotFound)",
    moto_lacks="5.2.5",
)
def install_revoke_unknown_rule_id() -> None:
    """The provider deletes a security-group rule by its id and treats AWS's InvalidSecurityGroupRuleId.NotFound as
    already deleted: an SDK retry of a revoke that had succeeded (a slow answer on a loaded machine) then ends the
    destroy cleanly on AWS. moto's InvalidPermission.NotFound failed the whole destroy instead."""
    from moto.ec2.exceptions import InvalidSecurityGroupRuleIdNotFoundError
    from moto.ec2.models.security_groups import SecurityGroupBackend

    def with_rule_ids_checked(name: str, rules_of: str) -> None:
        revoke = getattr(SecurityGroupBackend, name)

        def checked(self: Any, group_name_or_id: str, *args: Any, **kwargs: Any) -> Any:
            rule_ids = kwargs.get("security_rule_ids")
            group = self.get_security_group_by_name_or_id(group_name_or_id, kwargs.get("vpc_id"))
            if rule_ids and group is not None:
                known = {rule.id for rule in getattr(group, rules_of)}
                unknown = [r for r in rule_ids if r not in known]
                if unknown:
                    raise InvalidSecurityGroupRuleIdNotFoundError(unknown[0])
            return revoke(self, group_name_or_id, *args, **kwargs)

        setattr(SecurityGroupBackend, name, checked)

    with_rule_ids_checked("revoke_security_group_ingress", "ingress_rules")
    with_rule_ids_checked("revoke_security_group_egress", "egress_rules")
