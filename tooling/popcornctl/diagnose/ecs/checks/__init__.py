"""The ECS checks: every module here registers its checks with ``@check`` (found by the registry).

Service checks take a :class:`~popcornctl.diagnose.ecs.subjects.ServiceSubject`, cluster checks a
:class:`~popcornctl.diagnose.ecs.subjects.ClusterSubject`; all are pure.
"""
