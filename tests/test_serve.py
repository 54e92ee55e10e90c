"""`evalkit serve` through an HTTP client: the self-check, the limits on uploads, the token, the
separation of concurrent runs and what a failure shows. The pages in a browser: test_serve_browser.py."""

from __future__ import annotations

import io
import logging
import random
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from html import unescape

import pytest
from serve_support import SAMPLE, csrf_of, finished, sample_workbook, section, self_check, upload

pytest.importorskip("starlette", reason="the serve extra: pip install -e '.[serve]'")

from openpyxl import load_workbook  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from evalkit.cli import main  # noqa: E402
from evalkit.serve.app import Settings, create_app  # noqa: E402
from evalkit.serve.uploads import UploadLimits, Visits  # noqa: E402
from evalkit.serve.work import Rules  # noqa: E402

TOKEN = "office-token-for-tests"


@pytest.fixture(scope="module")
def app():
    """One application for the module (its worker pool is started once), with a token and the sample dataset."""
    application = create_app(Settings(dataset=SAMPLE, token=TOKEN, limits=UploadLimits(max_bytes=2 * 2**20), workers=2))
    with TestClient(application):  # the lifespan: the pool and the folders end with the module
        yield application


@pytest.fixture
def client(app):
    """A visitor of its own (cookies of its own)."""
    return TestClient(app)


@pytest.fixture(scope="module")
def workbook():
    return sample_workbook()


def _zip(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in links:
                info.external_attr = 0o120777 << 16
            archive.writestr(info, content)
    return out.getvalue()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_self_check_shows_the_missing_volunteer_service_and_the_next_step(client, workbook):
    page = self_check(client, [("台账.xlsx", workbook)], "B07", "2024Q3")
    assert page.status_code == 200
    text = _text(page.text)
    assert "通过 9" in text and "不通过 1" in text and "已豁免 0" in text and "不适用 0" in text
    assert "OPF05 志愿服务 不通过 2024年第三季度没有开展志愿服务活动" in text
    assert "A0332（2024-09-16 “共享用工”交流会）" in text  # evidence by date and title
    assert "志愿服务" in _text(section(page.text, "next-steps"))
    assert "志愿服务" in _text(section(page.text, "grid"))
    download = client.get(page.url.path + "/report.xlsx")
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(download.content))
    assert any("OPF05" in str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row)


def test_the_periods_are_those_the_ledger_covers_and_the_branches_its_own(client, workbook):
    page = upload(client, [("台账.xlsx", workbook)])
    periods = re.findall(r'<option value="(\d{4}(?:Q\d)?)">', page.text)
    assert periods == ["2024", "2024Q1", "2024Q2", "2024Q3", "2024Q4"] or periods[0] < "2024"
    assert '<option value="B07 北辰盛和烘焙食品有限公司党支部">' in page.text


def test_a_broken_ledger_lists_every_problem_in_chinese_and_nothing_else_happens(client):
    broken = "编号,组织单位,活动日期,活动类型,活动名称\nA1,B07,2024-13-45,志愿服务,义诊\nA2,B07,2024-07-01,植树,绿化\n"
    page = upload(client, [("activities.csv", broken.encode("utf-8"))])
    assert page.status_code == 400
    problems = _text(section(page.text, "problems"))
    assert "activities.csv:2 [活动日期] '2024-13-45'：应为" in problems
    assert "activities.csv:3 [活动类型] '植树'：应为" in problems
    assert "run-check" not in client.get("/").text  # no choice of branch: nothing was kept


