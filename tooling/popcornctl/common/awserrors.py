"""The code and message of an AWS error, read one way everywhere.

botocore's ``ClientError`` carries ``response["Error"]["Code"]`` (``AccessDenied``, ``NoSuchKey``,
``ConditionalCheckFailedException``, or an HTTP status such as ``404`` for HEAD requests). Anything else
(connection errors, our own exceptions) has no code.
"""

from __future__ import annotations


def _error(exc: BaseException) -> dict[str, object]:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error")
        if isinstance(error, dict):
            return error
    return {}


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError``; ``""`` for anything else (so ``in {...}`` tests work)."""
    code = _error(exc).get("Code")
    return str(code) if code not in (None, "") else ""


def error_message(exc: BaseException) -> str:
    """AWS's message for the error, or the exception's own text when there is none."""
    message = _error(exc).get("Message")
    return str(message) if message not in (None, "") else str(exc)
