"""One module per subcommand; each exposes a function that takes resolved arguments and returns an exit code."""
