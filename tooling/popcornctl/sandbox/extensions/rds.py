"""RDS: what moto 5.2.5 drops or reads back differently from AWS for a PostgreSQL instance and its parameter group.

- Performance Insights: moto ignores ``EnablePerformanceInsights`` and its KMS key and retention, so the instance
  reads back without them and every plan wants to switch them on again.
- Parameter ``Source``: parameters set through ``ModifyDBParameterGroup`` come back without ``Source``; the provider
  keeps only ``user`` parameters (and defaults named in the configuration), so a custom group drifts on every plan.
  ``ResetDBParameterGroup`` (called when a parameter leaves the configuration) is not implemented either.
- ``NetworkType`` of an instance and ``SupportedNetworkTypes`` of a subnet group are not returned.
- ``DbiResourceId`` is one constant for every instance, and the provider finds instances by it: a second instance
  in the same emulator is "not found".
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterable
from typing import Any

from popcornctl.sandbox.extensions import Kind, extension

_MISSING = "5.2.5"  # the moto version measured without these read-backs
DEFAULT_PI_RETENTION_DAYS = 7  # AWS's free tier, used when EnablePerformanceInsights comes without a retention


def _key_arn(instance: Any, key_id: str | None) -> str | None:
    """The ARN of a KMS key given by id, ARN or alias, as RDS reads it back (unknown keys are echoed as given)."""
    if not key_id:
        return None
    from moto.kms.models import kms_backends

    try:
        return str(kms_backends[instance.account_id][instance.region].describe_key(key_id).arn)
    except (KeyError, TypeError, AttributeError):
        return key_id


def _set_performance_insights(instance: Any, enabled: Any, key_id: Any, retention: Any) -> None:
    if enabled is None:
        return
    instance.performance_insights_enabled = bool(enabled)
    if instance.performance_insights_enabled:
        instance.performance_insights_kms_key_id = _key_arn(instance, key_id) or getattr(
            instance, "performance_insights_kms_key_id", None
        )
        instance.performance_insights_retention_period = int(
            retention or getattr(instance, "performance_insights_retention_period", None) or DEFAULT_PI_RETENTION_DAYS
        )
    else:
        instance.performance_insights_kms_key_id = None
        instance.performance_insights_retention_period = None


def _after_init(extra: Callable[[Any, dict[str, Any]], None]) -> None:
    """Run ``extra(instance, kwargs)`` after moto's ``DBInstance.__init__``."""
    from moto.rds.models import DBInstance

    original = DBInstance.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        extra(self, kwargs)

    DBInstance.__init__ = init  # type: ignore[method-assign]


@extension(
    "rds.performance_insights",
    kind=Kind.READBACK,
    summary="Performance Insights (enabled, KMS key ARN, retention) kept on create and modify and read back",
    moto_lacks=_MISSING,
)
def install_performance_insights() -> None:
    """Keep CreateDBInstance's and ModifyDBInstance's Performance Insights settings on the instance."""
    from moto.rds.models import DBInstance

    def on_create(instance: Any, kwargs: dict[str, Any]) -> None:
        instance.performance_insights_enabled = False
        _set_performance_insights(
            instance,
            kwargs.get("enable_performance_insights"),
            kwargs.get("performance_insights_kms_key_id"),
            kwargs.get("performance_insights_retention_period"),
        )

    _after_init(on_create)
    original_update = DBInstance.update

    def update(self: Any, **db_kwargs: Any) -> None:
        enabled = db_kwargs.pop("enable_performance_insights", None)
        key_id = db_kwargs.pop("performance_insights_kms_key_id", None)
        retention = db_kwargs.pop("performance_insights_retention_period", None)
        original_update(self, **db_kwargs)
        if enabled is None and (key_id or retention) and getattr(self, "performance_insights_enabled", False):
            enabled = True  # a new key or retention for Performance Insights that stays on
        _set_performance_insights(self, enabled, key_id, retention)

    DBInstance.update = update  # type: ignore[method-assign,assignment]


