"""The AWS client factory: every boto3 client in popcornctl comes from here, aimed at one target."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from popcornctl.errors import PopcornError
from popcornctl.target import Target

if TYPE_CHECKING:
    import boto3


class Clients:
    """Lazily created boto3 clients for one target (one session, clients cached by service)."""

    def __init__(self, target: Target, *, max_attempts: int = 3) -> None:
        self.target = target
        self.max_attempts = max_attempts
        self._session: boto3.Session | None = None
        self._clients: dict[str, Any] = {}

    def session(self) -> boto3.Session:
        """The boto3 session (created on first use)."""
        if self._session is None:
            import boto3  # deferred: boto3 is slow to import

            self._session = boto3.Session()
        return self._session

    def client(self, service: str) -> Any:
        """A cached client for ``service`` aimed at the target."""
        if service not in self._clients:
            from botocore.config import Config

            config = Config(retries={"max_attempts": self.max_attempts, "mode": "standard"})
            kwargs = self.target.boto3_kwargs()
            if not self.target.is_sandbox:
                kwargs.pop("endpoint_url", None)
            self._clients[service] = self.session().client(service, config=config, **kwargs)  # type: ignore[call-overload]
        return self._clients[service]

    def caller_identity(self) -> dict[str, str]:
        """STS GetCallerIdentity, or a one-line error naming the credential problem."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            ident = self.client("sts").get_caller_identity()
        except ClientError as exc:
            raise PopcornError(
                f"AWS rejected the credentials: {exc.response['Error'].get('Message', exc)}",
                "refresh them (aws sso login / aws configure) or use --sandbox",
            ) from None
        except BotoCoreError as exc:
            where = self.target.describe()
            raise PopcornError(
                f"cannot reach AWS ({where}): {exc}",
                "check credentials and network, or start the sandbox with: popcornctl sandbox start",
            ) from None
        return {"account": str(ident["Account"]), "arn": str(ident["Arn"]), "user_id": str(ident["UserId"])}
