"""Seeded worlds for ``diagnose alb | cache | kafka | network``, created through the AWS API only.

Every resource is a boto3 call at the emulator, shaped as the env composition builds it: the VPC as the vpc module
lays it out (tables tagged with their Tier, a NAT gateway, an S3 gateway endpoint, a flow log), the ALB with the
alb module's listeners (HTTP:80 redirecting, HTTPS:443 with an imported certificate and a TLS 1.2+ policy, a host
rule per service), the Valkey replication group with TLS and AUTH, the Kafka brokers with their data volumes,
private zone and agent metrics, the monitoring module's alarms (their thresholds are what diagnose reads).

What moto cannot answer is not seeded here; the tests answer it with ``stubcall.OneCall`` and say which:
ELBv2 DescribeTargetHealth (every target healthy), CloudWatch Logs GetQueryResults (moto's Logs Insights does not
parse flow-log fields or run ``stats``). The cache's nodes and events need the sandbox's emulator (its ElastiCache
extensions): the cache tests seed it through ``sandbox_world``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from diagworld import PREFIX, REGION, World

HOST = "api.popcorn.example.com"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:{PREFIX}-valkey/auth-token-AbCdEf"


# -- shared ----------------------------------------------------------------------------------------
def metric(world: World, namespace: str, name: str, dims: dict[str, str], values: list[float]) -> None:
    """Datapoints one minute apart, the last one two minutes ago (oldest first)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    data = [
        {"MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
         "Timestamp": now - timedelta(minutes=2 + len(values) - 1 - i), "Value": value}
        for i, value in enumerate(values)
    ]
    cw = world.c("cloudwatch")
    for start in range(0, len(data), 20):
        cw.put_metric_data(Namespace=namespace, MetricData=data[start : start + 20])


def alarm(world: World, name: str, namespace: str, metric_name: str, dims: dict[str, str], threshold: float,
          *, stat: str = "Average", period: int = 60, comparison: str = "GreaterThanThreshold") -> None:
    """A metric alarm as the monitoring module defines it (left in its initial state)."""
    kwargs: dict[str, Any] = {"ExtendedStatistic": stat} if stat.startswith("p") else {"Statistic": stat}
    world.c("cloudwatch").put_metric_alarm(
        AlarmName=name, Namespace=namespace, MetricName=metric_name, Period=period, EvaluationPeriods=5,
        DatapointsToAlarm=3, Threshold=threshold, ComparisonOperator=comparison,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()], **kwargs)


