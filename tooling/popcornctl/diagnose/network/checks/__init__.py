"""The checks of ``diagnose network`` (every module here is discovered by the registry)."""
