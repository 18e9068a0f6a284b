"""The AWS client factory: every boto3 client in popcornctl comes from here, aimed at one target.

Every client has bounded connect and read timeouts and a bounded number of attempts (botocore's defaults, a
60 s read timeout retried up to 4 times, let one stalled endpoint hold a command for four minutes). A call
that gets no answer fails after about ``attempts x (connect + read timeout)`` plus the retries' back-off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from popcornctl.errors import PopcornError
from popcornctl.target import Target

if TYPE_CHECKING:
    import boto3

CONNECT_TIMEOUT = 5.0  # seconds to open a connection
READ_TIMEOUT = 15.0  # seconds to wait for each response
MAX_ATTEMPTS = 3  # attempts per call, the first included


class Clients:
    """Lazily created boto3 clients for one target (one session, clients cached by service)."""

    def __init__(
        self,
        target: Target,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.target = target
        self.max_attempts = max_attempts
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._session: boto3.Session | None = None
        self._clients: dict[str, Any] = {}

    @property
    def answer_within(self) -> float:
        """The longest one call waits for an answer, over all its attempts (back-off not counted)."""
        return self.max_attempts * (self.connect_timeout + self.read_timeout)

    def session(self) -> boto3.Session:
        """The boto3 session (created on first use)."""
        if self._session is None:
            import boto3  # deferred: boto3 is slow to import

            self._session = boto3.Session()
        return self._session

    def client(self, service: str) -> Any:
        """A cached client for ``service`` aimed at the target, with bounded timeouts and attempts."""
        if service not in self._clients:
            from botocore.config import Config

            config = Config(
                connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout,
                retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
            )
            kwargs = self.target.boto3_kwargs()
            if not self.target.is_sandbox:
                kwargs.pop("endpoint_url", None)
            self._clients[service] = self.session().client(service, config=config, **kwargs)  # type: ignore[call-overload]
        return self._clients[service]

    def caller_identity(self) -> dict[str, str]:
        """STS GetCallerIdentity, or a one-line error naming the credential problem."""
        from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

        try:
            ident = self.client("sts").get_caller_identity()
        except ClientError as exc:
            raise PopcornError(
                f"AWS rejected the credentials: {exc.response['Error'].get('Message', exc)}",
                "refresh them (aws sso login / aws configure) or use --sandbox",
            ) from None
        except (ConnectTimeoutError, ReadTimeoutError):
            raise PopcornError(
                f"AWS did not answer within {self.answer_within:g} s ({self.target.describe()})",
                "check the network or the endpoint (popcornctl sandbox status for the sandbox)",
            ) from None
        except BotoCoreError as exc:
            where = self.target.describe()
            raise PopcornError(
                f"cannot reach AWS ({where}): {exc}",
                "check credentials and network, or start the sandbox with: popcornctl sandbox start",
            ) from None
        return {"account": str(ident["Account"]), "arn": str(ident["Arn"]), "user_id": str(ident["UserId"])}