def test_ledger_values_are_escaped_on_the_page_and_text_in_the_workbook(client):
    hostile = "+cmd|' /C calc'!A0<script>alert(1)</script>"  # openpyxl would store "=…" as a formula
    page = self_check(client, [("台账.xlsx", sample_workbook({"B07": hostile}))], "B07", "2024Q3")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    book = load_workbook(io.BytesIO(client.get(page.url.path + "/report.xlsx").content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value == hostile]
    assert cells and all(cell.data_type == "s" for cell in cells)


def test_an_oversize_upload_is_refused_with_413_in_chinese(client):
    response = upload(client, [("big.csv", b"x" * (3 * 2**20))])
    assert response.status_code == 413
    assert "上传超过 2 MB，已拒绝" in response.text
    assert client.get("/").status_code == 200


def test_more_than_fifty_files_are_refused(client):
    response = upload(client, [(f"f{i}.csv", b"id\n") for i in range(51)])
    assert response.status_code == 413
    assert "一次上传的文件超过 50 个" in response.text


@pytest.mark.parametrize(
    ("members", "links", "status", "words"),
    [
        ({"bomb.csv": b"0" * (30 * 2**20)}, (), 413, "压缩炸弹"),
        ({"../activities.csv": b"id\n"}, (), 400, "路径指向压缩包以外"),
        ({"/etc/activities.csv": b"id\n"}, (), 400, "路径指向压缩包以外"),
        ({"inner.zip": b"PK"}, (), 400, "压缩包中不能再含压缩包"),
        ({"activities.csv": b"/etc/passwd"}, ("activities.csv",), 400, "是符号链接"),
        ({f"f{i}.csv": b"id\n" for i in range(201)}, (), 413, "超过上限 200 个"),
    ],
    ids=["zip-bomb", "dot-dot", "absolute", "nested-zip", "symlink", "members"],
)
def test_a_hostile_zip_is_refused_before_anything_is_unpacked(client, members, links, status, words):
    response = upload(client, [("ledger.zip", _zip(members, links))])
    assert response.status_code == status
    assert words in response.text
    assert "Traceback" not in response.text


def test_a_zip_of_the_ledgers_is_read_and_a_configuration_file_in_it_ignored(client):
    members = {f"sample/{path.name}": path.read_bytes() for path in SAMPLE.glob("*.csv")}
    members["sample/evalkit.toml"] = b'lang = "en"\nrules_dir = "/etc"\n'
    page = upload(client, [("台账.zip", _zip(members))])
    assert page.status_code == 200
    assert "台账.zip/sample/activities.csv" in page.text
    assert "未读取（不是台账文件）：台账.zip/sample/evalkit.toml" in page.text


def _findings(page) -> str:
    """What a self-check page says about the ledger: everything but the time it was made."""
    return _text(section(page.text, "findings")) + _text(section(page.text, "counts"))


def test_concurrent_self_checks_each_equal_a_run_alone(app, workbook):
    cases = [("B07", "2024Q3"), ("B09", "2024"), ("J1", "2024")]

    def run(case):
        return _findings(self_check(TestClient(app), [("台账.xlsx", workbook)], *case))

    alone = [run(case) for case in cases]
    with ThreadPoolExecutor(len(cases)) as pool:
        together = list(pool.map(run, cases))
    assert together == alone
    assert len(set(alone)) == len(cases)


def test_a_raising_plugin_shows_the_results_with_the_missing_parts_listed(tmp_path, workbook):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken_counter.py").write_text(
        "from evalkit import hookimpl\n\n\n@hookimpl\ndef evalkit_rule_packs():\n"
        "    raise RuntimeError('the counter fell over')\n",
        encoding="utf-8",
    )
    with TestClient(create_app(Settings(rules=Rules(plugins_dir=str(plugins))))) as client:
        page = self_check(client, [("台账.xlsx", workbook)], "B07", "2024Q3")
        assert page.status_code == 200
        assert "部分结果缺失" in page.text
        assert "the counter fell over" in _text(section(page.text, "errors"))
        assert "OPF05 志愿服务 不通过" in _text(page.text)  # the other plugins' results are shown


def test_an_unexpected_error_shows_a_reference_never_a_traceback_and_the_server_keeps_serving(
    app, client, workbook, monkeypatch, caplog
):
    page = upload(client, [("台账.xlsx", workbook)])

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(app.state.pages.jobs, "start", broken)
    with caplog.at_level(logging.ERROR, "evalkit.serve"):
        response = client.post("/check", data={"csrf": csrf_of(page.text), "subject": "B07", "period": "2024Q3"})
    assert response.status_code == 500
    reference = re.search(r"参考编号 ([0-9a-f]{8})", response.text)[1]
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert any(reference in record.getMessage() for record in caplog.records)
    monkeypatch.undo()
    assert client.get("/").status_code == 200


