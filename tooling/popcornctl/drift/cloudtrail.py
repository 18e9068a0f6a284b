"""Who changed it, and when: the latest write event CloudTrail recorded for a drifted resource (best effort).

``LookupEvents`` reads the account's 90-day event history (no trail needed) and is throttled at two calls per
second per account and region, so lookups are few and paced: at most :data:`MAX_LOOKUPS` resources, one call per
name tried, stopping at the first failure that is not about one resource (no permission, the API missing). An
event made by Terraform itself (its user agent) is not an answer: the question is who changed it outside.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from popcornctl.drift.model import Attribution, ManagedFinding

if TYPE_CHECKING:
    from popcornctl.aws import Clients

MAX_LOOKUPS = 20  # resources looked up per scan
CALL_INTERVAL = 0.5  # seconds between calls (LookupEvents: 2 per second)
WINDOW = timedelta(days=90)  # the event history CloudTrail keeps


def _terraform(event: dict[str, Any]) -> bool:
    raw = event.get("CloudTrailEvent")
    try:
        agent = str(json.loads(raw).get("userAgent", "")) if isinstance(raw, str) else ""
    except ValueError:
        agent = ""
    return "terraform" in agent.lower()


def _who(event: dict[str, Any]) -> str:
    raw = event.get("CloudTrailEvent")
    try:
        identity = json.loads(raw).get("userIdentity", {}) if isinstance(raw, str) else {}
    except ValueError:
        identity = {}
    return str(identity.get("arn") or event.get("Username") or "unknown")


def attribute(
    clients: Clients,
    findings: Sequence[ManagedFinding],
    *,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Set ``attribution`` on the changed and deleted findings CloudTrail can explain; the lookup's status."""
    from botocore.exceptions import BotoCoreError, ClientError

    wanted = [f for f in findings if f.kind in ("changed", "deleted") and f.lookup_names][:MAX_LOOKUPS]
    if not wanted:
        return {"status": "skipped", "reason": "nothing changed or deleted outside Terraform", "lookups": 0}
    client = clients.client("cloudtrail")
    end = now or datetime.now(UTC)
    calls = found = 0
    for finding in wanted:
        for name in finding.lookup_names:
            if calls:
                sleep(CALL_INTERVAL)
            calls += 1
            try:
                events = client.lookup_events(
                    LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}],
                    StartTime=end - WINDOW, EndTime=end, MaxResults=50,
                ).get("Events") or []
            except ClientError as exc:
                return {"status": "unavailable", "lookups": calls, "explained": found, "reason": _reason(exc)}
            except BotoCoreError as exc:
                return {"status": "unavailable", "lookups": calls, "explained": found, "reason": str(exc)}
            writes = [e for e in events if str(e.get("ReadOnly", "false")).lower() != "true" and not _terraform(e)]
            if writes:
                latest = max(writes, key=lambda e: e.get("EventTime") or end)
                when = latest.get("EventTime")
                finding.attribution = Attribution(
                    who=_who(latest), event=str(latest.get("EventName", "?")),
                    when=when.isoformat() if isinstance(when, datetime) else str(when),
                )
                found += 1
                break
    return {"status": "ok", "lookups": calls, "explained": found,
            "reason": f"{found} of {len(wanted)} explained by CloudTrail event history"}


def _reason(exc: Any) -> str:
    """A ClientError in one line (an HTML error page becomes its HTTP status)."""
    error = exc.response.get("Error", {})
    message = str(error.get("Message", "")).strip()
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
    if not message or message.startswith("<"):
        message = f"HTTP {status} from LookupEvents"
    return f"{error.get('Code', 'error')}: {message.splitlines()[0][:200]}"
