"""Fixtures of the TUI tests (the scenes themselves are in :mod:`scenes`)."""

from __future__ import annotations

import pytest
from scenes import day_cache as make_day_cache
from scenes import write_customers

from fivec_tui import i18n


@pytest.fixture
def chinese():
    """The interface in Chinese for the test."""
    i18n.use("zh")
    yield
    i18n.use("en")


@pytest.fixture
def customers(tmp_path, monkeypatch):
    """A customers file, typed as a relative path (the same in every run)."""
    monkeypatch.chdir(tmp_path)
    return write_customers(tmp_path)


@pytest.fixture(scope="module")
def day_cache(tmp_path_factory):
    return make_day_cache(tmp_path_factory.mktemp("tui") / "c.db")
