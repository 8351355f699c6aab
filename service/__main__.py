"""``python -m service``: the operator CLI (``keys``, ``db``) of service.cli."""

import click
from flask.cli import ScriptInfo

from service.app import create_app
from service.cli import db_cli, keys_cli


def main() -> None:
    group = click.Group(
        "python -m service", commands=[keys_cli, db_cli], help="Polisure service operations."
    )
    # The commands run inside an app built by create_app() from the environment.
    group.main(obj=ScriptInfo(create_app=create_app), prog_name="python -m service")


if __name__ == "__main__":
    main()
