"""``python -m training VERB``: the actuaries' command line (CONTRACT §3).

Each verb lives in its own module, which provides ``add_arguments(parser)``
and ``main(args) -> int``. Modules are imported only when their verb runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from models.tables.defects import printable
from training.errors import TrainingInputError

VERBS: dict[str, str] = {
    "synth": "write a seeded synthetic smart-city portfolio (policies.csv, claims.csv)",
    "validate": "validate a policies file and a claims file; exit 1 listing every defect",
    "train": "fit, evaluate and write a new model bundle version (the version on the last line)",
    "score": "batch-score a policies file with a bundle version to CSV or Parquet",
    "compare": "challenger vs champion bundle on one book: metrics, double lift, premiums",
    "drift": "population stability of quoted exposures against the bundle's reference",
    "accumulate": "a book file's accumulation under the event catalog: EP tables, SPoF, report",
}


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``verb``'s module is imported to add its arguments.

    Importing every verb would cost a train run a second of imports it never
    uses (the synthetic world, the quote store); the top-level help needs
    only the one-line descriptions above.
    """
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, help_text in VERBS.items():
        verb_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == verb:
            importlib.import_module(f"training.commands.{name}").add_arguments(verb_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verb = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(verb).parse_args(argv)
    module = importlib.import_module(f"training.commands.{args.verb}")
    try:
        return int(module.main(args))
    except TrainingInputError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 1
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        print(f"error: {exc.strerror}: {printable(str(exc.filename))}", file=sys.stderr)
        return 1
