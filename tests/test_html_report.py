"""The HTML report as a browser shows it: Debian's chromium, headless, driven by Selenium.

Charts whose labels overlap, statuses broken over two lines, filters without words: these show
only once a browser lays the page out, so these tests measure the labels' boxes in one. They need
/usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver) and a
Chinese font (fonts-noto-cjk): without them they fail saying what to install, since a skipped test
would let overlapping labels through. Selenium never downloads a browser or a driver here: both
paths are given and SE_OFFLINE is set.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.report.document import Bar, Charts, Document
from evalkit.report.html import render_html

#: Tests driving another program (here Debian's chromium) are in the slow set, which CI runs.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PINNED = ["--tz", "Asia/Shanghai", "--generated-at", "2024-12-31T01:30:00Z"]

#: Every chart label's text, box (page coordinates) and chart; the box of its chart too.
LABELS = """
return Array.from(document.querySelectorAll('svg.chart text')).map(function (e) {
  var r = e.getBoundingClientRect(), s = e.ownerSVGElement.getBoundingClientRect();
  return {text: e.textContent, chart: e.ownerSVGElement.getAttribute('aria-label'),
          left: r.left, top: r.top, right: r.right, bottom: r.bottom,
          inside: r.left >= s.left && r.right <= s.right && r.top >= s.top && r.bottom <= s.bottom};
});
"""


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for the module."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: the HTML report is tested in Debian's chromium "
            "(apt-get install chromium chromium-driver)",
            pytrace=False,
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed: pip install -e '.[test]'", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu"):
        options.add_argument(argument)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager: never download a browser or a driver
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_window_size(1200, 900)
        driver.get("about:blank")
        one = driver.execute_script(
            "var c = document.createElement('canvas').getContext('2d'); c.font = '12px sans-serif';"
            "return c.measureText('一').width;"
        )
        if one < 11.5:  # a CJK font draws 一 1 em wide; without one it is a narrower empty box
            pytest.fail(
                f"no Chinese font: 一 is {one:.1f} px wide at 12 px, not 12, so the Chinese labels' "
                "boxes say nothing (apt-get install fonts-noto-cjk)",
                pytrace=False,
            )
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The sample's report of a command in a language (each made once)."""
    folder, made = tmp_path_factory.mktemp("html"), {}

    def make(command: str, lang: str) -> Path:
        if (command, lang) not in made:
            path = folder / f"{command}-{lang}.html"
            extra = ["--exit-zero"] if command == "check" else []
            args = [command, str(SAMPLE), "--period", "2024", "--format", "html", "--lang", lang, "--output", str(path)]
            assert main([*args, *PINNED, *extra]) == 0
            made[command, lang] = path
        return made[command, lang]

    return make


def _open(browser, path: Path, width: int = 1200) -> None:
    browser.set_window_size(width, 900)
    browser.get(path.as_uri())


def _overlapping(labels: list[dict]) -> list[str]:
    """The pairs of labels whose boxes intersect, named by their texts."""
    return [
        f"{a['text']!r} and {b['text']!r} in {a['chart']}"
        for a, b in combinations(labels, 2)
        if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]
    ]


def _check_labels(browser, count: int) -> list[dict]:
    labels = browser.execute_script(LABELS)
    assert len(labels) == count
    assert _overlapping(labels) == []
    assert [label["text"] for label in labels if not label["inside"]] == []  # none cut off at a chart's edge
    return labels


# The sample's 2024: 8 departments (a name and a value each) against 3 bands; 43 branches × 4
# quarters, with a legend of the 3 states.
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_two_labels_of_the_sample_charts_overlap(browser, page, lang):
    _open(browser, page("assess", lang))
    _check_labels(browser, 3 + 8 * 2 + 4 + 43 + 3)


def test_no_two_labels_overlap_in_a_crowded_chart(browser, tmp_path):
    """Bands a point apart, totals on and just under a floor, 0 and 105, a name cut short, wide
    Latin letters: still no label meets another, and none is cut off."""
    charts = Charts(bars_title="crowded", grid_title="grid")
    names = ["W" * 40, "Mmmm Wwww Department", "人力资源和社会保障局" * 3, "", "x"]
    totals = ["105", "90", "89.99", "0", "89"]
    for n, (name, total) in enumerate(zip(names, totals, strict=True)):
        charts.bars.append(Bar(f"D{n}", "basically competent", Fraction(total), "", name))
    charts.bands = [(f"band of {floor}", Fraction(floor)) for floor in ("90", "89", "88", "60", "0")]
    charts.grid_columns = ["第一季度", "第二季度", "第三季度", "第四季度"]
    charts.grid = [("B1", "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", [("skipped", "不检查")] * 4)]
    path = tmp_path / "crowded.html"
    path.write_text(render_html(Document("crowded", "en", charts=charts)), encoding="utf-8")
    _open(browser, path)
    labels = _check_labels(browser, 5 + 5 * 2 + 4 + 1 + 1)
    first_bar = [label["text"] for label in labels if label["chart"] == "crowded"][5:7]
    assert first_bar == ["W" * 19 + "…", "105.00 basically competent"]  # 19 W and … make 20 em