def certificate(world: World, days: int) -> str:
    """An imported certificate for HOST valid for ``days`` more days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=60))
            .not_valid_after(now + timedelta(days=days, hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return str(world.c("acm").import_certificate(Certificate=pem, PrivateKey=private)["CertificateArn"])


# -- network -----------------------------------------------------------------------------------------
@dataclass
class Vpc:
    """The VPC as the vpc module lays it out (one NAT gateway in AZ a, as in dev)."""

    id: str
    app_subnets: list[str]  # World.network's private subnets (the ECS tasks')
    public_subnets: list[str]
    data_subnets: list[str]
    nats: list[str]
    app_tables: list[str]
    flow_log_group: str = f"/aws/vpc/{PREFIX}/flow-logs"
    endpoints: list[str] = field(default_factory=list)


def vpc(world: World, *, nat_per_az: bool = False) -> Vpc:
    """World.network completed: Name tag, public table, per-AZ app tables, isolated data tier, endpoint, flow log."""
    net = world.network()
    ec2 = world.c("ec2")
    ec2.create_tags(Resources=[net.vpc], Tags=[{"Key": "Name", "Value": PREFIX}])
    public = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [net.vpc]}])["Subnets"]
              if s["CidrBlock"] == "10.20.0.0/24"]
    if nat_per_az:
        public.append(ec2.create_subnet(VpcId=net.vpc, CidrBlock="10.20.3.0/24",
                                        AvailabilityZone=f"{REGION}b")["Subnet"]["SubnetId"])
    igw = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [net.vpc]}])[
        "InternetGateways"][0]["InternetGatewayId"]
    rtb = ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_tags(Resources=[rtb], Tags=[{"Key": "Name", "Value": f"{PREFIX}-public"}, {"Key": "Tier", "Value": "public"}])
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for subnet in public:
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    nats = [n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filter=[{"Name": "vpc-id", "Values": [net.vpc]}])[
        "NatGateways"]]
    if nat_per_az:
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nats.append(ec2.create_nat_gateway(SubnetId=public[1], AllocationId=eip)["NatGateway"]["NatGatewayId"])
    # one app table per AZ, as the vpc module makes them (World.network shares one table between both subnets)
    tables = []
    for i, (subnet, az) in enumerate(zip(net.subnets, "ab", strict=True)):
        table = ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]
        ec2.create_tags(Resources=[table], Tags=[{"Key": "Name", "Value": f"{PREFIX}-private-app-{REGION}{az}"},
                                                 {"Key": "Tier", "Value": "private-app"}])
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nats[i % len(nats)])
        assoc = [a for t in ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])[
            "RouteTables"] for a in t["Associations"] if a.get("SubnetId") == subnet]
        ec2.replace_route_table_association(AssociationId=assoc[0]["RouteTableAssociationId"], RouteTableId=table)
        tables.append(table)
    data_table = ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_tags(Resources=[data_table], Tags=[{"Key": "Tier", "Value": "private-data"}])
    data = [ec2.create_subnet(VpcId=net.vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
            for cidr, az in (("10.20.21.0/24", "a"), ("10.20.22.0/24", "b"))]
    for subnet in data:
        ec2.associate_route_table(RouteTableId=data_table, SubnetId=subnet)
    endpoint = ec2.create_vpc_endpoint(VpcId=net.vpc, ServiceName=f"com.amazonaws.{REGION}.s3",
                                       VpcEndpointType="Gateway", RouteTableIds=tables)["VpcEndpoint"]["VpcEndpointId"]
    group = f"/aws/vpc/{PREFIX}/flow-logs"
    world.c("logs").create_log_group(logGroupName=group)
    ec2.create_flow_logs(ResourceIds=[net.vpc], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="cloud-watch-logs", LogGroupName=group,
                         DeliverLogsPermissionArn=f"arn:aws:iam::123456789012:role/{PREFIX}-flow-logs")
    return Vpc(net.vpc, net.subnets, public, data, nats, tables, group, [endpoint])


def nat_alarms(world: World, nats: list[str]) -> None:
    """The monitoring module's NAT alarms (port allocation errors > 0, drops > 100, per 5 minutes)."""
    for n, nat in enumerate(nats, start=1):
        alarm(world, f"{PREFIX}-vpc-nat-{n}-port-allocation-errors", "AWS/NATGateway", "ErrorPortAllocation",
              {"NatGatewayId": nat}, 0, stat="Sum", period=300)
        alarm(world, f"{PREFIX}-vpc-nat-{n}-packet-drops", "AWS/NATGateway", "PacketsDropCount",
              {"NatGatewayId": nat}, 100, stat="Sum", period=300)


def flow_rows(flows: list[tuple[str, str, str, int]]) -> dict[str, Any]:
    """A GetQueryResults answer of the top-rejects query."""
    return {"status": "Complete", "results": [
        [{"field": "srcAddr", "value": s}, {"field": "dstAddr", "value": d}, {"field": "dstPort", "value": p},
         {"field": "flows", "value": str(n)}] for s, d, p, n in flows]}


# -- load balancer -----------------------------------------------------------------------------------
@dataclass
class Alb:
    """The environment's load balancer."""

    arn: str
    name: str
    suffix: str  # app/<name>/<id>
    groups: dict[str, str]  # service key -> target group ARN
    listeners: dict[int, str]  # port -> listener ARN
    certificate: str


