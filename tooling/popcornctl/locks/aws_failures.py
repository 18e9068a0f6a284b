"""AWS failures while reading or releasing locks, turned into one-line :class:`PopcornError` s."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from popcornctl.common.awserrors import error_code, error_message
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.target import Target

_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "Forbidden",
    "403",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
}


@contextmanager
def aws_errors(target: Target, action: str, resource: str, *, missing: str | None = None) -> Iterator[None]:
    """Translate botocore failures of ``action`` on ``resource`` into one line naming what is wrong.

    ``missing`` is the sentence for a missing table/bucket (``ResourceNotFoundException``/``NoSuchBucket``).
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError,
        EndpointConnectionError,
        NoCredentialsError,
    )

    where = target.describe()
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        if code in ("ResourceNotFoundException", "NoSuchBucket"):
            raise PopcornError(
                missing or f"{resource} does not exist ({where})",
                "create it with the bootstrap stack (popcornctl up ENV --only bootstrap), or fix [backend] in "
                "popcorn.toml",
            ) from None
        if code in _DENIED:
            raise PopcornError(
                f"no permission to {action} on {resource} ({code}: {error_message(exc)})",
                "use credentials allowed dynamodb:GetItem/Scan/DeleteItem and s3:GetObject/ListBucket/DeleteObject "
                "on the state backend",
            ) from None
        raise PopcornError(f"{action} on {resource} failed ({where}): {code}: {error_message(exc)}") from None
    except NoCredentialsError:
        raise PopcornError(
            "no AWS credentials found", "log in (aws sso login / aws configure), or add --sandbox"
        ) from None
    except (EndpointConnectionError, ConnectionError) as exc:
        fix = (
            "start it with: popcornctl sandbox start"
            if target.is_sandbox
            else "check the network and AWS_ENDPOINT_URL settings"
        )
        raise PopcornError(f"cannot reach {where} to {action} ({exc.__class__.__name__})", fix) from None
    except BotoCoreError as exc:
        raise PopcornError(f"{action} on {resource} failed ({where}): {exc}") from None
