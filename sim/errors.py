"""Errors that reach the user as one clear message and exit status 2, not a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user: a scenario, sweep file or command-line value.

    The message names the file, the key and what was expected. The command line prints it
    and exits with status 2.
    """

    exit_status = 2
