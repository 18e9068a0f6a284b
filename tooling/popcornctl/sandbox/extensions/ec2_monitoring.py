"""EC2 detailed monitoring: MonitorInstances and UnmonitorInstances.

moto 5.2.5 raises NotImplementedError for both, so ``aws_instance`` with ``monitoring = true`` fails: the provider
creates the instance and then calls MonitorInstances for it (also when RunInstances already asked for monitoring).
AWS answers with the transitional state (``pending`` / ``disabling``) and the instance then reads back ``enabled`` /
``disabled``; the provider counts ``pending`` as on, so the final state is stored at once here.
"""

from __future__ import annotations

from typing import Any

from popcornctl.sandbox.extensions import Kind, extension


def _set_monitoring(response: Any, state: str, transitional: str) -> Any:
    from moto.core.responses import ActionResult

    instance_ids = response._get_param("InstanceIds", [])
    response.error_on_dryrun()
    instances = response.ec2_backend.get_multi_instances_by_id(instance_ids)  # InvalidInstanceID.NotFound as AWS
    for instance in instances:
        instance.monitoring_state = state
    return ActionResult(
        {
            "InstanceMonitorings": [
                {"InstanceId": instance.id, "Monitoring": {"State": transitional}} for instance in instances
            ]
        }
    )


@extension(
    "ec2.monitor_instances",
    kind=Kind.OPERATION,
    summary="MonitorInstances and UnmonitorInstances switch an instance's detailed monitoring (Monitoring.State)",
    moto_lacks="5.2.5",
)
def install() -> None:
    """Serve MonitorInstances / UnmonitorInstances on moto's EC2 instances."""
    from moto.ec2.responses.monitoring import Monitoring

    def monitor_instances(self: Any) -> Any:
        return _set_monitoring(self, "enabled", "pending")

    def unmonitor_instances(self: Any) -> Any:
        return _set_monitoring(self, "disabled", "disabling")

    Monitoring.monitor_instances = monitor_instances  # type: ignore[method-assign]
    Monitoring.unmonitor_instances = unmonitor_instances  # type: ignore[method-assign]
