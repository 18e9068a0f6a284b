"""The checks of ``diagnose kafka`` (every module here is discovered by the registry)."""
