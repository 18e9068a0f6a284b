"""The RDS checks: every module here registers its checks with ``@check``; each takes the run's
:class:`~popcornctl.diagnose.rds.facts.RdsFacts` and is pure."""