@extension(
    "rds.parameter_source",
    kind=Kind.READBACK,
    summary="DB parameters set by ModifyDBParameterGroup read back with Source=user; DescribeDBParameters filters by "
    "Source; ResetDBParameterGroup returns parameters to the engine default",
    moto_lacks=_MISSING,
)
def install_parameter_source() -> None:
    """Mark modified parameters as the user's, filter DescribeDBParameters by Source, serve ResetDBParameterGroup."""
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import DBParameterGroupNotFoundError
    from moto.rds.models import DBParameterGroup
    from moto.rds.responses import RDSResponse

    original_update = DBParameterGroup.update_parameters

    def update_parameters(self: Any, new_parameters: Iterable[dict[str, Any]]) -> None:
        new_parameters = list(new_parameters)
        original_update(self, new_parameters)
        for parameter in new_parameters:
            self.parameters[parameter["ParameterName"]]["Source"] = "user"

    DBParameterGroup.update_parameters = update_parameters  # type: ignore[method-assign]

    def describe_db_parameters(self: Any) -> Any:
        name = self.params.get("DBParameterGroupName")
        groups = self.backend.describe_db_parameter_groups({"db_parameter_group_name": name})
        if not groups:
            raise DBParameterGroupNotFoundError(name)
        source = self.params.get("Source")
        # moto lists no engine defaults: only the parameters someone set, all of them the user's.
        parameters = [p for p in groups[0].parameters.values() if source in (None, p.get("Source", "user"))]
        return ActionResult({"Parameters": parameters})

    def reset_db_parameter_group(self: Any) -> Any:
        name = self.params.get("DBParameterGroupName")
        groups = self.backend.describe_db_parameter_groups({"db_parameter_group_name": name})
        if not groups:
            raise DBParameterGroupNotFoundError(name)
        group = groups[0]
        if self.params.get("ResetAllParameters"):
            group.parameters.clear()
        for parameter in self.params.get("Parameters", []):
            group.parameters.pop(parameter.get("ParameterName"), None)
        return ActionResult({"DBParameterGroupName": group.name})

    RDSResponse.describe_db_parameters = describe_db_parameters  # type: ignore[method-assign]
    RDSResponse.reset_db_parameter_group = reset_db_parameter_group  # type: ignore[attr-defined]


@extension(
    "rds.network_type",
    kind=Kind.READBACK,
    summary="NetworkType of an instance (IPV4 unless DUAL is asked for) and SupportedNetworkTypes of a subnet group",
    moto_lacks=_MISSING,
)
def install_network_type() -> None:
    """Read back an instance's ``NetworkType`` and a subnet group's ``SupportedNetworkTypes`` as AWS does."""
    from moto.rds.models import DBSubnetGroup

    def on_create(instance: Any, kwargs: dict[str, Any]) -> None:
        instance.network_type = kwargs.get("network_type") or "IPV4"

    _after_init(on_create)
    # Subnets in moto have IPv4 only unless given an IPv6 block, which our VPCs never are.
    DBSubnetGroup.supported_network_types = ["IPV4"]  # type: ignore[attr-defined]


_RESOURCE_ID_CHARS = string.ascii_uppercase + string.digits


@extension(
    "rds.dbi_resource_id",
    kind=Kind.READBACK,
    summary="a DbiResourceId of its own for every instance (moto gives every instance the same one)",
    moto_lacks=_MISSING,
)
def install_dbi_resource_id() -> None:
    """Give each instance its own ``DbiResourceId``, so that the provider finds the right one by it."""

    def on_create(instance: Any, kwargs: dict[str, Any]) -> None:
        instance.dbi_resource_id = "db-" + "".join(secrets.choice(_RESOURCE_ID_CHARS) for _ in range(26))

    _after_init(on_create)


# The CA AWS gives a new instance that names none (RDS User Guide, "Certificate authorities").
AWS_DEFAULT_CA = "rds-ca-rsa2048-g1"


@extension(
    "rds.default_ca",
    kind=Kind.READBACK,
    summary=f"an instance created without CACertificateIdentifier reads back AWS's default CA ({AWS_DEFAULT_CA}), "
    "not 'rds-ca-default'",
    moto_lacks=_MISSING,
)
def install_default_ca() -> None:
    """The provider creates the instance without a CA and, when the CA read back differs from the configured one,
    modifies it and waits for the instance a second time (80 s in the sandbox). AWS gives new instances
    rds-ca-rsa2048-g1, so a module that configures that CA needs no modification on AWS, and none here."""

    def on_create(instance: Any, kwargs: dict[str, Any]) -> None:
        if not kwargs.get("ca_certificate_identifier"):
            instance.ca_certificate_identifier = AWS_DEFAULT_CA

    _after_init(on_create)
