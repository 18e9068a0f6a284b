"""Seeded AWS worlds for the diagnose tests, created through the AWS API only (never moto's internals).

Everything here is a boto3 call at the emulator: VPCs, subnets, routes, security groups, NACLs, roles and
policies, task definitions, services, tasks, log events, alarms, target groups, DB instances, secrets, metrics.
Two settings of the emulator are used, both moto's documented configuration: ``MOTO_ECS_SERVICE_RUNNING`` (the
runningCount a new service reports) and the ``ecs::task`` state transition frozen by the ``frozen_tasks``
fixture (moto otherwise advances a task on every DescribeTasks).

What moto cannot produce is not seeded: the tests that need it build facts directly (``diagfacts``) or stub the
response with botocore's Stubber, and say which. Known gaps (moto 5.2):

- ECS services drop ``enableExecuteCommand``, ``healthCheckGracePeriodSeconds`` and the circuit breaker, and
  have no events; ``run_task`` works only with bridge networking on a registered container instance (awsvpc
  fails); containers always exit 0 and tasks carry no ``stopCode``, ``createdAt`` or ``stoppedAt``
  (``stop_task`` keeps the reason);
- every registered ELB target is healthy;
- RDS does not persist Performance Insights, keeps only its own lifecycle events, and has no way to a status
  such as storage-full, to pending modifications or to a parameter group pending reboot;
- ``iam:SimulatePrincipalPolicy`` is not implemented (diagnose falls back to its local evaluator).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
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
    def cluster(self, name: str = CLUSTER, *, instances: int = 1) -> str:
        """A cluster with container instances (moto runs tasks only on them)."""
        self.c("ecs").create_cluster(clusterName=name)
        ec2 = self.c("ec2")
        for _ in range(instances):
            instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
            self.c("ecs").register_container_instance(
                cluster=name, instanceIdentityDocument=json.dumps({"instanceId": instance["InstanceId"]})
            )
        return name

    def roles(self, *, exec_policy: bool = True, ssm: bool = True) -> tuple[str, str]:
        """The execution and task roles (made once; the first call's permissions stick)."""
        if self._roles:
            return self._roles
        iam = self.c("iam")
        roles = []
        for suffix in ("ecs-execution", "ecs-task"):
            roles.append(iam.create_role(RoleName=f"{PREFIX}-{suffix}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"])
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
        environment: dict[str, str] | None = None,
        health: str | None = None,
    ) -> str:
        """A bridge-mode task definition (moto runs no awsvpc task); the service launches it as FARGATE."""
        default_exec, default_task = self.roles()
        container: dict[str, Any] = {
            "name": svc,
            "image": image or f"{ECR}/goorm-popcorn/{svc}:1.4.2",
            "memory": container_memory,
            "essential": True,
            "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
            "secrets": secrets or [],
            "linuxParameters": {"initProcessEnabled": True},
            "environment": [{"name": k, "value": v} for k, v in (environment or {}).items()],
        }
        if health:
            container["healthCheck"] = {"command": ["CMD-SHELL", health], "interval": 30, "retries": 3}
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
        kwargs: dict[str, Any] = {
            "family": f"{PREFIX}-{svc}", "networkMode": "bridge", "cpu": cpu, "memory": memory,
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
        target_group: str | None = None,
        cluster: str = CLUSTER,
        subnets: list[str] | None = None,
        td: str | None = None,
        **td_kwargs: Any,
    ) -> str:
        """create_service; ``running`` is what moto reports as runningCount (MOTO_ECS_SERVICE_RUNNING)."""
        arn = td or self._tds.get(svc) or self.task_definition(svc, **td_kwargs)
        net = self.network()
        name = f"{PREFIX}-{svc}"
        kwargs: dict[str, Any] = {
            "cluster": cluster, "serviceName": name, "taskDefinition": arn, "desiredCount": desired,
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets or net.subnets,
                                                             "securityGroups": [net.ecs_sg],
                                                             "assignPublicIp": "DISABLED"}},
        }
        if target_group:
            kwargs["loadBalancers"] = [{"targetGroupArn": target_group, "containerName": svc, "containerPort": 8080}]
        self.monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", str(running))
        try:
            self.c("ecs").create_service(**kwargs)
        finally:
            self.monkeypatch.delenv("MOTO_ECS_SERVICE_RUNNING")
        return name

    def task(self, svc: str, *, stopped: bool = False, reason: str = "", cluster: str = CLUSTER) -> str:
        """A task of the service (run_task with the service's group), stopped with ``reason`` when asked."""
        ecs = self.c("ecs")
        arn = str(ecs.run_task(cluster=cluster, taskDefinition=self._tds[svc], count=1, launchType="EC2",
                               group=f"service:{PREFIX}-{svc}")["tasks"][0]["taskArn"])
        if stopped:
            ecs.stop_task(cluster=cluster, task=arn, reason=reason)
        return arn

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
        lb = elb.create_load_balancer(Name=f"{PREFIX}-alb-{svc}"[:32], Subnets=net.subnets,
                                      Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
        tg = elb.create_target_group(Name=f"{PREFIX}-{svc}"[:32], Protocol="HTTP", Port=8080, VpcId=net.vpc,
                                     TargetType="ip", HealthCheckPath="/health", HealthCheckIntervalSeconds=15,
                                     HealthyThresholdCount=3, UnhealthyThresholdCount=2)["TargetGroups"][0]
        arn = str(tg["TargetGroupArn"])
        # A listener forwards to it: AWS (and the sandbox) refuse a service on a group no listener uses.
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}])
        if targets:
            elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": ip, "Port": 8080} for ip in targets])
        return arn

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
        rotation: bool = True,
        metrics: bool = True,
        retention: int = 7,
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
            MultiAZ=multi_az, BackupRetentionPeriod=retention, EnablePerformanceInsights=True, **kwargs,
        )
        secret_arn = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["MasterUserSecret"][
            "SecretArn"]
        if rotation:  # RDS-managed secrets rotate every 7 days; moto leaves rotation off until asked
            self.c("secretsmanager").rotate_secret(SecretId=secret_arn, RotationRules={"AutomaticallyAfterDays": 7})
        if metrics:
            self.db_metrics(identifier, free_gib=free_gib)
        return {"id": identifier, "sg": sg, "subnets": db_subnets, "secret": secret_arn}

    def db_metrics(self, identifier: str, *, free_gib: float, cpu: float = 12.0, connections: float = 8.0,
                   latency: float = 0.002) -> None:
        from datetime import UTC, datetime, timedelta

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
