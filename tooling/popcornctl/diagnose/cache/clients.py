"""What the ECS services are configured with to reach Valkey: host, port, TLS, and where the password comes from.

Read from the containers' environment and secrets (names only for secrets; values of secrets are never read).
Spring Boot 3 (``SPRING_DATA_REDIS_*``), Spring Boot 2 (``SPRING_REDIS_*``) and plain ``REDIS_*``/``VALKEY_*``
names are understood, and URLs (``redis://``, ``rediss://``). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from popcornctl.diagnose.ecs.facts import ContainerDefinition
from popcornctl.diagnose.services import EcsServices

PREFIXES = ("SPRING_DATA_REDIS_", "SPRING_REDIS_", "REDIS_", "VALKEY_")
TRUE = ("true", "1", "yes", "on")


@dataclass(frozen=True)
class CacheClient:
    """One container's Valkey settings."""

    service: str
    container: str
    host: str | None
    port: int | None
    tls: bool | None  # None: not said (the client's default: plain TCP)
    password: str | None  # where it comes from: a secret reference, "environment", "url", or None

    @property
    def label(self) -> str:
        """'<service>/<container>'."""
        return f"{self.service}/{self.container}"

    def line(self) -> str:
        """The settings as an evidence line (no secret values)."""
        tls = {True: "TLS on", False: "TLS off", None: "TLS not set"}[self.tls]
        auth = f"password from {self.password}" if self.password else "no password"
        return f"{self.label}: {self.host or '?'}:{self.port or '?'}, {tls}, {auth}"


def _setting(container: ContainerDefinition, *suffixes: str) -> tuple[str | None, str | None]:
    """(value, secret reference) of the first ``<prefix><suffix>`` the container sets."""
    for prefix in PREFIXES:
        for suffix in suffixes:
            name = prefix + suffix
            value, secret = container.env(name), container.secret(name)
            if value is not None or secret is not None:
                return value, secret
    return None, None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def client(service: str, container: ContainerDefinition) -> CacheClient | None:
    """The container's Valkey settings (None when it names no cache)."""
    url, url_secret = _setting(container, "URL")
    host, _ = _setting(container, "HOST")
    if host is None and url is None and url_secret is None:
        return None
    port, _ = _setting(container, "PORT")
    tls, _ = _setting(container, "SSL_ENABLED", "SSL", "TLS")
    password, password_secret = _setting(container, "PASSWORD", "AUTH_TOKEN", "AUTH")
    source = password_secret or ("environment" if password else None)
    parsed_port, url_tls = None, None
    if url:
        parts = urlsplit(url)
        host = host or parts.hostname
        parsed_port = parts.port
        url_tls = parts.scheme == "rediss"
        source = source or ("url" if parts.password else None)
    elif url_secret:
        source = source or url_secret  # the whole URL is a secret: its password is in it
    return CacheClient(
        service=service,
        container=container.name,
        host=host,
        port=_int(port) or parsed_port,
        tls=(tls.strip().lower() in TRUE) if tls is not None else url_tls,
        password=source,
    )


def clients(services: EcsServices) -> list[CacheClient]:
    """Every container of every service that names a cache."""
    out = []
    for item in services.containers():
        found = client(item.service, item.container)
        if found is not None:
            out.append(found)
    return out
