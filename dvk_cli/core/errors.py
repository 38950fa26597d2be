"""Errors that stop a command before any data is processed (exit code 2)."""


class UsageError(Exception):
    """Bad arguments or configuration; the message is Vietnamese."""