def test_the_office_pages_need_the_token(client):
    refused = client.get("/office")
    assert refused.status_code == 403 and 'id="token"' in refused.text
    csrf = csrf_of(refused.text)
    wrong = client.post("/login", data={"csrf": csrf, "token": "guess"})
    assert wrong.status_code == 403 and "访问令牌不正确" in wrong.text
    assert client.post("/login", data={"token": TOKEN}).status_code == 403  # no CSRF token
    before = client.cookies.get("evalkit_session")
    response = client.post("/login", data={"csrf": csrf, "token": TOKEN}, follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert client.cookies.get("evalkit_session") != before  # a new session id on logging in
    page = client.get("/office")
    assert page.status_code == 200 and 'id="run-assess"' in page.text


def test_the_office_assesses_the_dataset_and_gives_the_score_sheet(client):
    page = client.get("/office")
    client.post("/login", data={"csrf": csrf_of(page.text), "token": TOKEN})
    page = client.get("/office")
    started = client.post("/office/run", data={"csrf": csrf_of(page.text), "source": "dataset", "year": "2024"})
    result = finished(client, started)
    assert "2024年度考核" in result.text and "<iframe" in result.text
    book = load_workbook(io.BytesIO(client.get(result.url.path + "/report.xlsx").content))
    assert len(book.sheetnames) > 3
    assert "<svg" in client.get(result.url.path + "/report.html?inline=1").text  # the charts


def test_an_office_upload_that_does_not_validate_lists_its_problems(client):
    page = client.get("/office")
    client.post("/login", data={"csrf": csrf_of(page.text), "token": TOKEN})
    csrf = csrf_of(client.get("/office").text)
    broken = ("activities.csv", "编号,组织单位,活动日期,活动类型,活动名称\nA1,B07,2024-13-45,志愿服务,义诊\n".encode())
    started = client.post(
        "/office/run", data={"csrf": csrf, "source": "upload", "year": "2024"}, files=[("files", broken)]
    )
    result = finished(client, started)
    assert result.status_code == 400
    assert "activities.csv:2 [活动日期] '2024-13-45'：应为日期" in _text(section(result.text, "problems"))


def test_without_a_token_the_office_pages_are_off(workbook):
    with TestClient(create_app(Settings(dataset=SAMPLE))) as client:
        response = client.get("/office")
        assert response.status_code == 404 and "年度考核页面未开启" in response.text
        assert "/office" not in client.get("/").text


def test_end_deletes_the_upload_and_an_idle_visit_is_ended(app, client, workbook):
    page = upload(client, [("台账.xlsx", workbook)])
    visit = app.state.pages.visits.get(client.cookies.get("evalkit_session"))
    folder = visit.upload.folder
    assert folder.is_dir() and oct(folder.stat().st_mode & 0o777) == "0o700"
    ended = client.post("/end", data={"csrf": csrf_of(page.text)})
    assert not folder.exists()
    assert "上传的台账已删除" in ended.text and 'id="run-check"' not in ended.text
    visits = Visits(idle=0)
    idle = visits.start()
    visits.sweep()
    assert visits.get(idle.id) is None


def test_the_template_and_the_rules_pages(client):
    template = client.get("/template.xlsx")
    assert "说明" in load_workbook(io.BytesIO(template.content)).sheetnames
    rules = _text(client.get("/rules").text)
    assert "OPF05 志愿服务" in rules and "依据" in rules


def test_the_english_switch_and_back(client):
    client.get("/lang/en?next=/rules")
    assert "Rules in force" in client.get("/").text + client.get("/rules").text
    assert client.get("/lang/zh?next=//evil.example", follow_redirects=False).headers["location"] == "/"


def test_serve_without_the_extra_exits_2_naming_it(monkeypatch, capsys):
    monkeypatch.setattr("evalkit.serve.missing_modules", lambda: ["starlette"])
    assert main(["serve"]) == 2
    assert "pip install -e '.[serve]'" in capsys.readouterr().err


def test_import_evalkit_loads_no_web_framework():
    code = "import sys, evalkit, evalkit.cli; print(sorted({'starlette', 'jinja2', 'uvicorn'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_the_command_serves_until_terminated_and_deletes_the_uploads(tmp_path, workbook):
    """`evalkit serve` as the README starts it: pages on a free port, an upload in a private folder
    under TMPDIR, and on SIGTERM a clean stop (exit 0) with the folder gone."""
    import os
    import signal
    import socket
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "TMPDIR": str(tmp_path), "EVALKIT_TOKEN": "t"}
    command = [sys.executable, "-m", "evalkit.cli", "serve", "--port", str(port), "--dataset", str(SAMPLE)]
    server = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    page = client.get("/")
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline and server.poll() is None, server.stdout.read()
                    time.sleep(0.2)
            parts = [("files", ("台账.xlsx", workbook, "application/octet-stream"))]
            assert client.post("/upload", data={"csrf": csrf_of(page.text)}, files=parts).status_code == 303
            assert len(list(tmp_path.glob("evalkit-upload-*"))) == 1
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
    assert server.returncode == 0, output
    assert list(tmp_path.glob("evalkit-upload-*")) == []
    assert "Traceback" not in output


def test_uploads_are_kept_only_where_keep_uploads_says(tmp_path):
    from evalkit.serve.uploads import store

    kept = tmp_path / "kept"
    kept.mkdir()
    upload = store([("activities.csv", io.BytesIO(b"id\n"))], UploadLimits())
    assert list(kept.iterdir()) == []
    again = store(
        [("activities.csv", io.BytesIO(b"id\n")), ("activities.csv", io.BytesIO(b"id\n"))], UploadLimits(), kept
    )
    assert sorted(path.name for path in again.folder.iterdir()) == ["activities (2).csv", "activities.csv"]
    (copy,) = kept.iterdir()
    assert sorted(path.name for path in copy.iterdir()) == ["activities (2).csv", "activities.csv"]
    for folder in (upload.folder, again.folder):
        shutil.rmtree(folder)


def test_zips_together_unpack_no_more_than_the_limit():
    """Two zips of 600 KiB each unpack within a limit of 1 MiB alone, not together: refused."""
    from evalkit.serve.uploads import Refused, store

    limits = UploadLimits(max_bytes=2**20 // 10)  # 10 × 0.1 MiB: 1 MiB unpacked at most
    member = {"activities.csv": random.Random(0).randbytes(600 * 2**10)}  # incompressible: no zip bomb
    with pytest.raises(Refused) as refused:
        store([("a.zip", io.BytesIO(_zip(member))), ("b.zip", io.BytesIO(_zip(member)))], limits)
    assert refused.value.status == 413 and "解压后超过" in refused.value.zh
