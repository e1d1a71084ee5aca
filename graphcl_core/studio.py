"""``graphcl-studio`` (or ``python -m graphcl_core studio``): start the app from wherever the command is typed.

The app's pages (``app.py``, ``pages/``, ``ui/``) are not part of the installed library; they live
in the repository, next to the ``graphcl_core`` folder. So the command finds ``app.py`` there, which
works for an editable install (``pip install -e .``) and when run from a clone, and otherwise says
how to get it.

The server runs in a process of its own, ``python -m ui.studio_server`` (the app's side: this
library never imports Streamlit), which starts the projection's and the CUDA warm-ups before Streamlit,
so they run while the server boots instead of when the first visitor's page script starts them.
Ctrl-C here reaches that process too.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

NOT_FOUND = ("graphcl-studio could not find the app (app.py) next to the installed graphcl_core "
             "package ({where}). The app runs from a copy of the repository: install it with "
             "`pip install -e .` in the repository folder, or start it there with `streamlit run app.py`.")
NO_STREAMLIT = ("graphcl-studio needs Streamlit, which is not installed here: "
                "`pip install -r requirements.txt` in the repository folder.")


def find_app() -> Path | None:
    """``app.py`` of the repository this package was loaded from, or None (a plain ``pip install .``)."""
    app = Path(__file__).resolve().parents[1] / "app.py"
    return app if app.is_file() and (app.parent / "pages").is_dir() else None


def server_command(app: Path, args: list[str]) -> list[str]:
    """The server process's command line: ``ui.studio_server`` with the app and Streamlit's options."""
    return [sys.executable, "-m", "ui.studio_server", str(app), *args]


def main(argv: list[str] | None = None) -> int:
    """Extra arguments go to ``streamlit run`` (for example ``--server.port 8502``)."""
    args = sys.argv[1:] if argv is None else list(argv)
    app = find_app()
    if app is None:
        sys.stderr.write(NOT_FOUND.format(where=Path(__file__).resolve().parent) + "\n")
        return 2
    if importlib.util.find_spec("streamlit") is None:  # found without importing it
        sys.stderr.write(NO_STREAMLIT + "\n")
        return 2
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(app.parent), os.environ.get("PYTHONPATH"))
                                                       if p)}  # ui/ lives next to app.py
    proc = subprocess.Popen(server_command(app, args), env=env)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # Ctrl-C: the server stops itself (a terminal sends it the signal too)
            proc.send_signal(signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
