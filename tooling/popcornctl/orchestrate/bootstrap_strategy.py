"""Bootstrap's strategy: local state first, then migrate into the bucket it created (the mechanics: :mod:`.bootstrap`).

- ``up``: while the bucket does not exist (or the local state is authoritative since ``down --include-bootstrap``),
  bootstrap is planned and applied on local state in its shadow tree, then its state is migrated into the bucket.
  A run interrupted between apply and migration resumes: bucket present, no remote state, local state → migrate
  first. A leftover local copy next to a remote state is set aside.
- ``down``: the remote state is copied to the local phase, the destroy runs there, and the local copy stays
  authoritative until the bucket exists again; when the bucket outlives the destroy, the (empty) state is pushed
  back so it no longer claims the destroyed resources.
- ``plan``: on local state while the bucket does not exist yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from popcornctl.orchestrate import bootstrap as boot
from popcornctl.orchestrate import fingerprint as fp
from popcornctl.orchestrate.backend import StateProbe
from popcornctl.orchestrate.outcome import Outcome, StackStop
from popcornctl.orchestrate.planner import Planner
from popcornctl.orchestrate.stack_run import StackRun
from popcornctl.orchestrate.steps import Steps
from popcornctl.orchestrate.workspace import Workspace, Workspaces

if TYPE_CHECKING:
    from popcornctl.engine import TfResult
    from popcornctl.graph import Stack
    from popcornctl.runtime import Runtime

# Outcomes of a destroy that destroyed nothing: the bucket's state is still the truth.
_NOTHING_DESTROYED = (Outcome.blocked, Outcome.declined, Outcome.up_to_date, Outcome.skipped)


def local_phase(rt: Runtime) -> boot.LocalPhase:
    """Where bootstrap's local phase lives for the run's target (sandbox runs: with the sandbox's data)."""
    base = (
        rt.sandbox_manager.data_dir / "bootstrap-local"
        if rt.target.is_sandbox
        else rt.settings.state_dir / "bootstrap-local"
    )
    return boot.LocalPhase(base / rt.config.backend.bucket)


@dataclass
class BootstrapStrategy:
    """Runs the bootstrap stack: local state while the bucket it creates does not exist, then migration."""

    rt: Runtime
    probe: StateProbe
    workspaces: Workspaces
    planner: Planner
    steps: Steps

    def phase(self) -> boot.LocalPhase:
        """Bootstrap's local phase for this run's target."""
        return local_phase(self.rt)

    def _on_local_state(self, phase: boot.LocalPhase) -> bool:
        return phase.authoritative or not self.probe.bucket_exists()

    def _env(self, stack: Stack) -> dict[str, str]:
        return {k: v for k, v in self.rt.stack_env(stack.slug).items() if k != "TF_DATA_DIR"}

    def _backend(self, stack: Stack) -> dict[str, str]:
        return self.rt.config.backend.backend_config(stack.path)

    # -- up ------------------------------------------------------------------------------------------
    def up(self, stack: Stack, run: StackRun) -> None:
        """Converge bootstrap, on local state first when needed, and migrate that state into the bucket."""
        ws = self._prepare_up(stack, run) or self.workspaces.for_stack(stack)
        self.planner.init(ws, run)
        try:
            self.steps.converge(ws, run, destroy=False)
        except StackStop as stop:
            if stop.outcome is Outcome.up_to_date and ws.local is not None:
                run.result.result, run.result.reason = Outcome.up_to_date, stop.reason
                self._migrate(stack, ws.local, run)
                return
            raise
        if ws.local is not None:
            self._migrate(stack, ws.local, run)

    def _prepare_up(self, stack: Stack, run: StackRun) -> Workspace | None:
        """Local phase when the bucket does not exist (or local state is authoritative); resume a migration."""
        phase = self.phase()
        res = run.result
        if phase.authoritative or not self.probe.bucket_exists():
            why = (
                "its local state is authoritative since `down --include-bootstrap`"
                if phase.authoritative
                else f"the state bucket {self.rt.config.backend.bucket!r} does not exist yet"
            )
            res.notes.append(f"bootstrap runs on local state ({why}); its state is migrated into the bucket after")
            return self.workspaces.local(stack, phase)
        remote = self.probe.state(stack.path)
        if phase.has_state() and not remote.exists:
            res.notes.append("resuming an interrupted bootstrap: migrating its local state into the bucket first")
            self._migrate(stack, phase, run)
        elif phase.state_file.exists() and remote.exists:
            archived = phase.archive()
            phase.clean_workspace()
            res.notes.append(f"bootstrap already uses remote state; set aside a leftover local copy ({archived})")
        return None

    def _migrate(self, stack: Stack, phase: boot.LocalPhase, run: StackRun) -> None:
        """Move bootstrap's local state into the bucket it created (``init -migrate-state -force-copy``)."""
        backend_settings = self.rt.config.backend
        local_ws = self.workspaces.local(stack, phase)
        self.planner.init(local_ws, run)  # the local phase's data dir must record the local backend
        if not self.probe.bucket_exists():
            raise StackStop(
                Outcome.failed,
                f"bootstrap is applied but the state bucket {backend_settings.bucket!r} does not exist — "
                "[backend] bucket in popcorn.toml must name the bucket bootstrap creates",
            )
        self.planner.status(stack.path, "migrate state", "")
        result = self._to_remote(local_ws, run, stoppable=False)
        if not self.probe.state(stack.path).exists:
            raise StackStop(
                Outcome.failed,
                "the migration reported success but bootstrap's state is not in the bucket",
                result.output,
            )
        archived = phase.archive()
        phase.clean_workspace()
        phase.marker.unlink(missing_ok=True)
        key = backend_settings.key_for(stack.path)
        run.result.notes.append(
            f"state migrated from local to s3://{backend_settings.bucket}/{key} (local copy kept at {archived})"
        )

    def _to_remote(self, ws: Workspace, run: StackRun, *, stoppable: bool = True) -> TfResult:
        """``init -migrate-state`` of the local phase into the bucket; StackStop when it fails."""
        stack = ws.stack
        assert ws.local is not None
        phase, backend, env = ws.local, self._backend(stack), self._env(stack)
        engine = self.planner.engine
        result = self.planner.step(
            ws,
            run,
            "migrate state",
            lambda: boot.migrate_to_remote(engine, stack.directory, phase, backend, env),
            stoppable=stoppable,
        )
        if not result.ok:
            raise self.planner.failure(ws, "init -migrate-state", result)
        return result

    # -- down ----------------------------------------------------------------------------------------
    def down(self, stack: Stack, run: StackRun) -> None:
        """Destroy bootstrap on local state (its remote state copied there first)."""
        phase = self.phase()
        made_local = False
        if not phase.authoritative:
            if not self.probe.bucket_exists():
                if not phase.has_state():
                    raise StackStop(Outcome.up_to_date, "nothing to destroy: the state bucket does not exist")
            else:
                self._to_local(stack, phase, run)
                made_local = True
        ws = self.workspaces.local(stack, phase)
        self.planner.init(ws, run)
        try:
            self.steps.converge(ws, run, destroy=True)
        except StackStop as stop:
            if made_local and stop.outcome in _NOTHING_DESTROYED:
                # Nothing was destroyed: the bucket's state is still the truth; drop the local copy.
                phase.state_file.unlink(missing_ok=True)
                phase.marker.unlink(missing_ok=True)
                phase.clean_workspace()
            elif stop.outcome is Outcome.failed:
                run.result.notes.append(
                    f"bootstrap's state now lives locally at {phase.state_file}; the next `up` migrates it back"
                )
            raise
        if self.probe.bucket_exists():
            # The bucket outlived the destroy (not managed by bootstrap, or kept): the copy of bootstrap's
            # state in it must not keep claiming the destroyed resources. Push the (empty) local state back.
            self._to_remote(ws, run)
        archived = phase.archive()
        phase.marker.unlink(missing_ok=True)
        phase.clean_workspace()
        run.result.notes.append(f"bootstrap destroyed; its last (empty) state is kept at {archived}")

    def _to_local(self, stack: Stack, phase: boot.LocalPhase, run: StackRun) -> None:
        """Copy the remote state into the local phase, which becomes authoritative (marker file)."""
        ws = self.workspaces.local(stack, phase)
        self.planner.status(stack.path, "migrate state", "remote → local")
        phase.archive()
        backend, env, engine = self._backend(stack), self._env(stack), self.planner.engine
        result = self.planner.step(
            ws,
            run,
            "migrate state",
            lambda: boot.migrate_to_local(engine, stack.directory, ws.workdir, phase, backend, env),
        )
        if not result.ok:
            raise self.planner.failure(ws, "init -migrate-state", result)
        fp.record(phase.data_dir, fp.fingerprint(ws.workdir, backend=ws.init_key))
        phase.marker.write_text("bootstrap state is local: written by popcornctl down\n", encoding="utf-8")

    # -- plan ----------------------------------------------------------------------------------------
    def plan_workspace(self, stack: Stack, run: StackRun) -> Workspace | None:
        """The local phase's workspace when bootstrap must be planned on local state, else None."""
        phase = self.phase()
        if not self._on_local_state(phase):
            return None
        run.result.notes.append("planned on local state: the state bucket does not exist yet (`up` creates it)")
        return self.workspaces.local(stack, phase)
