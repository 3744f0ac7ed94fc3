"""Run docs/quickstart.ipynb top to bottom and save it with its outputs, so a visitor who opens the
notebook anywhere (a code host's preview, a static viewer) sees and hears its tunes. Run it again
whenever the shipped model changes.

    python bench/quickstart.py [--minutes 1] [--out docs/quickstart.ipynb]

Prints the saved notebook's size and how many engravings and players its outputs hold.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

NOTEBOOK = Path(__file__).parents[1] / "docs" / "quickstart.ipynb"


def execute(minutes: float, out: Path) -> dict:
    import nbclient
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    training = next(cell for cell in notebook.cells if "melody.train(" in cell.source)
    original = training.source
    training.source = original.replace("minutes=1,", f"minutes={minutes:g},")
    with tempfile.TemporaryDirectory() as folder:  # the kernel's working folder: nothing is left in ours
        nbclient.NotebookClient(
            notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": folder}}
        ).execute()
    training.source = original  # the notebook a reader runs trains for a minute
    for cell in notebook.cells:
        cell.get("metadata", {}).pop("execution", None)  # timestamps: no churn between runs
    nbformat.write(notebook, out)
    outputs = [o.get("data", {}).get("text/html", "") for c in notebook.cells for o in c.get("outputs", [])]
    return {
        "notebook": str(out),
        "bytes": out.stat().st_size,
        "engravings": sum(page.count('class="melody-engraving"') for page in outputs),
        "players": sum(page.count("<audio controls") for page in outputs),
        "errors": sum(o.get("output_type") == "error" for c in notebook.cells for o in c.get("outputs", [])),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long its training cell trains")
    parser.add_argument("--out", type=Path, default=NOTEBOOK)
    args = parser.parse_args(argv)
    print(json.dumps(execute(args.minutes, args.out), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
