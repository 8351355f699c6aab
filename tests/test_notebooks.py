"""The numbered notebooks execute clean on a small book, and match their sources.

Each runs in a fresh kernel of this interpreter (the "python3" kernel that
ipykernel provides is the Python running the tests, i.e. the project's
.venv) with POLISURE_NB_POLICIES small, from the repository root, on the test
bundle of tests/support/portfolio.py (POLISURE_MODELS_DIR). The committed
.ipynb are those that notebooks/build_notebooks.py writes from the jupytext
percent-format sources (notebooks/NN_name.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager
from nbclient import NotebookClient

from notebooks.build_notebooks import SOURCES, build

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = [source.with_suffix(".ipynb").name for source in SOURCES]
CELL_TIMEOUT_S = 60


def test_the_kernel_is_this_interpreter():
    spec = KernelSpecManager().get_kernel_spec(NATIVE_KERNEL_NAME)
    assert Path(spec.argv[0]).resolve() == Path(sys.executable).resolve() or spec.argv[0] in (
        "python",
        sys.executable,
    )


def test_committed_notebooks_are_the_generated_ones_with_no_outputs(tmp_path):
    assert NOTEBOOKS, "no notebook sources notebooks/NN_name.py"
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS), (
        "every committed notebook has its source notebooks/NN_name.py, and back"
    )
    for path in build(tmp_path):
        committed = NOTEBOOK_DIR / path.name
        assert json.loads(committed.read_text()) == json.loads(path.read_text()), (
            f"{committed.name} differs from its source {path.with_suffix('.py').name}: "
            "run make notebooks"
        )
        cells = nbformat.read(committed, as_version=4).cells
        assert all(c.get("outputs", []) == [] for c in cells if c.cell_type == "code")


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_runs_clean(name, monkeypatch, trained_registry):
    monkeypatch.setenv("POLISURE_NB_POLICIES", "3000")
    # the small test bundle (session fixture) stands in for the shipped one
    monkeypatch.setenv("POLISURE_MODELS_DIR", str(trained_registry.root))
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")  # the kernel's own deprecation chatter
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name=NATIVE_KERNEL_NAME,
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
    assert [out for out in outputs if out.get("output_type") == "error"] == []
    assert any("image/png" in out.get("data", {}) for out in outputs), f"{name} drew no plot"
