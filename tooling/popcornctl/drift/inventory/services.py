"""Log groups, ECS clusters and services, load balancers and target groups of the platform, tagged or not."""

from __future__ import annotations

from collections.abc import Iterator

from popcornctl.drift.inventory.base import CloudResource, ListContext, arn_key, lister


@lister
class LogGroups:
    """CloudWatch log groups named with the environment's prefix."""

    type = "aws_cloudwatch_log_group"
    how = "CloudWatch Logs DescribeLogGroups, names holding the environment's name prefix"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Log groups whose name carries the prefix (e.g. /aws/ecs/goorm-popcorn-dev/api)."""
        for item in ctx.pages("logs", "describe_log_groups", "logGroups",
                              logGroupNamePattern=ctx.scope.name_prefix):
            name = str(item["logGroupName"])
            if not ctx.scope.named_in_scope(name):
                continue
            arn = str(item.get("arn") or "")
            yield CloudResource(type=self.type, id=name, key=f"logs:log-group:{name}", arn=arn.removesuffix(":*"),
                                found_by=["name prefix"], name=name,
                                keys={k for k in [arn_key(arn)] if k})


@lister
class EcsClusters:
    """ECS clusters named with the environment's prefix."""

    type = "aws_ecs_cluster"
    how = "ECS ListClusters, names starting with the environment's name prefix"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Clusters whose name carries the prefix."""
        for arn in ctx.pages("ecs", "list_clusters", "clusterArns"):
            name = str(arn).rsplit("/", 1)[-1]
            if ctx.scope.named_in_scope(name):
                yield CloudResource(type=self.type, id=str(arn), key=arn_key(str(arn)) or str(arn), arn=str(arn),
                                    name=name, found_by=["name prefix"])


@lister
class EcsServices:
    """ECS services running in the managed clusters."""

    type = "aws_ecs_service"
    how = "ECS ListServices of every managed cluster"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Every service of a managed cluster."""
        for cluster in sorted(ctx.scope.clusters):
            cluster_name = cluster.rsplit("/", 1)[-1]
            for arn in ctx.pages("ecs", "list_services", "serviceArns", cluster=cluster):
                name = str(arn).rsplit("/", 1)[-1]
                yield CloudResource(
                    type=self.type, id=str(arn), key=arn_key(str(arn)) or str(arn), arn=str(arn), name=name,
                    found_by=[f"services of {cluster_name}"], keys={f"ecs:service/{cluster_name}/{name}"},
                    parent=arn_key(cluster),
                )


@lister
class LoadBalancers:
    """Load balancers in the platform's VPCs."""

    type = "aws_lb"
    how = "ELBv2 DescribeLoadBalancers, those in the platform's VPCs"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Load balancers in the platform's VPCs."""
        if not ctx.scope.vpc_ids:
            return
        for item in ctx.pages("elbv2", "describe_load_balancers", "LoadBalancers"):
            if item.get("VpcId") not in ctx.scope.vpc_ids:
                continue
            arn = str(item["LoadBalancerArn"])
            yield CloudResource(type=self.type, id=arn, key=arn_key(arn) or arn, arn=arn,
                                name=item.get("LoadBalancerName"), found_by=[f"vpc {item.get('VpcId')}"],
                                detail=f"{item.get('Type')} {item.get('Scheme')}")


@lister
class TargetGroups:
    """Target groups in the platform's VPCs."""

    type = "aws_lb_target_group"
    how = "ELBv2 DescribeTargetGroups, those in the platform's VPCs"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Target groups in the platform's VPCs."""
        if not ctx.scope.vpc_ids:
            return
        for item in ctx.pages("elbv2", "describe_target_groups", "TargetGroups"):
            if item.get("VpcId") not in ctx.scope.vpc_ids:
                continue
            arn = str(item["TargetGroupArn"])
            yield CloudResource(type=self.type, id=arn, key=arn_key(arn) or arn, arn=arn,
                                name=item.get("TargetGroupName"), found_by=[f"vpc {item.get('VpcId')}"])
