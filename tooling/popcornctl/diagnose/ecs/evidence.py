"""The per-service look-ups of the ECS fetch step, decided by :mod:`.lookups` (what each service needs).

Every look-up is memoised by its key, so services sharing a role, a subnet set, a secret or a target group
cause one call each. Services are gathered concurrently on the fetch step's pool.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from popcornctl.diagnose.calls import Memo
from popcornctl.diagnose.ecs import convert, lookups
from popcornctl.diagnose.ecs.facts import EcsFacts, ImageCheck, LogTail, TargetHealth
from popcornctl.diagnose.ecs.subjects import ServiceSubject
from popcornctl.diagnose.failures import error_code
from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.iam import Permissions, Question
from popcornctl.diagnose.pool import Pool
from popcornctl.diagnose.vpc.facts import SubnetRoute
from popcornctl.diagnose.vpc.fetch import fetch_endpoint_services, fetch_subnet_routes
from popcornctl.diagnose.vpc.paths import no_way_out

LOG_EVENTS = 200  # read the last 200 lines of a crashed container's stream


class Evidence:
    """Gathers what each service needs, once per distinct key."""

    def __init__(self, clients: dict[str, Any], region: str, pool: Pool) -> None:
        self.c = clients
        self.region = region
        self.pool = pool
        self.permissions = Permissions(clients["iam"])
        self.questions: list[Question] = []
        self._questions_lock = threading.Lock()
        self.health: Memo[str, tuple[TargetHealth, ...]] = Memo(self._target_health)
        self.routes: Memo[tuple[str, ...], Mapping[str, SubnetRoute]] = Memo(
            lambda subnets: fetch_subnet_routes(self.c["ec2"], list(subnets))
        )
        self.endpoints: Memo[str, tuple[str, ...]] = Memo(
            lambda vpc: tuple(fetch_endpoint_services(self.c["ec2"], vpc))
        )
        self.images: Memo[tuple[str, str, str], ImageCheck] = Memo(self._image)
        self.log_groups: Memo[str, bool] = Memo(self._log_group_exists)
        self.tails: Memo[tuple[str, str], LogTail] = Memo(self._log_tail)
        self.secrets: Memo[str, dict[str, Any]] = Memo(
            lambda arn: dict(self.c["secretsmanager"].describe_secret(SecretId=arn))
        )
        self.parameters: Memo[str, dict[str, Any]] = Memo(
            lambda name: dict(self.c["ssm"].get_parameters(Names=[name], WithDecryption=False))
        )
        self.secret_states: dict[str, bool | str] = {}

    def gather(self, facts: EcsFacts, subjects: list[ServiceSubject]) -> EcsFacts:
        """``facts`` completed with every service's look-ups."""
        self.pool.map(self._service, subjects)
        permissions = self.permissions.answer(self.questions, self.pool.map)  # one simulation per role and actions
        return replace(
            facts,
            target_health=self.health.results(),
            routes=dict(self.routes.results()),
            endpoints=self.endpoints.results(),
            images=self.images.results(),
            log_groups=self.log_groups.results(),
            log_tails=self.tails.results(),
            secrets=dict(self.secret_states),
            permissions=permissions,
        )

    # -- per service ------------------------------------------------------------------------------------
    def _service(self, subject: ServiceSubject) -> None:
        svc, td = subject.service, subject.task_definition
        for lb in svc.load_balancers:
            if lb.target_group_arn:
                self.health(lb.target_group_arn)
        questions: list[Question] = []
        if td is not None:
            questions += lookups.execution_role_questions(td, self.region)
            if svc.exec_enabled:
                questions += lookups.exec_questions(td, subject.cluster.exec_kms_key, self.region)
            for ref in (r for c in td.containers for r in c.secret_refs):
                self.secret_states[ref] = self._secret_exists(ref)
        needed_endpoints = ["ssmmessages"] if svc.exec_enabled else []
        for item in _problems(subject):
            questions += lookups.rule_questions(item.rule.id, item.task_definition, self.region)
            needed_endpoints += lookups.NETWORK_RULES.get(item.rule.id, [])
            self._rule_evidence(subject, item)
        with self._questions_lock:
            self.questions += questions
        if needed_endpoints:
            self._network(subject)

    def _rule_evidence(self, subject: ServiceSubject, item: lookups.Classified) -> None:
        td = item.task_definition
        rule_id = item.rule.id
        if rule_id == "pull.image-not-found" and td is not None:
            for container in td.containers:
                parsed = lookups.ecr_image(container.image)
                if parsed and parsed[2]:
                    self.images((parsed[0], parsed[1], parsed[2]))
        if rule_id in lookups.LOG_GROUP_RULES and td is not None:
            for group in lookups.awslogs_groups(td):
                self.log_groups(group)
        if rule_id in lookups.LOG_TAIL_RULES and item.container is not None:
            cdef = td.container(item.container.name) if td else None
            where = lookups.log_stream(cdef, item.container.name, item.task.arn, self.region)
            if isinstance(where, tuple):
                self.tails(where)

    def _network(self, subject: ServiceSubject) -> None:
        network = subject.service.network
        if network is None or not network.subnets:
            return
        routes = self.routes(network.subnet_key).value
        if routes and no_way_out(routes.values(), network.public_ip):
            for vpc in dict.fromkeys(r.vpc_id for r in routes.values()):
                self.endpoints(vpc)

    # -- single look-ups ----------------------------------------------------------------------------------
    def _target_health(self, arn: str) -> tuple[TargetHealth, ...]:
        response = self.c["elbv2"].describe_target_health(TargetGroupArn=arn)
        return tuple(convert.target_health(d) for d in response.get("TargetHealthDescriptions", []))

    def _image(self, key: tuple[str, str, str]) -> ImageCheck:
        account, repo, tag = key
        try:
            self.c["ecr"].describe_images(registryId=account, repositoryName=repo, imageIds=[{"imageTag": tag}])
        except Exception as exc:
            code = error_code(exc)
            if code == "ImageNotFoundException":
                return ImageCheck("tag-missing")
            if code == "RepositoryNotFoundException":
                return ImageCheck("repository-missing")
            raise
        return ImageCheck("present")

    def _log_group_exists(self, group: str) -> bool:
        groups = self.c["logs"].describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
        return any(g.get("logGroupName") == group for g in groups)

    def _log_tail(self, key: tuple[str, str]) -> LogTail:
        group, stream = key
        try:
            events = (
                self.c["logs"]
                .get_log_events(logGroupName=group, logStreamName=stream, startFromHead=False, limit=LOG_EVENTS)
                .get("events", [])
            )
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return LogTail("not-found")
            raise
        lines = tuple(str(e.get("message", "")).rstrip() for e in events if str(e.get("message", "")).strip())
        return LogTail("ok", lines) if lines else LogTail("empty")

    def _secret_exists(self, ref: str) -> bool | str:
        """True/False when known, or a note why it could not be checked."""
        kind, value = lookups.secret_lookup(ref, self.region)
        if kind == "elsewhere":
            return f"in {value}, not checked"
        if kind == "secret":
            outcome = self.secrets(value)
            if outcome.code == "ResourceNotFoundException":
                return False
            if outcome.error:
                return outcome.error
            return not (outcome.value or {}).get("DeletedDate")
        parameter = self.parameters(value)
        if parameter.error:
            return parameter.error
        return not (parameter.value or {}).get("InvalidParameters")


def _problems(subject: ServiceSubject) -> list[lookups.Classified]:
    """The newest stopped task of each problem rule: the one whose evidence the finding shows."""
    seen: set[str] = set()
    out = []
    for item in subject.classified():
        if item.rule.status is not Status.OK and item.rule.id not in seen:
            seen.add(item.rule.id)
            out.append(item)
    return out
