"""May a role do what a task needs? Answered by AWS's policy simulator, or offline by popcornctl.

:class:`Permissions` answers :class:`~.questions.Question` s for one run. It asks the simulator
(``iam:SimulatePrincipalPolicy``, with the resource ARNs and context the question carries) while the caller may
use it; the first refusal (no permission, or an emulator without the API) switches the run to the documented
offline fallback (:mod:`.local`: the role's own policy documents, without resources, conditions or boundaries).
Each :class:`~.questions.Verdict` says which was used. Role existence is read once per role (GetRole); local
documents once per role; simulator answers once per question.
"""

from __future__ import annotations

import threading
from typing import Any

from popcornctl.diagnose.calls import Memo
from popcornctl.diagnose.errors import error_code
from popcornctl.diagnose.iam.local import RolePolicies, evaluate, read_policies
from popcornctl.diagnose.iam.questions import ContextEntry, Question, Verdict, merge
from popcornctl.diagnose.iam.simulator import simulate

__all__ = ["ContextEntry", "Permissions", "Question", "Verdict", "merge"]


class Permissions:
    """IAM answers for one run (thread-safe; every look-up memoised)."""

    def __init__(self, iam: Any, *, use_simulator: bool = True) -> None:
        self.iam = iam
        self._simulator_off: str | None = None if use_simulator else "not asked (offline)"
        self._simulator_works = False
        self._probe = threading.Lock()  # the first question finds out whether the simulator answers at all
        self._roles: Memo[str, bool] = Memo(self._role_exists)
        self._documents: Memo[str, RolePolicies] = Memo(lambda name: read_policies(self.iam, name))
        self._simulated: Memo[Question, Verdict] = Memo(lambda q: simulate(self.iam, q))

    def _role_exists(self, role_name: str) -> bool:
        try:
            self.iam.get_role(RoleName=role_name)
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return False
            raise
        return True

    def ask(self, question: Question) -> Verdict:
        """The answer; a non-fatal IAM error reading the role is raised (the fetch records it as a gap)."""
        exists = self._roles(question.role_name)
        if exists.error is not None:
            raise LookupError(exists.error)
        if not exists.value:
            return Verdict(question.role_name, exists=False, missing=question.actions)
        answer, why_not = self._simulate(question)
        if answer is not None:
            return answer
        documents = self._documents(question.role_name)
        if documents.value is None:
            raise LookupError(documents.error)
        return evaluate(documents.value, question.actions, note=f"the policy simulator was not used ({why_not})")

    def _simulate(self, question: Question) -> tuple[Verdict | None, str]:
        """The simulator's answer, or None and why not. The first refusal switches the run to the fallback."""
        if self._simulator_off is not None:
            return None, self._simulator_off
        if not self._simulator_works:
            with self._probe:  # concurrent first questions wait for the probe instead of all failing
                if self._simulator_off is not None:
                    return None, self._simulator_off
                first = self._simulated(question)
                if first.value is None:
                    self._simulator_off = f"iam:SimulatePrincipalPolicy failed: {first.error}"
                    return None, self._simulator_off
                self._simulator_works = True
                return first.value, ""
        answer = self._simulated(question)
        return answer.value, f"iam:SimulatePrincipalPolicy failed for this question: {answer.error}"
