"""The checks of ``diagnose cache`` (every module here is discovered by the registry)."""
