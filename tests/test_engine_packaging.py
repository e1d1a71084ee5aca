"""Packaging: pyproject.toml installs graphcl_core with the README's dependencies; graphcl-studio finds the app."""

import sys
import tomllib
from pathlib import Path

from graphcl_core import studio

REPO = Path(__file__).resolve().parents[1]


def test_pyproject_commands_and_dependencies_come_from_requirements():
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["scripts"] == {"graphcl": "graphcl_core.cli:main",
                                          "graphcl-studio": "graphcl_core.studio:main"}
    assert meta["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    assert "dependencies" in meta["project"]["dynamic"]


def test_studio_runs_the_repository_app(monkeypatch):
    assert studio.find_app() == REPO / "app.py"
    calls = []
    monkeypatch.setattr(studio.subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    assert studio.main(["--server.port", "8999"]) == 0
    assert calls == [[sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", "8999"]]


def test_studio_without_the_repository_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setattr(studio, "find_app", lambda: None)
    assert studio.main([]) == 2
    assert "pip install -e ." in capsys.readouterr().err