def test_bars_show_the_departments_names_and_their_ids_on_hover(browser, page):
    _open(browser, page("assess", "zh"))
    bars = browser.execute_script(
        "return Array.from(document.querySelectorAll('g.bar')).map(function (g) {"
        "  return [g.querySelector('text.name').textContent, g.querySelector('title').textContent]; });"
    )
    assert bars == [
        ["投资促进局", "D1 投资促进局: 96.40 好"],
        ["人力资源和社会保障局", "D7 人力资源和社会保障局: 94.01 好"],
        ["经济发展局", "D2 经济发展局: 89.92 较好"],
        ["发展和改革局", "D4 发展和改革局: 87.00 较好"],
        ["财政局", "D3 财政局: 85.13 较好"],
        ["市场监督管理局", "D6 市场监督管理局: 70.81 一般"],
        ["行政审批服务局", "D8 行政审批服务局: 54.98 差"],
        ["科技局", "D5 科技局: 92.90 差"],  # vetoed: ranked last
    ]
    first_row = browser.execute_script(
        "var g = document.querySelector('g.row'); return [g.querySelector('text').textContent,"
        " g.querySelector('title').textContent];"
    )
    assert first_row == ["澄源捷和食品科技集团有限公司党支部", "B01 澄源捷和食品科技集团有限公司党支部"]


def test_band_labels_stand_above_the_bars_beside_their_lines(browser, page):
    _open(browser, page("assess", "zh"))
    bands = browser.execute_script(
        "var top = document.querySelector('g.bar rect').getBoundingClientRect().top;"
        "return Array.from(document.querySelectorAll('g.band')).map(function (g) {"
        "  var l = g.querySelector('line').getBoundingClientRect();"
        "  var t = g.querySelector('text').getBoundingClientRect();"
        "  return [g.querySelector('text').textContent, t.left - l.left, t.top >= l.top && t.bottom <= l.bottom,"
        "          t.bottom <= top]; });"
    )
    assert [text for text, *_ in bands] == ["≥60 一般", "≥80 较好", "≥90 好"]
    for text, gap, along_the_line, above_the_bars in bands:
        assert 0 < gap <= 5, text  # right of its line, not further than a few pixels
        assert along_the_line and above_the_bars, text


@pytest.mark.parametrize(
    "lang, label, options",
    [
        ("zh", "结果", ["全部", "通过", "不通过", "不适用", "已豁免"]),
        ("en", "Status", ["all", "pass", "fail", "skip", "waived"]),
    ],
)
def test_the_status_filter_reads_all_then_each_status(browser, page, lang, label, options):
    _open(browser, page("check", lang))
    shown = browser.execute_script(
        "var s = document.getElementById('f-status');"
        "return [s.closest('label').firstChild.textContent, Array.from(s.options).map(function (o) { return o.text; }),"
        " document.getElementById('f-text').closest('label').firstChild.textContent];"
    )
    assert shown == [label, options, {"zh": "筛选", "en": "Filter"}[lang]]


def test_the_status_filter_shows_only_the_rows_of_the_status_chosen(browser, page):
    _open(browser, page("check", "zh"))
    counts = browser.execute_script(
        "var s = document.getElementById('f-status'); s.value = '不通过'; s.dispatchEvent(new Event('change'));"
        "var rows = Array.from(document.querySelectorAll('#findings tbody tr'));"
        "var shown = rows.filter(function (r) { return r.offsetParent !== null; });"
        "return [shown.length, shown.filter(function (r) { return r.dataset.status === '不通过'; }).length,"
        " rows.filter(function (r) { return r.dataset.status === '不通过'; }).length];"
    )
    assert counts[0] == counts[1] == counts[2] > 0


@pytest.mark.parametrize("command", ["check", "assess"])
def test_a_failed_status_stays_on_one_line_in_a_narrow_window(browser, page, command):
    _open(browser, page(command, "zh"), width=600)
    lines = browser.execute_script(
        "return Array.from(document.querySelectorAll('td')).filter(function (td) {"
        "  return td.textContent === '不通过'; }).map(function (td) {"
        "  var range = document.createRange(); range.selectNodeContents(td); return range.getClientRects().length; });"
    )
    assert lines and set(lines) == {1}


@pytest.mark.parametrize("lang, word", [("zh", "生成时间"), ("en", "generated at")])
def test_generated_at_is_local_time_with_its_offset(browser, page, lang, word):
    _open(browser, page("assess", lang))
    meta = browser.execute_script(
        "return Array.from(document.querySelectorAll('table.meta tr')).map(function (tr) {"
        "  return [tr.cells[0].textContent, tr.cells[1].textContent]; });"
    )
    assert dict(meta)[word] == "2024-12-31T09:30:00+08:00"


def test_the_page_loads_nothing_and_reads_without_a_script(browser, page):
    _open(browser, page("check", "zh"))
    assert browser.execute_script("return performance.getEntriesByType('resource').length;") == 0
    assert '<div class="filters" hidden>' in page("check", "zh").read_text(encoding="utf-8")
    assert ">投资促进局</text>" in page("assess", "zh").read_text(encoding="utf-8")
