"""Shared helpers of the environment tests: seeding the sandbox with the global stacks' state, reading plans,
and the monitoring matrix (family x logs/metrics/alarms/dashboard) computed from a plan JSON."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tfhelpers import REPO, resources

ENVS = ("dev", "prod")
BUCKET = "goorm-popcorn-tfstate"
LOCK_TABLE = "goorm-popcorn-tf-locks"
REGION = "ap-northeast-2"
ACCOUNT = "123456789012"  # the emulator's account
ZONE_NAME = "goormpopcorn.shop"
SERVICES = ("api-gateway", "user", "store", "order", "payment", "payment-front", "checkin", "order-query")
ROUTED = ("api-gateway", "payment-front")
FAMILIES = ("ECS", "RDS", "Kafka", "ALB", "ElastiCache", "VPC")
COLUMNS = ("logs", "metrics", "alarms", "dashboard")
ARTIFACTS = REPO / "artifacts" / "plans"


def env_dir(env: str) -> Path:
    """The environment's stack folder."""
    return REPO / "envs" / env


# -- The global stacks' state, as the environments read it through terraform_remote_state ----------------------


def global_outputs() -> dict[str, dict[str, tuple[Any, Any]]]:
    """Stack key -> output name -> (value, Terraform type) for every output the global stacks declare.

    Values have the shapes the real stacks produce on the emulator (account 123456789012, region ap-northeast-2);
    ``test_envs_static`` checks that this covers every output the stacks declare and the environments read.
    """
    repo_urls = {s: f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/goorm-popcorn/{s}" for s in SERVICES}
    repo_arns = {s: f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/goorm-popcorn/{s}" for s in SERVICES}
    repo_names = {s: f"goorm-popcorn/{s}" for s in SERVICES}
    cert = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/6f1c1b1e-0d2a-4c39-9a52-2f4f8d1b7c10"
    names = [ZONE_NAME, f"*.{ZONE_NAME}"]
    string_map = ["map", "string"]
    return {
        "global/route53-acm/terraform.tfstate": {
            "zone_id": ("Z0PC0RN5ANDB0X1", "string"),
            "zone_name": (ZONE_NAME, "string"),
            "name_servers": (["ns-1.awsdns-01.org"], ["list", "string"]),
            "certificate_arn": (cert, "string"),
            "certificate_domain_names": (names, ["list", "string"]),
            "validation_record_fqdns": ([f"_0a1b2c.{ZONE_NAME}."], ["tuple", ["string"]]),
        },
        "global/account/terraform.tfstate": {
            "xray_kms_key_arn": (f"arn:aws:kms:{REGION}:{ACCOUNT}:key/5c2a9e1d-77b0-4f7e-9a3c-0d1e2f3a4b5c", "string"),
            "cloudtrail_arn": (f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/goorm-popcorn", "string"),
            "cloudtrail_bucket_name": (f"goorm-popcorn-cloudtrail-{ACCOUNT}", "string"),
            "cloudtrail_log_group_name": ("/aws/cloudtrail/goorm-popcorn", "string"),
            "ebs_encryption_by_default": (True, "bool"),
            "log_delivery_policy_name": ("goorm-popcorn-log-delivery", "string"),
        },
        "global/ecr/terraform.tfstate": {
            "repository_urls": (repo_urls, string_map),
            "repository_arns": (repo_arns, string_map),
            "repository_names": (repo_names, string_map),
            "registry_id": (ACCOUNT, "string"),
            "kms_key_arn": (f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b7e2f9c-5d7a-4e0e-8c55-93a1c0f6d111", "string"),
        },
    }


def state_document(outputs: Mapping[str, tuple[Any, Any]]) -> dict[str, Any]:
    """A minimal Terraform state (format 4) holding only outputs: what terraform_remote_state reads."""
    return {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 1,
        "lineage": str(uuid.uuid4()),
        "outputs": {k: {"value": v, "type": t} for k, (v, t) in outputs.items()},
        "resources": [],
        "check_results": None,
    }


def seed_sandbox(endpoint: str) -> None:
    """The state bucket, the lock table and the global stacks' state objects, on the emulator at ``endpoint``."""
    import boto3

    kwargs = {"endpoint_url": endpoint, "region_name": REGION, "aws_access_key_id": "testing",
              "aws_secret_access_key": "testing"}
    s3 = boto3.client("s3", **kwargs)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if BUCKET not in existing:
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    for key, outputs in global_outputs().items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(state_document(outputs)).encode())
    dynamodb = boto3.client("dynamodb", **kwargs)
    if LOCK_TABLE not in dynamodb.list_tables().get("TableNames", []):
        dynamodb.create_table(
            TableName=LOCK_TABLE, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        )


def local_copy(stack: str, dest: Path) -> Path:
    """A stack's files (links resolved) with absolute module sources and a local backend, for Terraform runs that
    must not touch the stack's S3 state (`terraform graph`, plans of the global stacks)."""
    folder = REPO / stack
    dest.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.suffix in {".tf", ".tfvars"} and path.name not in {"backend.tf", "sandbox.tfvars"}:
            text = re.sub(r'(source\s*=\s*")(\.{1,2}/[^"]*)(")',
                          lambda m: m.group(1) + (folder / m.group(2)).resolve().as_posix() + m.group(3),
                          path.read_text())
            (dest / path.name).write_text(text)
    (dest / "backend.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    return dest


def outputs(plan: Mapping[str, Any], name: str) -> Any:
    """A root output as the plan has it (values known after apply are None)."""
    return (plan.get("output_changes") or {}).get(name, {}).get("after")


def keep_artifact(env: str, plan: Mapping[str, Any]) -> Path:
    """Write the plan JSON to artifacts/plans/<env>.json (git-ignored) for humans and CI uploads."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{env}.json"
    path.write_text(json.dumps(plan, indent=1, sort_keys=True))
    return path


# -- Reading plans --------------------------------------------------------------------------------------------


def by_type(plan: Mapping[str, Any], rtype: str, module: str | None = None) -> list[dict[str, Any]]:
    """Planned resources of ``rtype`` (optionally only inside ``module``, e.g. "module.vpc")."""
    found = resources(plan, rtype)
    if module is not None:
        found = [r for r in found if (r["module_address"] or "") == module]
    return found


def values(plan: Mapping[str, Any], rtype: str, module: str | None = None) -> list[dict[str, Any]]:
    """The ``after`` values of the planned resources of ``rtype``."""
    return [r["values"] for r in by_type(plan, rtype, module)]


def one(plan: Mapping[str, Any], rtype: str, module: str | None = None) -> dict[str, Any]:
    """The values of the only planned resource of ``rtype``."""
    found = values(plan, rtype, module)
    assert len(found) == 1, f"expected one {rtype}, found {len(found)}"
    return found[0]


def references(plan: Mapping[str, Any], address: str, attribute: str) -> frozenset[str]:
    """Configuration addresses (``module.x.aws_y.z``) the expression of ``attribute`` of the resource at ``address``
    refers to, followed through module variables and outputs (popcornctl's policy reference index)."""
    from popcornctl.policy.api import Change

    index = _reference_index(plan)
    return index.references(Change({"address": address}), attribute)


_INDEXES: dict[int, Any] = {}
_ROOTS: dict[int, Path] = {}
_REF = re.compile(r"\b(?:var|local|module|data|aws_[a-z0-9_]+|terraform_data)\.[A-Za-z0-9_.\-]+")


def register_root(plan: Mapping[str, Any], folder: Path) -> None:
    """The folder a plan was made in, so references through the modules' locals can be read from their HCL."""
    _ROOTS[id(plan)] = folder


def _reference_index(plan: Mapping[str, Any]) -> Any:
    from popcornctl.hcl import load_dir
    from popcornctl.policy.refs import PlanReferences

    class WithLocals(PlanReferences):
        """The plan's reference index, also following ``local.*`` through the modules' HCL (the plan JSON does
        not describe locals)."""

        def __init__(self, configuration: Any, root: Path) -> None:
            super().__init__(configuration)
            self.root = root
            self._locals: dict[tuple[str, ...], dict[str, str]] = {}

        def _folder(self, path: tuple[str, ...]) -> Path:
            folder = self.root
            for depth in range(len(path)):
                call = (self.modules.get(path[:depth], {}).get("module_calls") or {}).get(path[depth]) or {}
                folder = (folder / str(call.get("source", ""))).resolve()
            return folder

        def _local_refs(self, path: tuple[str, ...], name: str) -> list[str]:
            if path not in self._locals:
                found: dict[str, str] = {}
                for hcl_file in load_dir(self._folder(path)):
                    for entry in hcl_file.body.get("locals", []):
                        found.update({k: json.dumps(v) for k, v in entry.items() if not k.startswith("__")})
                self._locals[path] = found
            return _REF.findall(self._locals[path].get(name, ""))

        def _resolve_uncached(self, path: tuple[str, ...], ref: str, depth: int) -> frozenset[str]:
            parts = ref.split(".")
            if parts[0] != "local" or len(parts) < 2:
                return super()._resolve_uncached(path, ref, depth)
            found: set[str] = set()
            for inner in self._local_refs(path, parts[1]):
                found |= self._resolve(path, inner, depth + 1)
            return frozenset(found)

    if id(plan) not in _INDEXES:
        root = _ROOTS.get(id(plan), REPO / "envs" / "dev")
        _INDEXES[id(plan)] = WithLocals(plan.get("configuration"), root)
    return _INDEXES[id(plan)]


def config_address(address: str) -> str:
    """``module.a["x"].aws_b.c[0]`` -> ``module.a.aws_b.c``."""
    from popcornctl.policy.addresses import config_address as strip

    return strip(address)


def data_after(plan: Mapping[str, Any], address: str) -> dict[str, Any]:
    """A data source's planned values (read during plan, or the known parts of one read at apply)."""
    for rc in plan.get("resource_changes", []):
        if rc.get("mode") == "data" and rc["address"] == address:
            return dict(rc["change"].get("after") or {})
    for module in _walk_modules((plan.get("prior_state") or {}).get("values", {}).get("root_module", {})):
        for res in module.get("resources", []):
            if res.get("mode") == "data" and res["address"] == address:
                return dict(res.get("values") or {})
    raise AssertionError(f"no data source {address} in the plan")


def _walk_modules(module: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield module
    for child in module.get("child_modules", []):
        yield from _walk_modules(child)


def declared_block(plan: Mapping[str, Any], address: str) -> dict[str, Any]:
    """The HCL block (parsed) that declares a planned resource, read from its module's folder: for what the plan
    JSON leaves out, such as ``lifecycle``."""
    from popcornctl.hcl import load_dir
    from popcornctl.policy.addresses import parse_address

    parsed = parse_address(address)
    assert parsed is not None, address
    index = _reference_index(plan)
    folder = index._folder(parsed.module_path)
    for hcl_file in load_dir(folder):
        for entry in hcl_file.body.get("resource", []):
            body = entry.get(parsed.type, {}).get(parsed.name)
            if body is not None:
                return dict(body)
    raise AssertionError(f"no resource {parsed.local} in {folder}")


def references_of_local(plan: Mapping[str, Any], name: str) -> frozenset[str]:
    """Resources a root module local refers to (followed through locals, variables and outputs)."""
    return _reference_index(plan)._resolve((), f"local.{name}", 0)


def variable(plan: Mapping[str, Any], name: str) -> Any:
    """The value of a root variable as the plan used it."""
    return plan["variables"][name]["value"]


def alarms(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every planned metric alarm's values."""
    return values(plan, "aws_cloudwatch_metric_alarm")


def alarm_namespaces(alarm: Mapping[str, Any]) -> set[str]:
    """Namespaces an alarm reads (its metric, or the metrics of its metric-math queries)."""
    found = {alarm["namespace"]} if alarm.get("namespace") else set()
    for query in alarm.get("metric_query") or []:
        for metric in query.get("metric") or []:
            found.add(metric["namespace"])
    return found


def dashboard_widgets(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Widgets of the integrated dashboard."""
    body = one(plan, "aws_cloudwatch_dashboard")["dashboard_body"]
    return list(json.loads(body)["widgets"])


def widget_namespaces(widget: Mapping[str, Any]) -> set[str]:
    """Metric namespaces a widget plots (the first element of every metric row)."""
    rows = (widget.get("properties") or {}).get("metrics") or []
    return {row[0] for row in rows if isinstance(row, list) and row and isinstance(row[0], str)}


def malformed_metric_widgets(widgets: Iterable[Mapping[str, Any]]) -> list[str]:
    """Titles of metric widgets whose `metrics` is not an array of arrays (CloudWatch's PutDashboard rejects them)."""
    bad = []
    for widget in widgets:
        rows = (widget.get("properties") or {}).get("metrics")
        if widget.get("type") == "metric" and not (isinstance(rows, list) and rows and
                                                   all(isinstance(r, list) and r for r in rows)):
            bad.append(str((widget.get("properties") or {}).get("title")))
    return bad


# -- The monitoring matrix ------------------------------------------------------------------------------------

# What counts, per family, as its metrics (CloudWatch namespaces; "Popcorn/..." = our log metric filters).
NAMESPACES = {
    "ECS": ("AWS/ECS", "ECS/ContainerInsights"),
    "RDS": ("AWS/RDS",),
    "Kafka": ("AWS/EC2", "CWAgent"),
    "ALB": ("AWS/ApplicationELB",),
    "ElastiCache": ("AWS/ElastiCache",),
    "VPC": ("AWS/NATGateway",),
}
CUSTOM_METRICS = {"ECS": r"-error-logs$", "Kafka": r"^kafka-error-logs$", "VPC": r"^vpc-flow-log-rejects$"}


def _log_evidence(plan: Mapping[str, Any], name: str) -> dict[str, list[str]]:
    groups = [g["name"] for g in values(plan, "aws_cloudwatch_log_group")]
    db = values(plan, "aws_db_instance")
    caches = values(plan, "aws_elasticache_replication_group")
    lbs = values(plan, "aws_lb")
    return {
        "ECS": [g for g in groups if g.startswith(f"/aws/ecs/{name}/")],
        "RDS": [g for g in groups if g.startswith(f"/aws/rds/instance/{name}-postgres/")]
        + [f"exports {d['enabled_cloudwatch_logs_exports']}" for d in db if d.get("enabled_cloudwatch_logs_exports")],
        "Kafka": [g for g in groups if g == f"/aws/ec2/{name}/kafka"],
        "ALB": [f"access logs -> s3://{a.get('bucket') or '(bucket known after apply)'}" for lb in lbs for a in lb.get("access_logs") or []
                if a.get("enabled")]
        + [g for g in groups if g == f"aws-waf-logs-{name}"],
        "ElastiCache": [g for g in groups if g.startswith(f"/aws/elasticache/{name}-valkey/")]
        + [f"delivery {d['log_type']}" for c in caches for d in c.get("log_delivery_configuration") or []],
        "VPC": [g for g in groups if g == f"/aws/vpc/{name}/flow-logs"]
        + [f"flow log ({f['traffic_type']})" for f in values(plan, "aws_flow_log")],
    }


def _metric_evidence(plan: Mapping[str, Any]) -> dict[str, list[str]]:
    filters = values(plan, "aws_cloudwatch_log_metric_filter")
    custom = {f: [m["metric_transformation"][0]["name"] for m in filters
                  if re.search(pattern, m["metric_transformation"][0]["name"])]
              for f, pattern in CUSTOM_METRICS.items()}
    clusters = values(plan, "aws_ecs_cluster")
    instances = values(plan, "aws_db_instance")
    brokers = values(plan, "aws_instance")
    return {
        "ECS": [f"containerInsights={s['value']}" for c in clusters for s in c["setting"]
                if s["name"] == "containerInsights" and s["value"] in ("enabled", "enhanced")] + custom["ECS"],
        "RDS": [f"enhanced monitoring {d['monitoring_interval']}s" for d in instances if d.get("monitoring_interval")]
        + ["performance insights" for d in instances if d.get("performance_insights_enabled")],
        # The brokers' CloudWatch agent publishes mem/disk (CWAgent); EC2 publishes CPU and status checks.
        "Kafka": [f"{len(brokers)} brokers (AWS/EC2)"] if brokers else [],
        "ALB": [f"target group {t['name']}" for t in values(plan, "aws_lb_target_group")],
        "ElastiCache": [f"{c['num_cache_clusters']} node(s)" for c in values(plan, "aws_elasticache_replication_group")],
        "VPC": [f"{len(values(plan, 'aws_nat_gateway'))} NAT gateway(s)"] * bool(values(plan, "aws_nat_gateway"))
        + custom["VPC"],
    }


def _alarm_evidence(plan: Mapping[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {f: [] for f in FAMILIES}
    for alarm in alarms(plan):
        spaces = alarm_namespaces(alarm)
        metric = alarm.get("metric_name") or ""
        for family in FAMILIES:
            custom = CUSTOM_METRICS.get(family)
            if spaces & set(NAMESPACES[family]) or (custom and metric and re.search(custom, metric)):
                out[family].append(alarm["alarm_name"])
    return out


MONITORING_FAMILY_KEYS = {"ECS": "ecs", "RDS": "rds", "Kafka": "kafka", "ALB": "alb", "ElastiCache": "elasticache",
                          "VPC": "vpc"}


def _expression_value(plan: Mapping[str, Any], expression: Mapping[str, Any] | None) -> Any:
    """The value of a module-call argument: a constant, or a root variable it references."""
    if not expression:
        return None
    if "constant_value" in expression:
        return expression["constant_value"]
    refs = [r for r in expression.get("references", []) if r.startswith("var.")]
    return plan.get("variables", {}).get(refs[0][4:], {}).get("value") if refs else None


def _dashboard_evidence(plan: Mapping[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {f: [] for f in FAMILIES}
    dashboards = values(plan, "aws_cloudwatch_dashboard")
    if not dashboards:
        return out
    if dashboards[0].get("dashboard_body") is not None:  # known: a state, or a plan of an applied environment
        for widget in dashboard_widgets(plan):
            spaces = widget_namespaces(widget)
            rows = [r for r in (widget.get("properties") or {}).get("metrics") or [] if isinstance(r, list)]
            metrics = {str(r[1]) for r in rows if len(r) > 1}
            title = (widget.get("properties") or {}).get("title", "")
            for family in FAMILIES:
                custom = CUSTOM_METRICS.get(family)
                if spaces & set(NAMESPACES[family]) or (custom and any(re.search(custom, m) for m in metrics)):
                    out[family].append(title)
        return out
    # Before the first apply the body embeds unknown IDs (ALB suffix, broker instances, NAT gateways): the rows
    # then follow the monitoring module's family switches, as the plan's configuration passes them.
    calls = plan["configuration"]["root_module"]["module_calls"]["monitoring"]["expressions"]
    for family, key in MONITORING_FAMILY_KEYS.items():
        if _expression_value(plan, calls.get(f"enable_{key}_alarms")) is True:
            out[family].append(f"{dashboards[0]['dashboard_name']}: {key} row (body known after apply)")
    return out


def state_as_plan(state: Mapping[str, Any]) -> dict[str, Any]:
    """A `terraform show -json` state in the shape `resources()` reads (every resource as a no-op change)."""
    changes: list[dict[str, Any]] = []

    def walk(module: Mapping[str, Any]) -> None:
        for r in module.get("resources", []):
            changes.append({
                "address": r["address"], "mode": r["mode"], "type": r["type"], "name": r["name"],
                "index": r.get("index"), "module_address": module.get("address"),
                "change": {"actions": ["no-op"], "after": r.get("values") or {}, "after_unknown": {}},
            })
        for child in module.get("child_modules", []):
            walk(child)

    walk(state.get("values", {}).get("root_module", {}))
    return {"resource_changes": changes}


def monitoring_matrix(plan: Mapping[str, Any], name: str) -> dict[str, dict[str, list[str]]]:
    """family -> column -> evidence found in the plan (an empty list is a missing cell)."""
    columns = {
        "logs": _log_evidence(plan, name),
        "metrics": _metric_evidence(plan),
        "alarms": _alarm_evidence(plan),
        "dashboard": _dashboard_evidence(plan),
    }
    return {f: {c: columns[c][f] for c in COLUMNS} for f in FAMILIES}


def missing_cells(matrix: Mapping[str, Mapping[str, Iterable[str]]]) -> list[str]:
    """'Family/column' of every empty cell."""
    return [f"{f}/{c}" for f in FAMILIES for c in COLUMNS if not list(matrix[f][c])]


# -- The sandbox profile: what it leaves out, and the emulator's drift after an apply --------------------------

# Resource types the sandbox profile (sandbox.tfvars) keeps out of the sandbox entirely (docs/SANDBOX_PROFILE.md).
SANDBOX_EXCLUDED_TYPES = frozenset({
})
# Resource types the profile once left out and the emulator's extensions now create as AWS does (tests/sandbox/).
SANDBOX_EXTENDED_TYPES = frozenset({
    "aws_xray_sampling_rule", "aws_xray_group", "aws_xray_encryption_config", "aws_db_parameter_group",
    "aws_elasticache_replication_group", "aws_elasticache_parameter_group", "aws_elasticache_subnet_group",
    "aws_appautoscaling_target", "aws_appautoscaling_policy",
})
