"""The checks of ``diagnose alb`` (every module here is discovered by the registry)."""
