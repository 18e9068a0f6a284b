"""The Terraform engine room (see :mod:`popcornctl.engine.base`)."""

from __future__ import annotations

from collections.abc import Mapping

from popcornctl.engine.base import RUNNING, Engine, ProcessEngine, Running, TerraformFailed, TfResult
from popcornctl.engine.engines import BinaryEngine, EmbeddedEngine
from popcornctl.engine.env import terraform_env
from popcornctl.settings import Settings

__all__ = [
    "RUNNING",
    "BinaryEngine",
    "EmbeddedEngine",
    "Engine",
    "ProcessEngine",
    "Running",
    "TerraformFailed",
    "TfResult",
    "make_engine",
    "terraform_env",
]


def make_engine(settings: Settings, base_env: Mapping[str, str]) -> ProcessEngine:
    """The engine the settings ask for, with the Terraform environment built on ``base_env``."""
    env = terraform_env(settings, base_env)
    if settings.terraform:
        return BinaryEngine(settings.terraform, env, state_dir=settings.state_dir)
    return EmbeddedEngine(env, state_dir=settings.state_dir)
