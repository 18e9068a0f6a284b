"""May a role do what a task needs? Answered by AWS's policy simulator, or offline by popcornctl.

:class:`Permissions` answers :class:`~.questions.Question` s for one run. It asks the simulator
(``iam:SimulatePrincipalPolicy``, with the resource ARNs and context the question carries) while the caller may
use it; the first refusal (no permission, or an emulator without the API) switches the run to the documented
offline fallback (:mod:`.local`: the role's own policy documents, without resources, conditions or boundaries).
Each :class:`~.questions.Verdict` says which was used. Role existence is read once per role (GetRole); local
documents once per role; the simulator once per role and set of actions (questions that differ only in their
resources share one call).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from popcornctl.diagnose.calls import Memo, Outcome
from popcornctl.diagnose.failures import error_code
from popcornctl.diagnose.iam.local import RolePolicies, evaluate, read_policies
from popcornctl.diagnose.iam.questions import ContextEntry, Question, Verdict, merge
from popcornctl.diagnose.iam.simulator import merged, simulate, verdict

__all__ = ["ContextEntry", "Permissions", "Question", "Verdict", "merge"]

Group = tuple[str, tuple[str, ...], tuple[ContextEntry, ...]]


class Permissions:
    """IAM answers for one run (thread-safe; every look-up memoised)."""

    def __init__(self, iam: Any, *, use_simulator: bool = True) -> None:
        self.iam = iam
        self._simulator_off: str | None = None if use_simulator else "not asked (offline)"
        self._simulator_works = False
        self._probe = threading.Lock()  # the first call finds out whether the simulator answers at all
        self._roles: Memo[str, bool] = Memo(self._role_exists)
        self._documents: Memo[str, RolePolicies] = Memo(lambda name: read_policies(self.iam, name))
        self._simulations: Memo[Question, list[dict[str, Any]]] = Memo(lambda q: simulate(self.iam, q))

    def _role_exists(self, role_name: str) -> bool:
        try:
            self.iam.get_role(RoleName=role_name)
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return False
            raise
        return True

    def ask(self, question: Question) -> Verdict:
        """One answer; a non-fatal IAM error reading the role is raised."""
        outcome = self.answer([question])[question]
        if outcome.value is None:
            raise LookupError(outcome.error)
        return outcome.value

    def answer(
        self, questions: Iterable[Question], map_fn: Callable[..., Any] = map
    ) -> dict[Question, Outcome[Verdict]]:
        """Every answer (or the error reading the role); groups of questions run through ``map_fn``."""
        groups: dict[Group, list[Question]] = {}
        for question in dict.fromkeys(questions):
            groups.setdefault((question.role_arn, question.actions, question.context), []).append(question)
        out: dict[Question, Outcome[Verdict]] = {}
        for answers in map_fn(self._group, list(groups.values())):
            out.update(answers)
        return out

    def _group(self, members: list[Question]) -> dict[Question, Outcome[Verdict]]:
        first = members[0]
        exists = self._roles(first.role_name)
        if exists.error is not None:
            return {q: Outcome(error=exists.error) for q in members}
        if not exists.value:
            return {q: Outcome(Verdict(q.role_name, exists=False, missing=q.actions)) for q in members}
        results, why_not = self._simulate(merged(members))
        if results is not None:
            return {q: Outcome(verdict(results, q)) for q in members}
        documents = self._documents(first.role_name)
        if documents.value is None:
            return {q: Outcome(error=documents.error) for q in members}
        note = f"the policy simulator was not used ({why_not})"
        return {q: Outcome(evaluate(documents.value, q.actions, note=note)) for q in members}

    def _simulate(self, question: Question) -> tuple[list[dict[str, Any]] | None, str]:
        """The simulator's results, or None and why not. The first refusal switches the run to the fallback."""
        if self._simulator_off is not None:
            return None, self._simulator_off
        if not self._simulator_works:
            with self._probe:  # concurrent first calls wait for the probe instead of all failing
                if self._simulator_off is not None:
                    return None, self._simulator_off
                first = self._simulations(question)
                if first.value is None:
                    self._simulator_off = f"iam:SimulatePrincipalPolicy failed: {first.error}"
                    return None, self._simulator_off
                self._simulator_works = True
                return first.value, ""
        answer = self._simulations(question)
        return answer.value, f"iam:SimulatePrincipalPolicy failed for this question: {answer.error}"
