"""Without Chromium the browser tests skip with the reason locally, and fail when CI is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import conftest


def test_missing_chromium_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(conftest, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"Chromium not found at .*apt-get install chromium"):
        conftest.require_browser()


def test_missing_chromium_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(conftest, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI needs the real-browser tests"):
        conftest.require_browser()


def test_present_chromium_and_playwright_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.touch()
    monkeypatch.setattr(conftest, "CHROMIUM", fake)
    monkeypatch.setattr(conftest.importlib.util, "find_spec", lambda name: object())
    conftest.require_browser()  # neither skips nor fails
