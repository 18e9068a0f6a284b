"""Answer ONE operation of a client from the test while every other call still reaches the emulator.

botocore's Stubber answers every call of its client from one ordered queue, so it cannot serve a fetch step that
calls several operations of one client concurrently (ELBv2's DescribeLoadBalancers, DescribeListeners and
DescribeTargetHealth, say). ``OneCall`` does what Stubber does, for one operation only: a ``before-call`` handler
returns the answer, validated against the operation's output shape exactly as Stubber validates its responses
(``botocore.validate.validate_parameters``), and the parameters of every call are recorded. Each test using it
says which call the emulator cannot answer, and why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

Answer = Callable[[dict[str, Any]], dict[str, Any]]


class OneCall:
    """``with OneCall(client, "DescribeTargetHealth", answer):`` answers that operation from ``answer(params)``."""

    def __init__(self, client: Any, operation: str, answer: Answer) -> None:
        self.client = client
        self.operation = operation
        self.answer = answer
        self.calls: list[dict[str, Any]] = []
        self.model = client.meta.service_model.operation_model(operation)
        service = client.meta.service_model.service_id.hyphenize()
        self.events = (f"before-parameter-build.{service}.{operation}", f"before-call.{service}.{operation}")

    def _params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["one_call_params"] = dict(params)

    def _respond(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        params = context.get("one_call_params", {})
        self.calls.append(params)
        response = self.answer(params)
        if self.model.output_shape is not None:
            validate_parameters(response, self.model.output_shape)
        return AWSResponse(None, 200, {}, None), response  # type: ignore[arg-type]

    def __enter__(self) -> OneCall:
        self.client.meta.events.register(self.events[0], self._params)
        self.client.meta.events.register_first(self.events[1], self._respond)
        return self

    def __exit__(self, *_: object) -> None:
        self.client.meta.events.unregister(self.events[0], self._params)
        self.client.meta.events.unregister(self.events[1], self._respond)