def alb(world: World, *, services: tuple[str, ...] = ("api",), cert_days: int = 90, http: str = "redirect",
        policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06", health_port: str | None = None,
        health_command: str | None = None) -> Alb:
    """The alb module's load balancer, one routed ECS service per key (container port 8080), two targets each.

    ``http``: "redirect" (the module's HTTP:80), "forward" (serves plain HTTP), "none" (no HTTP listener).
    """
    net = world.network()
    elb = world.c("elbv2")
    lb = elb.create_load_balancer(Name=f"{PREFIX}-alb", Subnets=net.subnets, Scheme="internal")["LoadBalancers"][0]
    arn = str(lb["LoadBalancerArn"])
    groups = {}
    for n, svc in enumerate(services):
        kwargs: dict[str, Any] = {"HealthCheckPort": health_port} if health_port else {}
        tg = str(elb.create_target_group(
            Name=f"{PREFIX}-{svc}"[:32], Protocol="HTTP", Port=8080, VpcId=net.vpc, TargetType="ip",
            HealthCheckPath="/actuator/health", HealthCheckIntervalSeconds=30, HealthyThresholdCount=3,
            UnhealthyThresholdCount=3, **kwargs)["TargetGroups"][0]["TargetGroupArn"])
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": f"10.20.{z}.{10 + n}", "Port": 8080} for z in (1, 2)])
        groups[svc] = tg
    cert = certificate(world, cert_days)
    https = str(elb.create_listener(
        LoadBalancerArn=arn, Protocol="HTTPS", Port=443, SslPolicy=policy, Certificates=[{"CertificateArn": cert}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404",
                                                                          "ContentType": "text/plain"}}],
    )["Listeners"][0]["ListenerArn"])
    for n, (svc, tg) in enumerate(groups.items(), start=1):
        elb.create_rule(ListenerArn=https, Priority=n * 10, Actions=[{"Type": "forward", "TargetGroupArn": tg}],
                        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [f"{svc}.{HOST}"]}}])
    listeners = {443: https}
    if http != "none":
        action = ({"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
                  if http == "redirect" else {"Type": "forward", "TargetGroupArn": next(iter(groups.values()))})
        listeners[80] = str(elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80,
                                                DefaultActions=[action])["Listeners"][0]["ListenerArn"])
    # the services last: AWS refuses a service on a target group that no listener forwards to yet
    world.cluster(instances=0)
    for svc, tg in groups.items():
        if health_command:
            world.task_definition(svc, health=health_command)
        world.service(svc, target_group=tg, desired=2, running=2)
    return Alb(arn, f"{PREFIX}-alb", arn.split(":loadbalancer/", 1)[1], groups, listeners, cert)


def alb_alarms(world: World, lb: Alb) -> None:
    """The monitoring module's ALB alarms (ELB 5xx > 10, target 5xx > 20 per minute, p99 > 2 s)."""
    dims = {"LoadBalancer": lb.suffix}
    alarm(world, f"{PREFIX}-alb-elb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", dims, 10, stat="Sum")
    alarm(world, f"{PREFIX}-alb-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", dims, 20, stat="Sum")
    alarm(world, f"{PREFIX}-alb-p99-latency", "AWS/ApplicationELB", "TargetResponseTime", dims, 2, stat="p99")


def access_logs(world: World, lb: Alb, *, bucket: bool = True, delivered: bool = True) -> str:
    """Access logs on, to ``<prefix>-alb-logs-<account>`` under the module's prefix (a log file delivered now)."""
    name = f"{PREFIX}-alb-logs-123456789012"
    if bucket:
        world.c("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    world.c("elbv2").modify_load_balancer_attributes(LoadBalancerArn=lb.arn, Attributes=[
        {"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": name},
        {"Key": "access_logs.s3.prefix", "Value": "alb"}])
    if bucket and delivered:
        now = datetime.now(UTC)
        key = (f"alb/AWSLogs/123456789012/elasticloadbalancing/{REGION}/{now:%Y/%m/%d}/123456789012_"
               f"elasticloadbalancing_{REGION}_{lb.suffix.replace('/', '.')}_{now:%Y%m%dT%H%M}Z_10.20.1.5_abc.log.gz")
        world.c("s3").put_object(Bucket=name, Key=key, Body=b"h2 2026-11-27T04:10:00Z ...")
    return name


def waf(world: World, lb: Alb) -> str:
    """A web ACL with the module's managed rule groups, associated with the load balancer."""
    wafv2 = world.c("wafv2")
    rules = [{"Name": group, "Priority": n, "OverrideAction": {"None": {}},
              "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}},
              "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                   "MetricName": f"{PREFIX}-{group}"}}
             for n, group in enumerate(("AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAnonymousIpList"))]
    acl = wafv2.create_web_acl(Name=f"{PREFIX}-alb", Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=rules,
                               VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                                 "MetricName": f"{PREFIX}-alb"})["Summary"]
    wafv2.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=lb.arn)
    return str(acl["Name"])


