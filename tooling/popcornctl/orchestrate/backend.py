"""Looking at the state backend from outside Terraform: does the bucket exist, is a stack's state there.

Used to decide bootstrap's first run (local state, then migration), to check dependencies left out of a
run (``--only``/``--exclude``: they must have been applied), and to refuse ``down`` of a stack that other
stacks still read. boto3 comes from :class:`popcornctl.aws.Clients` (the one client factory).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from popcornctl.common.awserrors import error_code
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.config import BackendSettings

_MISSING = {"404", "NoSuchBucket", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class StateInfo:
    """A stack's state object in the bucket: whether it exists and how many resources it holds."""

    exists: bool
    resources: int = 0

    @property
    def applied(self) -> bool:
        """True when the stack has been applied (state exists with at least one resource)."""
        return self.exists and self.resources > 0


class StateProbe(Protocol):
    """What the runner asks the backend."""

    def bucket_exists(self) -> bool:
        """True when the state bucket exists."""
        ...

    def state(self, stack: str) -> StateInfo:
        """The stack's state object."""
        ...


class S3StateProbe:
    """The probe for the S3 backend of ``popcorn.toml`` on the run's target."""

    def __init__(self, clients: Clients, backend: BackendSettings) -> None:
        self.clients = clients
        self.backend = backend

    def _error(self, action: str, exc: Exception) -> PopcornError:
        where = self.clients.target.describe()
        return PopcornError(
            f"cannot {action} s3://{self.backend.bucket} ({where}): {exc}",
            "check credentials and network (popcornctl doctor), or add --sandbox for the local emulator",
        )

    def bucket_exists(self) -> bool:
        """HEAD the bucket: 404 → False; 403 → True (it exists, someone else's or no permission)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.clients.client("s3").head_bucket(Bucket=self.backend.bucket)
        except ClientError as exc:
            code = error_code(exc)
            if code in _MISSING:
                return False
            if code in ("403", "AccessDenied", "Forbidden"):
                return True
            raise self._error("check the state bucket", exc) from None
        except BotoCoreError as exc:
            raise self._error("check the state bucket", exc) from None
        return True

    def state(self, stack: str) -> StateInfo:
        """Read ``<stack>/terraform.tfstate`` and count its resources (missing bucket/key → not there)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = (
                self.clients.client("s3")
                .get_object(Bucket=self.backend.bucket, Key=self.backend.key_for(stack))["Body"]
                .read()
            )
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return StateInfo(exists=False)
            raise self._error(f"read the state of {stack} in", exc) from None
        except BotoCoreError as exc:
            raise self._error(f"read the state of {stack} in", exc) from None
        try:
            resources = json.loads(body or b"{}").get("resources") or []
        except ValueError:
            return StateInfo(exists=True, resources=0)
        managed = [r for r in resources if r.get("mode", "managed") == "managed"]
        return StateInfo(exists=True, resources=len(managed))
