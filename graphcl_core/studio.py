"""``graphcl-studio`` (or ``python -m graphcl_core studio``): start the app from wherever the command is typed.

The app's pages (``app.py``, ``pages/``, ``ui/``) are not part of the installed library; they live
in the repository, next to the ``graphcl_core`` folder. So the command finds ``app.py`` there, which
works for an editable install (``pip install -e .``) and when run from a clone, and otherwise says
how to get it.

It runs Streamlit in this process (its own ``streamlit run`` entry point) after starting the
projection's and the CUDA warm-ups (``start_warmups``): they then run while the server boots, before
anyone opens the page, instead of when the first visitor's page script starts them. Importing
TorchDR alone took 6.1 s on the GPU machine; a visitor who pressed Start soon after opening a fresh
server waited for it. ``streamlit run app.py`` still works: app.py starts the same warm-ups, and
starting them twice does nothing.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
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


def start_warmups() -> list[threading.Thread]:
    """Start UMAP's warm-up (TorchDR's import and first layout on a GPU, the numba compile on a CPU) and
    the CUDA context's, each in a daemon thread; returns the threads (the CUDA one only where CUDA is)."""
    from . import device, projection

    threads = [projection.warmup_in_background()]
    cuda = device.warm_up_cuda_in_background()
    return threads + ([cuda] if cuda is not None else [])


def streamlit_main(args: list[str]) -> int:
    """Streamlit's own ``streamlit`` command with ``args`` (``run app.py ...``), in this process; its exit
    code. Streamlit stops its server on Ctrl-C by itself once the server runs."""
    from streamlit.web import cli

    sys.argv = ["streamlit", *args]  # Streamlit reads the command line from here too
    try:
        cli.main(args=list(args), prog_name="streamlit")
    except SystemExit as e:  # click ends every command with SystemExit
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Extra arguments go to ``streamlit run`` (for example ``--server.port 8502``)."""
    args = sys.argv[1:] if argv is None else list(argv)
    app = find_app()
    if app is None:
        sys.stderr.write(NOT_FOUND.format(where=Path(__file__).resolve().parent) + "\n")
        return 2
    if importlib.util.find_spec("streamlit") is None:  # found without importing it: the warm-ups come first
        sys.stderr.write(NO_STREAMLIT + "\n")
        return 2
    try:
        start_warmups()
        return streamlit_main(["run", str(app), *args])
    except KeyboardInterrupt:  # Ctrl-C before Streamlit's own handler was set up
        sys.stderr.write("graphcl-studio: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
