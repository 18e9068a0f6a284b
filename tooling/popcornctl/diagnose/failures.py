"""How diagnose reads AWS errors: the error code, a one-line description, and which errors end a run.

This is the only place in ``popcornctl.diagnose`` that looks inside botocore exceptions. botocore is imported
inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

from popcornctl.diagnose.window import human_seconds
from popcornctl.errors import PopcornError

CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "RequestExpired",
    }
)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (None for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def describe_error(exc: BaseException) -> str:
    """``Code: message`` for AWS errors, the exception text otherwise."""
    code = error_code(exc)
    response = getattr(exc, "response", None)
    if code and isinstance(response, dict):
        message = response.get("Error", {}).get("Message") or ""
        return f"{code}: {message}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def is_timeout(exc: BaseException) -> bool:
    """AWS took longer than the client's connect or read timeout (after its retries)."""
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

    return isinstance(exc, ConnectTimeoutError | ReadTimeoutError)


def is_fatal(exc: BaseException) -> bool:
    """Errors that make the whole run meaningless: bad credentials, no endpoint, no network, no answer."""
    from botocore.exceptions import (
        ConnectionClosedError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    fatal_types = (
        NoCredentialsError,
        PartialCredentialsError,
        NoRegionError,
        EndpointConnectionError,
        ConnectionClosedError,
    )
    return isinstance(exc, fatal_types) or is_timeout(exc) or error_code(exc) in CREDENTIAL_CODES


def fatal_error(exc: BaseException, where: str, *, answer_within: float | None = None) -> PopcornError:
    """The one-line user error for a fatal AWS problem (see :func:`is_fatal`)."""
    code = error_code(exc)
    if code in CREDENTIAL_CODES:
        return PopcornError(
            f"AWS rejected the credentials ({describe_error(exc)})",
            "refresh them (aws sso login / aws configure) or use --sandbox",
        )
    if is_timeout(exc) and answer_within is not None:
        return timeout_error(answer_within, where)
    return PopcornError(
        f"cannot reach AWS ({where}): {exc}",
        "check credentials and network, or start the sandbox with: popcornctl sandbox start",
    )


def timeout_error(seconds: float, where: str) -> PopcornError:
    """'AWS did not answer within N s': the run's deadline (or a call's timeouts) ran out."""
    return PopcornError(
        f"AWS did not answer within {human_seconds(seconds)} s ({where})",
        "check the network or the endpoint (popcornctl sandbox status for the sandbox), or allow longer with --timeout",
    )


def refused(api: str, exc: BaseException, fix: str) -> PopcornError:
    """A describe call the whole diagnosis depends on was refused."""
    return PopcornError(f"AWS refused {api}: {describe_error(exc)}", fix)
