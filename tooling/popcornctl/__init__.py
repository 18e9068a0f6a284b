"""popcornctl: the operations toolkit for the Popcorn MSA platform's Terraform stacks."""

__version__ = "0.1.0"
