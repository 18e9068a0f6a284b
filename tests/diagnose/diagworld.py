"""Seeded AWS worlds for the diagnose tests.

Everything moto can do is created through boto3 (clusters, task definitions, services, roles, secrets, log
events, alarms, target groups, RDS instances, security groups, routes, metrics). What moto cannot produce
is written into moto's in-process backend state, and each helper says so:

- ECS services: moto reports runningCount 0, a single IN_PROGRESS deployment and no events, and drops
  enableExecuteCommand / healthCheckGracePeriodSeconds / deploymentConfiguration
  -> ``World.service`` sets those attributes on ``ecs_backends[account][region].services[...]``.
- ECS tasks: ``run_task`` with awsvpc networking fails in moto, containers always exit 0 and ``stopCode`` is
  missing -> ``World.task`` builds a ``moto.ecs.models.Task`` in the backend (constructed with the task
  definition's network mode flipped to bridge only for the constructor) and sets lastStatus, stopCode,
  stoppedReason, startedAt/stoppedAt, exitCode, container reason and managed agents on it. Task state
  progression (moto advances a task on every DescribeTasks) is frozen with moto's state manager.
- ELB target health: moto reports every registered target healthy -> ``World.unhealthy_targets``
  monkeypatches the target group's ``health_for`` in the elbv2 backend.
- RDS: moto does not persist Performance Insights or a managed secret's rotation -> ``World.db`` sets
  ``performance_insights_enabled`` on the backend instance and ``rotation_enabled`` on the backend secret.

The same World seeds the in-process ``mock_aws`` (fixture ``aws`` in conftest.py) and the sandbox server
(fixture ``sandbox_world``), which runs in this process and shares moto's backends.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from popcornctl.aws import Clients

REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
CLUSTER = "goorm-popcorn-dev-cluster"
PREFIX = "goorm-popcorn-dev"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})
# The document of the AWS managed AmazonECSTaskExecutionRolePolicy. Loading moto's ~1,400 managed policies costs
# about a second per IAM backend, so the fixtures turn that off and attach this copy as a customer policy.
EXEC_POLICY_DOCUMENT = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"]}],
})
SSM_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                                                 "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
                   "Resource": "*"}],
})


def _ecs_backend() -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[ACCOUNT][REGION]


@dataclass
class Net:
    """A VPC with two private subnets (two AZs) behind a NAT gateway, and the ECS security group."""

    vpc: str
    subnets: list[str]
    cidrs: list[str]
    ecs_sg: str


@dataclass
class World:
    """Seeds resources through boto3 clients from popcornctl's own factory."""

    clients: Clients
    monkeypatch: pytest.MonkeyPatch
    net: Net | None = None
    _tds: dict[str, str] = field(default_factory=dict)
    _roles: tuple[str, str] | None = None

    def c(self, service: str) -> Any:
        return self.clients.client(service)

    # -- network ----------------------------------------------------------------------------------
    def network(self) -> Net:
        if self.net is None:
            ec2 = self.c("ec2")
            vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
            cidrs = ["10.20.1.0/24", "10.20.2.0/24"]
            subnets = [
                ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
                for cidr, az in zip(cidrs, "ab", strict=True)
            ]
            sg = ec2.create_security_group(GroupName=f"{PREFIX}-ecs", Description="ecs services", VpcId=vpc)["GroupId"]
            # a public subnet with the NAT gateway; the private subnets route 0.0.0.0/0 through it
            public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.0.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
            nat = ec2.create_nat_gateway(SubnetId=public["SubnetId"], AllocationId=eip)["NatGateway"]["NatGatewayId"]
            rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
            ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
            for subnet in subnets:
                ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
            self.net = Net(vpc, subnets, cidrs, sg)
        return self.net

    def isolated_subnets(self) -> list[str]:
        """Two subnets on the VPC's main route table: no NAT, no internet gateway, no endpoints."""
        net = self.network()
        ec2 = self.c("ec2")
        return [
            ec2.create_subnet(VpcId=net.vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
            for cidr, az in (("10.20.31.0/24", "a"), ("10.20.32.0/24", "b"))
        ]

    # -- ECS ----------------------------------------------------------------------------------------
    def cluster(self, name: str = CLUSTER) -> str:
        self.c("ecs").create_cluster(clusterName=name)
        return name

    def roles(self, *, exec_policy: bool = True, ssm: bool = True) -> tuple[str, str]:
        """The execution and task roles (made once; the first call's permissions stick)."""
        if self._roles:
            return self._roles
        iam = self.c("iam")
        roles = []
        for suffix in ("ecs-execution", "ecs-task"):
            name = f"{PREFIX}-{suffix}"
            try:
                roles.append(iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"])
            except iam.exceptions.EntityAlreadyExistsException:
                roles.append(iam.get_role(RoleName=name)["Role"]["Arn"])
        if exec_policy:
            arn = iam.create_policy(PolicyName="AmazonECSTaskExecutionRolePolicy",
                                    PolicyDocument=EXEC_POLICY_DOCUMENT)["Policy"]["Arn"]
            iam.attach_role_policy(RoleName=f"{PREFIX}-ecs-execution", PolicyArn=arn)
        if ssm:
            iam.put_role_policy(RoleName=f"{PREFIX}-ecs-task", PolicyName="ecs-exec", PolicyDocument=SSM_POLICY)
        self._roles = (roles[0], roles[1])
        return self._roles

    def task_definition(
        self,
        svc: str,
        *,
        image: str | None = None,
        cpu: str = "256",
        memory: str = "512",
        container_memory: int = 512,
        secrets: list[dict[str, str]] | None = None,
        exec_role: str | None = "default",
        task_role: str | None = "default",
        logs: bool = True,
        start_period: int | None = None,
    ) -> str:
        default_exec, default_task = self.roles()
        container: dict[str, Any] = {
            "name": svc,
            "image": image or f"{ECR}/goorm-popcorn/{svc}:1.4.2",
            "memory": container_memory,
            "essential": True,
            "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
            "secrets": secrets or [],
            "linuxParameters": {"initProcessEnabled": True},
        }
        group = f"/ecs/{PREFIX}/{svc}"
        if logs:
            try:
                self.c("logs").create_log_group(logGroupName=group)
            except self.c("logs").exceptions.ResourceAlreadyExistsException:
                pass
            container["logConfiguration"] = {
                "logDriver": "awslogs",
                "options": {"awslogs-group": group, "awslogs-region": REGION, "awslogs-stream-prefix": svc},
            }
        if start_period is not None:
            container["healthCheck"] = {"command": ["CMD-SHELL", "curl -f localhost:8080/health"],
                                        "startPeriod": start_period}
        kwargs: dict[str, Any] = {
            "family": f"{PREFIX}-{svc}",
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            "cpu": cpu,
            "memory": memory,
            "containerDefinitions": [container],
        }
        if exec_role:
            kwargs["executionRoleArn"] = default_exec if exec_role == "default" else exec_role
        if task_role:
            kwargs["taskRoleArn"] = default_task if task_role == "default" else task_role
        arn = self.c("ecs").register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"]
        self._tds[svc] = arn
        return str(arn)

    def service(
        self,
        svc: str,
        *,
        desired: int = 2,
        running: int = 2,
        pending: int = 0,
        rollout: str = "COMPLETED",
        deployments: list[dict[str, Any]] | None = None,
        events: list[str] | None = None,
        target_group: str | None = None,
        grace: int = 60,
        exec_enabled: bool = True,
        cluster: str = CLUSTER,
        subnets: list[str] | None = None,
        **td_kwargs: Any,
    ) -> dict[str, Any]:
        """create_service through boto3, then the fields moto cannot produce written to the backend."""
        td = self._tds.get(svc) or self.task_definition(svc, **td_kwargs)
        net = self.network()
        name = f"{PREFIX}-{svc}"
        kwargs: dict[str, Any] = {
            "cluster": cluster, "serviceName": name, "taskDefinition": td, "desiredCount": desired,
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets or net.subnets,
                                                             "securityGroups": [net.ecs_sg],
                                                             "assignPublicIp": "DISABLED"}},
        }
        if target_group:
            kwargs["loadBalancers"] = [{"targetGroupArn": target_group, "containerName": svc, "containerPort": 8080}]
        self.c("ecs").create_service(**kwargs)
        # moto: runningCount is 0, the deployment is IN_PROGRESS and events are empty -> seed the backend
        backend_svc = _ecs_backend().services[f"{cluster}:{name}"]
        backend_svc.running_count = running
        backend_svc.pending_count = pending
        backend_svc.enable_execute_command = exec_enabled
        backend_svc.health_check_grace_period_seconds = grace
        backend_svc.deployment_configuration = {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        }
        now = datetime.now(UTC)
        if deployments is not None:
            backend_svc.deployments = deployments
        else:
            dep = backend_svc.deployments[0]
            dep.update(rolloutState=rollout, runningCount=running, pendingCount=pending, desiredCount=desired,
                       createdAt=now - timedelta(minutes=20), updatedAt=now - timedelta(minutes=18),
                       rolloutStateReason=f"ECS deployment {dep['id']} completed." if rollout == "COMPLETED" else
                       dep.get("rolloutStateReason"))
        messages = events if events is not None else [f"(service {name}) has reached a steady state."]
        backend_svc.events = [
            {"id": f"ev-{i}", "createdAt": now - timedelta(minutes=2 + 3 * i), "message": m}
            for i, m in enumerate(messages)
        ]
        return {"name": name, "td": td, "backend": backend_svc}

    def task(
        self,
        svc: str,
        *,
        stopped: bool = False,
        stop_code: str | None = None,
        reason: str = "",
        exit_code: int | None = None,
        container_reason: str | None = None,
        stopped_ago: timedelta = timedelta(minutes=5),
        ran_for: timedelta = timedelta(minutes=1),
        agent: str | None = "RUNNING",
        cluster: str = CLUSTER,
    ) -> str:
        """A task in moto's backend state (run_task cannot start awsvpc tasks; exit codes/stopCode are not set)."""
        from moto.ecs.models import Task

        backend = _ecs_backend()
        td = backend.describe_task_definition(self._tds[svc])
        mode = td.network_mode
        td.network_mode = "bridge"  # moto's Task() fails to build awsvpc attachments; the mode is restored below
        try:
            task = Task(backend.clusters[cluster], td, None, None, backend, group=f"service:{PREFIX}-{svc}",
                        launch_type="FARGATE", platform_version="1.4.0")
        finally:
            td.network_mode = mode
        backend.tasks.setdefault(cluster, {})[task.task_arn] = task
        now = datetime.now(UTC)
        task.created_at = now - stopped_ago - ran_for - timedelta(seconds=40) if stopped else now - timedelta(hours=1)
        task.started_at = task.created_at + timedelta(seconds=40)
        container = task.containers[0]
        if stopped:
            task.status = "STOPPED"
            task.desired_status = "STOPPED"
            task.stopped_reason = reason
            task.stopped_at = now - stopped_ago
            if stop_code:
                task.stop_code = stop_code
            container.last_status = "STOPPED"
            container.exitCode = exit_code
            if container_reason:
                container.reason = container_reason
        else:
            container.last_status = "RUNNING"
            container.exitCode = None
            if agent:
                container.managed_agents = [{"name": "ExecuteCommandAgent", "lastStatus": agent}]
        return str(task.task_arn)

    def log_lines(self, svc: str, task_arn: str, lines: list[str]) -> None:
        logs = self.c("logs")
        group, stream = f"/ecs/{PREFIX}/{svc}", f"{svc}/{svc}/{task_arn.rsplit('/', 1)[-1]}"
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        base = int(time.time() * 1000) - 60_000
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": base + i, "message": line} for i, line in enumerate(lines)])

    def target_group(self, svc: str, targets: list[str]) -> str:
        net = self.network()
        elb = self.c("elbv2")
        elb.create_load_balancer(Name=f"{PREFIX}-alb-{svc}"[:32], Subnets=net.subnets, Scheme="internal")
        tg = elb.create_target_group(Name=f"{PREFIX}-{svc}"[:32], Protocol="HTTP", Port=8080, VpcId=net.vpc,
                                     TargetType="ip", HealthCheckPath="/health", HealthCheckIntervalSeconds=15,
                                     HealthyThresholdCount=3, UnhealthyThresholdCount=2)["TargetGroups"][0]
        arn = str(tg["TargetGroupArn"])
        if targets:
            elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": ip, "Port": 8080} for ip in targets])
        return arn

    def unhealthy_targets(self, tg_arn: str, reason: str, description: str) -> None:
        """moto marks every registered target healthy: patch the backend target group's health_for."""
        from moto.elbv2.models import FakeHealthStatus, elbv2_backends

        group = elbv2_backends[ACCOUNT][REGION].target_groups[tg_arn]

        def health_for(target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
            port = target.get("Port", group.port)
            return FakeHealthStatus(target["Id"], port, group.health_check_port, "unhealthy", reason, description)

        self.monkeypatch.setattr(group, "health_for", health_for)

    def alarm(self, name: str, dimensions: list[dict[str, str]], namespace: str = "AWS/ECS") -> None:
        cw = self.c("cloudwatch")
        cw.put_metric_alarm(AlarmName=name, MetricName="CPUUtilization", Namespace=namespace, Statistic="Average",
                            Period=60, EvaluationPeriods=1, Threshold=80, ComparisonOperator="GreaterThanThreshold",
                            Dimensions=dimensions)
        cw.set_alarm_state(AlarmName=name, StateValue="ALARM",
                           StateReason="Threshold Crossed: 1 datapoint [97.5 (27/11/26 04:10:00)] was greater than "
                           "the threshold (80.0).")

    # -- RDS ----------------------------------------------------------------------------------------
    def db(
        self,
        *,
        public: bool = False,
        public_subnets: bool = False,
        open_sg: bool = False,
        allow_ecs: bool = True,
        multi_az: bool = False,
        allocated: int = 20,
        max_allocated: int | None = 100,
        free_gib: float = 15.0,
        performance_insights: bool = True,
        rotation: bool = True,
        metrics: bool = True,
        identifier: str = f"{PREFIX}-postgres",
    ) -> dict[str, Any]:
        net = self.network()
        ec2, rds = self.c("ec2"), self.c("rds")
        db_cidrs = ["10.20.11.0/24", "10.20.12.0/24"]
        db_subnets = [
            ec2.create_subnet(VpcId=net.vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
            for cidr, az in zip(db_cidrs, "ab", strict=True)
        ]
        if public_subnets:
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)
            rtb = ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]
            ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            for subnet in db_subnets:
                ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
        sg = ec2.create_security_group(GroupName=f"{PREFIX}-rds", Description="rds", VpcId=net.vpc)["GroupId"]
        perms: list[dict[str, Any]] = []
        if allow_ecs:
            perms.append({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                          "UserIdGroupPairs": [{"GroupId": net.ecs_sg, "Description": "from ECS"}]})
        if open_sg:
            perms.append({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                          "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "debug"}]})
        if not allow_ecs and not open_sg:
            perms.append({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                          "IpRanges": [{"CidrIp": "10.99.0.0/16", "Description": "office VPN"}]})
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perms)
        rds.create_db_subnet_group(DBSubnetGroupName=f"{PREFIX}-db", DBSubnetGroupDescription="db",
                                   SubnetIds=db_subnets)
        kwargs: dict[str, Any] = {}
        if max_allocated:
            kwargs["MaxAllocatedStorage"] = max_allocated
        rds.create_db_instance(
            DBInstanceIdentifier=identifier, Engine="postgres", EngineVersion="16.4", DBInstanceClass="db.t4g.micro",
            AllocatedStorage=allocated, MasterUsername="popcorn", ManageMasterUserPassword=True,
            DBSubnetGroupName=f"{PREFIX}-db", VpcSecurityGroupIds=[sg], PubliclyAccessible=public,
            MultiAZ=multi_az, BackupRetentionPeriod=7, EnablePerformanceInsights=performance_insights, **kwargs,
        )
        from moto.rds.models import rds_backends

        backend_db = rds_backends[ACCOUNT][REGION].databases[identifier]
        backend_db.performance_insights_enabled = performance_insights  # moto does not persist it
        secret_arn = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["MasterUserSecret"][
            "SecretArn"]
        if rotation:
            from moto.secretsmanager.models import secretsmanager_backends

            secret = secretsmanager_backends[ACCOUNT][REGION].secrets[secret_arn]
            secret.rotation_requested = True  # RDS-managed secrets rotate every 7 days; moto leaves it off
            secret.rotation_enabled = True
            secret.auto_rotate_after_days = 7
        if metrics:
            self.db_metrics(identifier, free_gib=free_gib)
        return {"id": identifier, "sg": sg, "subnets": db_subnets, "backend": backend_db, "secret": secret_arn}

    def db_metrics(self, identifier: str, *, free_gib: float, cpu: float = 12.0, connections: float = 8.0,
                   latency: float = 0.002) -> None:
        cw = self.c("cloudwatch")
        now = datetime.now(UTC)
        dims = [{"Name": "DBInstanceIdentifier", "Value": identifier}]
        data = []
        for minutes in (2, 12, 22):
            stamp = now - timedelta(minutes=minutes)
            for name, value in (("FreeStorageSpace", free_gib * 1024**3), ("CPUUtilization", cpu),
                                ("DatabaseConnections", connections), ("ReadLatency", latency),
                                ("WriteLatency", latency), ("FreeableMemory", 0.5 * 1024**3)):
                data.append({"MetricName": name, "Dimensions": dims, "Timestamp": stamp, "Value": value})
        for i in range(0, len(data), 20):
            cw.put_metric_data(Namespace="AWS/RDS", MetricData=data[i : i + 20])

    def rds_event(self, identifier: str, message: str, categories: list[str]) -> None:
        """moto records only its own lifecycle events (created, backups): add one to the backend's list."""
        from moto.rds.models import Event, rds_backends

        backend = rds_backends[ACCOUNT][REGION]
        event = Event("DB_INSTANCE_CREATE", backend.databases[identifier])
        event.message = message
        event.event_categories = categories
        event.date = datetime.now(UTC) - timedelta(minutes=7)
        backend.events.append(event)
