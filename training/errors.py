"""Errors the command line reports as a message and exit status, never a traceback."""


class TrainingInputError(Exception):
    """Bad input from the user (a file, a flag, the data): exit status 1."""


def printable(text: str) -> str:
    """``text`` with control characters (terminal escapes from a file, say) shown escaped.

    An error message quotes what a file held; printed raw, an ESC byte in a
    CSV cell would drive the actuary's terminal. Newlines and tabs stay.
    """
    return "".join(
        c if c.isprintable() or c in "\n\t" else c.encode("unicode_escape").decode("ascii")
        for c in text
    )