def healthy_targets(params: dict[str, Any], reason: str | None = None, description: str = "") -> dict[str, Any]:
    """A DescribeTargetHealth answer: two targets, healthy, or unhealthy with ``reason``."""
    health = {"State": "unhealthy", "Reason": reason, "Description": description} if reason else {"State": "healthy"}
    return {"TargetHealthDescriptions": [
        {"Target": {"Id": f"10.20.{z}.10", "Port": 8080}, "HealthCheckPort": "8080", "TargetHealth": health}
        for z in (1, 2)]}


# -- cache ---------------------------------------------------------------------------------------------
GROUP = f"{PREFIX}-valkey"


@dataclass
class Cache:
    """The elasticache module's replication group, and the security group of its nodes."""

    id: str
    sg: str
    members: list[str]
    primary: str
    port: int = 6379


def cache(world: World, *, allow_ecs: bool = True, tls: bool = True, auth: bool = True, nodes: int = 2) -> Cache:
    """A Valkey replication group with TLS required and an AUTH token, reachable from the ECS services' group."""
    net = world.network()
    ec2, elasticache = world.c("ec2"), world.c("elasticache")
    sg = ec2.create_security_group(GroupName=f"{PREFIX}-elasticache", Description="valkey", VpcId=net.vpc)["GroupId"]
    if allow_ecs:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "UserIdGroupPairs": [{"GroupId": net.ecs_sg}]}])
    elasticache.create_cache_subnet_group(CacheSubnetGroupName=GROUP, CacheSubnetGroupDescription="data",
                                          SubnetIds=net.subnets)
    kwargs: dict[str, Any] = {"TransitEncryptionEnabled": True} if tls else {}
    if auth:
        kwargs["AuthToken"] = "a" * 32
    elasticache.create_replication_group(
        ReplicationGroupId=GROUP, ReplicationGroupDescription=f"Valkey cache of {PREFIX}", Engine="valkey",
        EngineVersion="8.0", CacheNodeType="cache.t4g.micro", NumCacheClusters=nodes, CacheSubnetGroupName=GROUP,
        SecurityGroupIds=[sg], AutomaticFailoverEnabled=nodes > 1, MultiAZEnabled=nodes > 1, **kwargs)
    group = elasticache.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]
    primary = group["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
    return Cache(GROUP, sg, list(group["MemberClusters"]), primary)


def cache_service(world: World, group: Cache, *, ssl: str = "true", password: bool = True) -> str:
    """The api service configured as the env composition configures it (cache_environment, cache_secrets)."""
    world.cluster(instances=0)
    secrets = [{"name": "SPRING_DATA_REDIS_PASSWORD", "valueFrom": SECRET_ARN}] if password else []
    world.task_definition("api", secrets=secrets, environment={
        "SPRING_DATA_REDIS_HOST": group.primary, "SPRING_DATA_REDIS_PORT": str(group.port),
        "SPRING_DATA_REDIS_SSL_ENABLED": ssl})
    return world.service("api")


def cache_alarms(world: World, group: Cache) -> None:
    """The monitoring module's per-node alarms (engine CPU 80%, memory 80%, evictions 100, connections 1000)."""
    for n, node in enumerate(group.members, start=1):
        for key, name, stat, threshold in (("engine-cpu", "EngineCPUUtilization", "Average", 80),
                                            ("memory", "DatabaseMemoryUsagePercentage", "Average", 80),
                                            ("evictions", "Evictions", "Sum", 100),
                                            ("connections", "CurrConnections", "Maximum", 1000)):
            alarm(world, f"{PREFIX}-elasticache-{n}-{key}", "AWS/ElastiCache", name, {"CacheClusterId": node},
                  threshold, stat=stat)


def cache_metrics(world: World, group: Cache, **first: float) -> None:
    """Five minutes of every node's metrics, flat and normal; ``first`` overrides the first node's (cpu, memory,
    evictions, connections)."""
    for n, node in enumerate(group.members):
        values = {"cpu": 12.0, "memory": 35.0, "evictions": 0.0, "connections": 40.0, **(first if n == 0 else {})}
        for name, key in (("EngineCPUUtilization", "cpu"), ("DatabaseMemoryUsagePercentage", "memory"),
                          ("Evictions", "evictions"), ("CurrConnections", "connections")):
            metric(world, "AWS/ElastiCache", name, {"CacheClusterId": node}, [values[key]] * 5)


# -- kafka ---------------------------------------------------------------------------------------------
ZONE = f"kafka.{PREFIX}.internal"


@dataclass
class Kafka:
    """The ec2-kafka module's brokers: instances, data volumes, the private zone and its records."""

    instances: dict[str, str]  # node id -> instance id
    addresses: dict[str, str]  # node id -> private IP
    volumes: dict[str, str]  # node id -> data volume id
    sg: str
    zone_id: str

    @property
    def bootstrap(self) -> str:
        """The kafka_bootstrap_servers output."""
        return ",".join(f"broker-{n}.{ZONE}:9092" for n in self.instances)

    @property
    def voters(self) -> str:
        """The kafka_controller_quorum_voters output."""
        return ",".join(f"{n}@broker-{n}.{ZONE}:9093" for n in self.instances)


def kafka(world: World, *, brokers: int = 3, allow_ecs: bool = True) -> Kafka:
    """Combined broker/controller nodes with the security-groups module's Kafka rules."""
    net = world.network()
    ec2 = world.c("ec2")
    sg = ec2.create_security_group(GroupName=f"{PREFIX}-kafka", Description="kafka", VpcId=net.vpc)["GroupId"]
    perms = [{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "UserIdGroupPairs": [{"GroupId": sg}]}
             for p in (9092, 9093)]
    if allow_ecs:
        perms.append({"IpProtocol": "tcp", "FromPort": 9092, "ToPort": 9092,
                      "UserIdGroupPairs": [{"GroupId": net.ecs_sg}]})
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perms)
    instances, addresses, volumes = {}, {}, {}
    for n in range(1, brokers + 1):
        node, subnet, az = str(n), net.subnets[(n - 1) % 2], f"{REGION}{'ab'[(n - 1) % 2]}"
        tags = [{"Key": "Name", "Value": f"{PREFIX}-kafka-{n}"}, {"Key": "KafkaNodeId", "Value": node}]
        raw = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t4g.medium",
                                SubnetId=subnet, SecurityGroupIds=[sg],
                                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"][0]
        volume = ec2.create_volume(Size=50, VolumeType="gp3", AvailabilityZone=az, TagSpecifications=[
            {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": f"{PREFIX}-kafka-{n}-data"},
                                                {"Key": "KafkaNodeId", "Value": node}]}])["VolumeId"]
        ec2.attach_volume(VolumeId=volume, InstanceId=raw["InstanceId"], Device="/dev/sdf")
        instances[node], addresses[node], volumes[node] = raw["InstanceId"], raw["PrivateIpAddress"], volume
    route53 = world.c("route53")
    zone = route53.create_hosted_zone(Name=ZONE, CallerReference=f"{PREFIX}-kafka", VPC={"VPCRegion": REGION,
                                      "VPCId": net.vpc}, HostedZoneConfig={"PrivateZone": True})["HostedZone"]["Id"]
    for node, address in addresses.items():
        point(world, zone, node, address)
    return Kafka(instances, addresses, volumes, sg, zone)


