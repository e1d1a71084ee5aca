"""The studio's server process: the warm-ups first, then Streamlit's own ``streamlit run``, in one process.

``graphcl-studio`` / ``python -m graphcl_core studio`` (``graphcl_core/studio.py``, which stays free of
Streamlit) starts ``python -m ui.studio_server APP [streamlit options]``. Here the projection's and the
CUDA warm-ups start before Streamlit, so they run while the server boots, before anyone opens the page,
instead of when the first visitor's page script starts them (importing TorchDR alone took 6.1 s on the
GPU machine). ``streamlit run app.py`` still works: app.py starts the same warm-ups, idempotently.
"""

from __future__ import annotations

import sys
import threading


def start_warmups() -> list[threading.Thread]:
    """Start UMAP's warm-up (TorchDR's import and first layout on a GPU, the numba compile on a CPU) and
    the CUDA context's, each in a daemon thread; returns the threads (the CUDA one only where CUDA is)."""
    from graphcl_core import device, projection

    threads = [projection.warmup_in_background()]
    cuda = device.warm_up_cuda_in_background()
    return threads + ([cuda] if cuda is not None else [])


def preload_app_modules() -> None:
    """Import what app.py imports before its navigation (~0.7 s on 2 cores once graphcl_core is in), so a
    first visitor's first run reaches its page list sooner: until then the browser shows Streamlit's own
    list of the pages/ folder (app.py hides it in a session's first run, but only from its first element on)."""
    import importlib

    for name in ("ui.graphs", "ui.shell", "ui.state", "ui.training", "ui.workspace"):
        importlib.import_module(name)


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


def main(argv: list[str]) -> int:
    """``argv``: the app's path, then options for ``streamlit run``."""
    app, *args = argv
    try:
        start_warmups()
        preload_app_modules()
        return streamlit_main(["run", app, *args])
    except KeyboardInterrupt:  # Ctrl-C before Streamlit's own handler was set up
        sys.stderr.write("graphcl-studio: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
