"""`evalkit serve` in a real browser: Debian's chromium, headless, driven by Selenium (as
test_html_report.py drives it: both paths given, SE_OFFLINE set, nothing downloaded), against the
application run by uvicorn in a thread on a free port. One browser and one server for the module.

Each page visited is saved as a screenshot in the folder EVALKIT_SCREENSHOTS names, else in a
temporary folder (never committed)."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from serve_support import SAMPLE, sample_workbook

pytest.importorskip("starlette", reason="the serve extra: pip install -e '.[serve]'")

import uvicorn  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from evalkit.serve.app import Settings, create_app  # noqa: E402

#: Tests driving another program (here Debian's chromium) are in the slow set, which CI runs.
pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TOKEN = "browser-office-token"


@pytest.fixture(scope="module")
def server():
    """The application on a free port of 127.0.0.1, its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(Settings(dataset=SAMPLE, token=TOKEN)), "127.0.0.1", port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(30)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ["EVALKIT_SCREENSHOTS"]) if os.environ.get("EVALKIT_SCREENSHOTS") else None
    folder = folder or tmp_path_factory.mktemp("serve-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser(downloads):
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found (apt-get install chromium chromium-driver)", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager: never download a browser or a driver
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_window_size(1280, 1000)
    yield driver
    driver.quit()


def _wait(browser, element_id: str, seconds: float = 120):
    """The element once the page shows it (a run's page refreshes itself until then)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds).until(expected_conditions.presence_of_element_located((By.ID, element_id)))


def _shoot(browser, shots: Path, name: str) -> None:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(height, 600), 4000))
    browser.save_screenshot(str(shots / f"{name}.png"))
    browser.set_window_size(1280, 1000)


def _upload(browser, server: str, path: Path) -> None:
    browser.get(server + "/")
    _wait(browser, "files").send_keys(str(path))
    browser.find_element("id", "upload").click()


def test_self_check_in_the_browser(browser, server, shots, downloads, tmp_path):
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(sample_workbook())
    browser.get(server + "/")
    _shoot(browser, shots, "1-home")
    _upload(browser, server, ledger)
    _wait(browser, "subject").send_keys("B07")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "period")).select_by_visible_text("2024年第三季度")
    _shoot(browser, shots, "2-uploaded")
    browser.find_element("id", "run-check").click()
    grid = _wait(browser, "grid")
    assert "志愿服务" in grid.text
    findings = browser.find_element("id", "findings").text
    assert "OPF05 志愿服务 不通过 2024年第三季度没有开展志愿服务活动" in findings
    assert "志愿服务" in browser.find_element("id", "next-steps").text
    assert "不通过 1" in browser.find_element("id", "counts").text
    _shoot(browser, shots, "3-result-zh")

    browser.find_element("id", "download-xlsx").click()
    deadline = time.monotonic() + 30
    while not (saved := list(downloads.glob("*.xlsx"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    book = load_workbook(io.BytesIO(saved[0].read_bytes()))
    assert any("OPF05" in str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row)

    browser.find_element("id", "switch-lang").click()
    _wait(browser, "grid")
    assert "fail 1" in browser.find_element("id", "counts").text
    assert "What to do next" in browser.page_source
    _shoot(browser, shots, "4-result-en")
    browser.find_element("id", "switch-lang").click()
    _wait(browser, "grid")


def test_a_broken_ledger_in_the_browser(browser, server, shots, tmp_path):
    broken = tmp_path / "activities.csv"
    broken.write_text(
        "编号,组织单位,活动日期,活动类型,活动名称\nA1,B07,2024-13-45,志愿服务,义诊\nA2,B07,2024-07-01,植树,绿化\n",
        encoding="utf-8",
    )
    _upload(browser, server, broken)
    problems = _wait(browser, "problems").text
    assert "activities.csv:2 [活动日期] '2024-13-45'：应为日期" in problems
    assert "activities.csv:3 [活动类型] '植树'：应为以下之一" in problems
    _shoot(browser, shots, "5-problems")


def test_template_and_rules_pages(browser, server, shots):
    browser.get(server + "/template")
    _wait(browser, "download-template")
    _shoot(browser, shots, "6-template")
    browser.get(server + "/rules")
    assert "OPF05" in _wait(browser, "rules").text
    _shoot(browser, shots, "7-rules")


def test_the_office_page_in_the_browser(browser, server, shots):
    browser.get(server + "/office")
    assert "访问令牌" in _wait(browser, "login-help").text  # refused without the token
    _shoot(browser, shots, "8-office-refused")
    browser.find_element("id", "token").send_keys(TOKEN)
    browser.find_element("id", "login").click()
    _wait(browser, "year").send_keys("2024")
    browser.find_element("id", "run-assess").click()
    _wait(browser, "download-xlsx")
    time.sleep(1)  # the report in its frame
    _shoot(browser, shots, "9-office-result")
