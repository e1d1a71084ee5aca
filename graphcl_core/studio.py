"""``graphcl-studio``: start the app (``streamlit run app.py``) from wherever the command is typed.

The app's pages (``app.py``, ``pages/``, ``ui/``) are not part of the installed library; they live
in the repository, next to the ``graphcl_core`` folder. So the command finds ``app.py`` there, which
works for an editable install (``pip install -e .``) and when run from a clone, and otherwise says
how to get it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NOT_FOUND = ("graphcl-studio could not find the app (app.py) next to the installed graphcl_core "
             "package ({where}). The app runs from a copy of the repository: install it with "
             "`pip install -e .` in the repository folder, or start it there with `streamlit run app.py`.")


def find_app() -> Path | None:
    """``app.py`` of the repository this package was loaded from, or None (a plain ``pip install .``)."""
    app = Path(__file__).resolve().parents[1] / "app.py"
    return app if app.is_file() and (app.parent / "pages").is_dir() else None


def main(argv: list[str] | None = None) -> int:
    """Extra arguments go to ``streamlit run`` (for example ``--server.port 8502``)."""
    args = sys.argv[1:] if argv is None else argv
    app = find_app()
    if app is None:
        sys.stderr.write(NOT_FOUND.format(where=Path(__file__).resolve().parent) + "\n")
        return 2
    try:
        return subprocess.call([sys.executable, "-m", "streamlit", "run", str(app), *args])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
