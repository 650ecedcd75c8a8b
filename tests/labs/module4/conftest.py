"""Fixtures of Module 4's tests: ACME's database, fresh for each test."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    """A fresh ACME database for one test (``ACME_DB``), inherited by the programs the test starts
    (the agent, ACME's MCP server)."""
    path = tmp_path / "acme.db"
    monkeypatch.setenv("ACME_DB", str(path))
    from acme.db import create
    create(path)
    return path