def point(world: World, zone: str, node: str, address: str) -> None:
    """UPSERT broker-<node>.<zone> A <address> (as aws_route53_record.broker writes it)."""
    world.c("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": f"broker-{node}.{ZONE}", "Type": "A", "TTL": 60,
                                                  "ResourceRecords": [{"Value": address}]}}]})


def kafka_alarms(world: World, brokers: Kafka) -> None:
    """The monitoring module's agent alarms (memory 90%, data disk 75% of /var/lib/kafka)."""
    for n, instance in brokers.instances.items():
        alarm(world, f"{PREFIX}-kafka-{n}-memory", "CWAgent", "mem_used_percent", {"InstanceId": instance}, 90)
        alarm(world, f"{PREFIX}-kafka-{n}-data-disk", "CWAgent", "disk_used_percent",
              {"InstanceId": instance, "path": "/var/lib/kafka"}, 75, stat="Maximum")


def kafka_metrics(world: World, brokers: Kafka, *, memory: float = 55.0, disk: float = 30.0,
                  only: tuple[str, ...] = ()) -> None:
    """Five minutes of the CloudWatch agent's memory and data-disk usage per broker (``only``: these nodes)."""
    for node, instance in brokers.instances.items():
        if only and node not in only:
            continue
        metric(world, "CWAgent", "mem_used_percent", {"InstanceId": instance}, [memory] * 5)
        metric(world, "CWAgent", "disk_used_percent", {"InstanceId": instance, "path": "/var/lib/kafka"}, [disk] * 5)
