"""Playwright driving Debian's Chromium (never a downloaded browser) against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if shutil.which("chromium") or os.path.exists(CHROMIUM):
        return
    if os.environ.get("KEXIE_REQUIRE_BROWSER"):
        return  # let the launch fail loudly: CI must not silently skip browser tests
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="未安装 Chromium（apt-get install chromium fonts-wqy-microhei）"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class Dialogs:
    """The confirm dialogs of one page: each message is recorded; accepted unless a test says otherwise.

    Every destructive action asks first (static/js/confirm.js); a test reads `messages` to check what was asked
    and calls `dismiss_next()` to answer "取消" once.
    """

    def __init__(self, page):
        self.messages: list[str] = []
        self._answers: list[bool] = []
        page.on("dialog", self._answer)

    def dismiss_next(self) -> None:
        self._answers.append(False)

    def _answer(self, dialog) -> None:
        self.messages.append(dialog.message)
        accept = self._answers.pop(0) if self._answers else True
        dialog.accept() if accept else dialog.dismiss()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(viewport=DESKTOP, **kwargs):
        context = browser.new_context(viewport=viewport, locale="zh-CN", **kwargs)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = Dialogs(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
