"""Which AWS a run talks to: the real one, or the local sandbox. Never both in one run.

A :class:`Target` is the single source of the AWS-related environment for Terraform and of the
keyword arguments for boto3 clients, so the two can never disagree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from popcornctl.errors import PopcornError

SANDBOX_KEY_ID = "popcorn-sandbox"
SANDBOX_SECRET = "popcorn-sandbox-secret"


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return host in {"localhost", "::1"} or host.startswith("127.")


def refuse_emulator_endpoints(env: Mapping[str, str] | None = None) -> None:
    """Refuse a real-AWS run while an ``AWS_ENDPOINT_URL*`` variable points at a loopback emulator.

    A sandbox setting left in the shell would otherwise send the run to the emulator under a real-AWS label
    (and unlock would audit the emulator's account as if it were ours). Every command that talks to real AWS
    calls this before it does anything.
    """
    env = os.environ if env is None else env
    leaked = sorted(k for k, v in env.items() if k.startswith("AWS_ENDPOINT_URL") and _is_loopback(v))
    if leaked:
        raise PopcornError(
            f"{leaked[0]} points at a local emulator but this run targets real AWS",
            f"add --sandbox to use the sandbox, or unset {leaked[0]}",
        )


@dataclass(frozen=True)
class Target:
    """The AWS a run targets. ``endpoint`` is set only for the sandbox."""

    region: str
    endpoint: str | None = None

    @property
    def is_sandbox(self) -> bool:
        """True when the run goes to the local emulator."""
        return self.endpoint is not None

    def describe(self, account: str | None = None) -> str:
        """One line naming the target, printed at the start of every run."""
        if self.endpoint:
            return f"sandbox at {urlparse(self.endpoint).netloc} (region {self.region})"
        return f"AWS account {account or '?'} in {self.region}"

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The process environment for Terraform/boto3 aimed at this target.

        For the sandbox every AWS endpoint variable points at the emulator with dummy keys; for real
        AWS any endpoint override aimed at a loopback emulator is refused, so a sandbox setting left
        in the shell can never leak into a real run.
        """
        env = dict(os.environ if base is None else base)
        if self.endpoint:
            for key in [k for k in env if k.startswith("AWS_ENDPOINT_URL_") or k == "AWS_PROFILE"]:
                del env[key]
            env.update(
                AWS_ENDPOINT_URL=self.endpoint,
                AWS_ACCESS_KEY_ID=SANDBOX_KEY_ID,
                AWS_SECRET_ACCESS_KEY=SANDBOX_SECRET,
                AWS_REGION=self.region,
                AWS_DEFAULT_REGION=self.region,
                AWS_EC2_METADATA_DISABLED="true",
                AWS_MAX_ATTEMPTS="2",
            )
            env.pop("AWS_SESSION_TOKEN", None)
            return env
        refuse_emulator_endpoints(env)
        env.setdefault("AWS_REGION", self.region)
        return env

    def boto3_kwargs(self) -> dict[str, str]:
        """Keyword arguments for ``boto3.Session().client(...)`` on this target."""
        kwargs = {"region_name": self.region}
        if self.endpoint:
            kwargs.update(
                endpoint_url=self.endpoint,
                aws_access_key_id=SANDBOX_KEY_ID,
                aws_secret_access_key=SANDBOX_SECRET,
            )
        return kwargs
