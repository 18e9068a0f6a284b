"""One module per subcommand. Each defines ``app`` (a Typer app: the command's signature and help) and a function
that takes a Runtime and resolved arguments and returns the exit code.

:data:`COMMANDS` is the list of top-level commands in the order ``popcornctl --help`` shows them; the app
(:mod:`popcornctl.commands.app`) imports a command's module only when that command is used.
"""

COMMANDS: list[tuple[str, str]] = [
    ("up", "popcornctl.commands.up"),
    ("plan", "popcornctl.commands.plan"),
    ("down", "popcornctl.commands.down"),
    ("doctor", "popcornctl.commands.doctor"),
    ("sandbox", "popcornctl.commands.sandbox"),
    ("unlock", "popcornctl.commands.unlock"),
    ("policy-check", "popcornctl.commands.policy_check"),
    ("diagnose", "popcornctl.commands.diagnose"),
    ("drift", "popcornctl.commands.drift"),
    ("affected", "popcornctl.commands.affected"),
    ("ci", "popcornctl.commands.ci"),
]
