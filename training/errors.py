"""Errors the command line reports as a message and exit status, never a traceback."""


class TrainingInputError(Exception):
    """Bad input from the user (a file, a flag, the data): exit status 1."""
