"""Write the numbered notebooks (outputs cleared) from their jupytext sources.

The sources are the percent-format scripts beside this file
(``01_portfolio_exploration.py``, ...), linted and formatted by ruff like the
rest of the code: edit one, then ``make notebooks``. The .ipynb files are
generated, never edited by hand. The notebooks import the installed project
(``make venv``) and only call the packages (models/, training/) and plot: no
logic of their own. Their size comes from ``POLISURE_NB_POLICIES`` (default
20,000; the test suite uses a few thousand).
"""

from __future__ import annotations

from pathlib import Path

import jupytext
from nbformat import NotebookNode

HERE = Path(__file__).resolve().parent
#: The percent-format sources, one per notebook: ``NN_name.py`` -> ``NN_name.ipynb``.
SOURCES = sorted(HERE.glob("[0-9][0-9]_*.py"))


def notebook_from_source(source: Path) -> NotebookNode:
    """The notebook of one percent-format source, with no outputs."""
    notebook = jupytext.read(source)
    for i, cell in enumerate(notebook.cells):
        # jupytext draws random cell ids; stable ones make rebuilding change nothing
        cell["id"] = f"{source.name[:2]}-{i:02d}"
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def build(directory: Path = HERE) -> list[Path]:
    """Write every notebook into ``directory``; return their paths."""
    written = []
    for source in SOURCES:
        path = directory / source.with_suffix(".ipynb").name
        jupytext.write(notebook_from_source(source), path, fmt="ipynb")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(path)
