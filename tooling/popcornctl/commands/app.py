"""The ``popcornctl`` app: the global options, and the commands of :data:`COMMANDS`, each imported when used.

The global options are this app's own callback. Every subcommand (and subgroup) accepts them too, after its name,
as the AWS CLI does (``popcornctl diagnose ecs --env dev --output json``): a copy of each is added to the command
when its module is loaded, and sets the same :class:`Settings` the callback made. ``--version`` works in every
position the same way. A command that has an option of the same name (``policy-check --output``) keeps its own.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

from popcornctl.commands import COMMANDS
from popcornctl.commands.options import NoColor, Output, OutputFormat, Repo, Terraform, Verbose, Version
from popcornctl.settings import Settings

# The global options' parameter names, and how each sets the invocation's Settings when given after a subcommand.
_SETTERS: dict[str, Callable[[Settings, Any], None]] = {
    "repo": lambda settings, value: setattr(settings, "repo", value),
    "output": lambda settings, value: setattr(settings, "output", OutputFormat(value).value),
    "terraform": lambda settings, value: setattr(settings, "terraform", value),
    "verbose": lambda settings, value: setattr(settings, "verbose", True),
    "no_color": lambda settings, value: setattr(settings, "color", False),
}
_GLOBAL = (*_SETTERS, "version")


def _global_options(
    ctx: typer.Context,
    repo: Repo = None,
    output: Output = OutputFormat.text,
    terraform: Terraform = None,
    verbose: Verbose = False,
    no_color: NoColor = False,
    version: Version = False,
) -> None:
    """Operate the Popcorn MSA platform's Terraform stacks: ordered applies, policy gate, lock recovery, diagnostics.

    Add --sandbox to a command to use the local AWS emulator. Global options may also follow the command.

    Run `popcornctl COMMAND --help` for a command's options.
    """
    ctx.obj = Settings(repo=repo, output=output.value, verbose=verbose, color=not no_color, terraform=terraform)


def _set_late(ctx: typer.Context, param: Any, value: Any) -> Any:
    """A global option given after a subcommand: it overrides what the app's callback set."""
    if value is not None and value is not False:
        settings = ctx.find_object(Settings)
        if settings is not None:
            _SETTERS[param.name](settings, value)
    return value


def _late_copies(templates: list[Any], command: Any) -> list[Any]:
    """Copies of the global options for ``command``, leaving out names it already has."""
    taken = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    copies = []
    for template in templates:
        if set(template.opts) & taken:
            continue
        late = copy.copy(template)
        late.expose_value = False  # the command's own function never sees it
        late.default = False if getattr(template, "is_flag", False) else None
        late.envvar = None  # the app's callback already read POPCORN_TERRAFORM
        late.show_default = False
        if template.name != "version":  # --version keeps its own callback: print and exit
            late.callback = _set_late
        copies.append(late)
    return copies


def _accept_global_options(command: Any, templates: list[Any]) -> None:
    command.params.extend(_late_copies(templates, command))
    for sub in getattr(command, "commands", {}).values():
        _accept_global_options(sub, templates)


class _Commands(MutableMapping[str, Any]):
    """The app's commands by name; a command's module is imported on first lookup."""

    def __init__(self, load: Callable[[str, str], Any]) -> None:
        self._modules = dict(COMMANDS)
        self._loaded: dict[str, Any] = {}
        self._load = load

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in self._modules:
                raise KeyError(name)
            self._loaded[name] = self._load(name, self._modules[name])
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._modules.pop(name, None)
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self._modules), **dict.fromkeys(self._loaded)})

    def __len__(self) -> int:
        return len(set(self._modules) | set(self._loaded))


class LazyGroup(TyperGroup):
    """The top-level group: lists every command without importing it; imports a command's module when used."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(self._load)

    def list_commands(self, ctx: Any) -> list[str]:
        """The command names, in :data:`COMMANDS` order (nothing imported)."""
        return list(self.commands)

    def _load(self, name: str, module: str) -> Any:
        command = typer.main.get_command(importlib.import_module(module).app)
        command.name = name
        # Shell completion is installed for popcornctl as a whole, not per command.
        command.params = [p for p in command.params if p.name not in ("install_completion", "show_completion")]
        templates = [param for param in self.params if param.name in _GLOBAL]
        _accept_global_options(command, templates)
        return command


def build_app() -> typer.Typer:
    """The Typer app (its commands are loaded lazily by :class:`LazyGroup`)."""
    app = typer.Typer(
        name="popcornctl",
        cls=LazyGroup,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_global_options)
    return app


def build_command() -> TyperGroup:
    """The app as a command to call ``.main()`` on, shell completion options included."""
    command = typer.main.get_command(build_app())
    assert isinstance(command, TyperGroup)
    return command
