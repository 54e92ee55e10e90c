"""The web application: the self-check, the template, the rules and, behind a token, the annual assessment.

Plain HTML forms that work without a script; a run's page refreshes itself until the run is done.
Every page is drawn by Jinja2 with autoescape on, so a ledger's values are text, never markup."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..periods import Period
from ..report.words import STATUS_LABELS
from ..report.words import WORDS as REPORT_WORDS
from . import work
from .jobs import Jobs, RunFailed, Workers
from .uploads import Refused, Upload, UploadLimits, Visit, Visits, store
from .words import WORDS

log = logging.getLogger("evalkit.serve")

SESSION_COOKIE = "evalkit_session"
LANG_COOKIE = "evalkit_lang"
#: No resource from anywhere else; the inline style and script of the HTML report are its own.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class Settings:
    """What `evalkit serve` was told: the rules, the office's dataset and token, the limits."""

    rules: work.Rules = field(default_factory=work.Rules)
    dataset: Path | None = None
    token: str | None = None
    limits: UploadLimits = field(default_factory=UploadLimits)
    keep_uploads: Path | None = None
    workers: int = 1
    idle_seconds: float = 30 * 60


class Pages:
    """The routes, sharing the settings, the visits, the runs and the templates."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.visits = Visits(settings.idle_seconds)
        self.workers = Workers(settings.workers)
        self.jobs = Jobs(self.workers)
        self.secret = secrets.token_bytes(32)  # CSRF tokens: valid for this server's life
        self.templates = Environment(
            loader=PackageLoader("evalkit.serve", "templates"), autoescape=select_autoescape(default=True)
        )
        self.templates.globals["period_label"] = lambda code, lang: Period.parse(code).label(lang)
        self._cached: dict[str, object] = {}

    # -- the parts every page shares ------------------------------------------------------------

    def lang(self, request: Request) -> str:
        return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"

    def visit(self, request: Request) -> Visit | None:
        return self.visits.get(request.cookies.get(SESSION_COOKIE))

    def csrf(self, visit: Visit) -> str:
        return hmac.new(self.secret, visit.id.encode(), hashlib.sha256).hexdigest()

    def page(
        self, request: Request, template: str, status: int = 200, visit: Visit | None = None, **values
    ) -> Response:
        """A page in the visitor's language; a visitor without a visit gets one (its cookie set here)."""
        lang = self.lang(request)
        fresh = visit is None and (visit := self.visit(request)) is None
        if fresh:
            visit = self.visits.start()
        html = self.templates.get_template(template).render(
            lang=lang,
            w=WORDS[lang],
            statuses=STATUS_LABELS[lang],
            report_words=REPORT_WORDS[lang],
            csrf=self.csrf(visit),
            visit=visit,
            office_on=self.settings.token is not None,
            path=request.url.path,
            limits=self.settings.limits,
            **values,
        )
        response = HTMLResponse(html, status, headers=HEADERS)
        if fresh:
            self.set_visit_cookie(response, visit)
        return response

    @staticmethod
    def set_visit_cookie(response: Response, visit: Visit) -> None:
        response.set_cookie(SESSION_COOKIE, visit.id, httponly=True, samesite="strict", path="/")

    def message(self, request: Request, status: int, key: str, title: str = "error_title", **values) -> Response:
        lang = self.lang(request)
        return self.page(
            request, "message.html", status, title=WORDS[lang][title], text=WORDS[lang][key].format(**values)
        )

    async def form(self, request: Request, visit: Visit | None) -> dict:
        """A POST's fields (files as lists of UploadFile), read within the size limit, its CSRF token checked."""
        limits = self.settings.limits
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limits.max_bytes:
            raise _too_large(limits)
        stream = _limited(request.stream(), limits)
        try:
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                parser = MultiPartParser(request.headers, stream, max_files=limits.max_files, max_fields=20)
            else:
                parser = FormParser(request.headers, stream)
            fields = await parser.parse()
        except MultiPartException as error:
            key = "too_many_files" if "files" in error.message.lower() else "bad_form"
            raise Refused(
                413 if key == "too_many_files" else 400,
                *(WORDS[lang][key].format(files=limits.max_files) for lang in ("en", "zh")),
            ) from None
        if visit is None or not hmac.compare_digest(str(fields.get("csrf", "")), self.csrf(visit)):
            raise Refused(403, WORDS["en"]["csrf"], WORDS["zh"]["csrf"])
        values: dict = {}
        for key, value in fields.multi_items():
            values.setdefault(key, []).append(value)
        return values

    async def stored(self, fields: dict, visit: Visit) -> Upload:
        """The form's files in a new private folder, in place of the visit's previous upload; the
        request's own temporary copies closed (deleted) either way."""
        received = [f for f in fields.get("files", []) if isinstance(f, UploadFile) and f.filename]
        visit.drop_upload()
        try:
            files = [(f.filename, f.file) for f in received]
            return await run_in_threadpool(store, files, self.settings.limits, self.settings.keep_uploads)
        finally:
            for upload in received:
                await upload.close()

    # -- the self-check ------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        visit = self.visit(request)
        inspection = visit.inspection if visit is not None else None
        upload = visit and visit.upload
        ended = "ended" in request.query_params
        return self.page(request, "home.html", visit=visit, inspection=inspection, upload=upload, ended=ended)

    async def upload(self, request: Request) -> Response:
        visit = self.visit(request)
        fields = await self.form(request, visit)
        upload = await self.stored(fields, visit)
        try:
            inspection = await self.workers.run(work.inspect, str(upload.folder), self.settings.rules)
        except BaseException:  # the folder belongs to no visit yet: nothing else would delete it
            shutil.rmtree(upload.folder, ignore_errors=True)
            raise
        if inspection.problems:
            shutil.rmtree(upload.folder, ignore_errors=True)
            lang = self.lang(request)
            problems = [problem.text(lang) for problem in inspection.problems]
            notes = [note.text(lang) for note in inspection.notes]
            return self.page(request, "problems.html", 400, visit=visit, problems=problems, notes=notes)
        visit.upload, visit.inspection = upload, inspection
        return RedirectResponse("/", 303)

    async def check(self, request: Request) -> Response:
        visit = self.visit(request)
        fields = await self.form(request, visit)
        if visit.inspection is None:
            return self.message(request, 400, "no_upload")
        given = _first(fields, "subject").strip()
        subject = _organisation(given, visit.inspection.organisations)
        if subject is None:
            return self.message(request, 400, "choose_subject", given=given)
        period = _first(fields, "period")
        if period not in visit.inspection.periods:
            return self.message(request, 400, "choose_period")
        shown = work.shown_name(visit.upload.files)
        job = self.jobs.start(
            visit.id,
            "check",
            work.self_check,
            str(visit.upload.folder),
            subject,
            period,
            shown,
            self.settings.rules,
            date.today(),
            subject=subject,
            period=period,
        )
        visit.jobs.add(job.id)
        return RedirectResponse(f"/jobs/{job.id}", 303)

    async def end(self, request: Request) -> Response:
        visit = self.visit(request)
        await self.form(request, visit)
        self.jobs.forget(visit.jobs)
        self.visits.end(visit)
        response = RedirectResponse("/?ended=1", 303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- runs ----------------------------------------------------------------------------------

    async def job(self, request: Request) -> Response:
        visit = self.visit(request)
        job = self.jobs.of(visit.id, request.path_params["job"]) if visit else None
        if job is None:
            return self.message(request, 404, "not_found")
        try:
            report = job.outcome()
        except RunFailed as failure:
            return self.message(request, 500, "error_ref", ref=failure.reference)
        if report is None:
            return self.page(request, "running.html", visit=visit)
        lang = self.lang(request)
        if isinstance(report, work.Inspection):  # an office's upload that does not validate
            problems = [problem.text(lang) for problem in report.problems]
            notes = [note.text(lang) for note in report.notes]
            return self.page(request, "problems.html", 400, visit=visit, problems=problems, notes=notes)
        template = "result.html" if job.kind == "check" else "office_result.html"
        return self.page(
            request,
            template,
            visit=visit,
            job=job,
            report=report,
            document=report.documents[lang],
            grid=report.grid.get(lang),
        )

    async def download(self, request: Request) -> Response:
        visit = self.visit(request)
        job = self.jobs.of(visit.id, request.path_params["job"]) if visit else None
        try:
            report = job.outcome() if job else None
        except RunFailed as failure:
            return self.message(request, 500, "error_ref", ref=failure.reference)
        if report is None or isinstance(report, work.Inspection):
            return self.message(request, 404, "not_found")
        lang, suffix = self.lang(request), request.path_params["suffix"]
        if suffix not in ("html", "xlsx"):
            return self.message(request, 404, "not_found")
        name = f"{job.subject or 'assessment'}-{job.period}.{suffix}"
        if suffix == "xlsx":
            media, content = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", report.xlsx[lang]
        else:
            media, content = "text/html; charset=utf-8", report.html[lang]
        disposition = "inline" if request.query_params.get("inline") else "attachment"
        headers = {**HEADERS, "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}"}
        return Response(content, media_type=media, headers=headers)

    # -- the template and the rules ------------------------------------------------------------

    async def template_page(self, request: Request) -> Response:
        return self.page(request, "template.html")

    async def template_download(self, request: Request) -> Response:
        if "template" not in self._cached:
            self._cached["template"] = await self.workers.run(work.template, self.settings.rules)
        lang = self.lang(request)
        name = "台账模板.xlsx" if lang == "zh" else "ledger-template.xlsx"
        headers = {**HEADERS, "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(self._cached["template"][lang], media_type=media, headers=headers)

    async def rules(self, request: Request) -> Response:
        if "rules" not in self._cached:
            self._cached["rules"] = await self.workers.run(work.rule_rows, self.settings.rules)
        return self.page(request, "rules.html", rows=self._cached["rules"][self.lang(request)])

    # -- the office: behind the token ----------------------------------------------------------

    def office_refusal(self, request: Request, visit: Visit | None) -> Response | None:
        """Why this visitor may not see an office page (None: it may)."""
        if self.settings.token is None:
            return self.message(request, 404, "office_off", title="office_title")
        if visit is None or not visit.office:
            return self.page(request, "login.html", 403, visit=visit, wrong=False)
        return None

    async def login(self, request: Request) -> Response:
        visit = self.visit(request)
        if request.method == "GET":
            return self.office_refusal(request, visit) or RedirectResponse("/office", 303)
        if self.settings.token is None:
            return self.message(request, 404, "office_off", title="office_title")
        fields = await self.form(request, visit)
        given = _first(fields, "token").encode()
        if not hmac.compare_digest(given, self.settings.token.encode()):
            await asyncio.sleep(1)  # guessing costs a second a try
            return self.page(request, "login.html", 403, visit=visit, wrong=True)
        old = visit.id
        self.visits.renew(visit)
        self.jobs.move(old, visit.id)
        visit.office = True
        response = RedirectResponse("/office", 303)
        self.set_visit_cookie(response, visit)
        return response

    async def logout(self, request: Request) -> Response:
        visit = self.visit(request)
        await self.form(request, visit)
        visit.office = False
        return RedirectResponse("/", 303)

    async def office(self, request: Request) -> Response:
        visit = self.visit(request)
        if (refusal := self.office_refusal(request, visit)) is not None:
            return refusal
        dataset = self.settings.dataset
        return self.page(request, "office.html", visit=visit, dataset=dataset.name if dataset else None)

    async def office_run(self, request: Request) -> Response:
        visit = self.visit(request)
        if (refusal := self.office_refusal(request, visit)) is not None:
            return refusal
        fields = await self.form(request, visit)
        year = _first(fields, "year").strip()
        try:
            period = Period.parse(year)
        except ValueError:
            period = None
        if period is None or not period.is_year:
            return self.message(request, 400, "bad_year", given=year)
        if _first(fields, "source") == "dataset":
            if self.settings.dataset is None:
                return self.message(request, 400, "no_dataset")
            folder, shown = str(self.settings.dataset), self.settings.dataset.name
        else:
            visit.upload = await self.stored(fields, visit)
            folder, shown = str(visit.upload.folder), work.shown_name(visit.upload.files)
        job = self.jobs.start(
            visit.id,
            "assess",
            work.assess,
            folder,
            str(period),
            shown,
            self.settings.rules,
            date.today(),
            period=str(period),
        )
        visit.jobs.add(job.id)
        return RedirectResponse(f"/jobs/{job.id}", 303)

    # -- language ------------------------------------------------------------------------------

    async def switch_language(self, request: Request) -> Response:
        """Set the language and go back where the visitor was (a path of this site only)."""
        lang = "en" if request.path_params["lang"] == "en" else "zh"
        back = request.query_params.get("next", "/")
        if not back.startswith("/") or back.startswith("//") or "\\" in back:
            back = "/"
        response = RedirectResponse(back, 303)
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", path="/", max_age=365 * 86400)
        return response

    async def missing(self, request: Request, error: Exception) -> Response:
        return self.message(request, 404, "not_found")

    async def refused(self, request: Request, error: Refused) -> Response:
        lang = self.lang(request)
        return self.page(
            request, "message.html", error.status, title=WORDS[lang]["refused_title"], text=error.text(lang)
        )

    async def sweep(self) -> None:
        """End idle visits, with their uploads and runs, once a minute (or each idle time, if shorter)."""
        while True:
            await asyncio.sleep(min(60.0, self.settings.idle_seconds))
            for visit in self.visits.sweep():
                self.jobs.forget(visit.jobs)


def _limited(stream: AsyncIterator[bytes], limits: UploadLimits) -> AsyncIterator[bytes]:
    """The request body, refused once it passes the limit (a missing or false Content-Length too)."""

    async def chunks():
        received = 0
        async for chunk in stream:
            received += len(chunk)
            if received > limits.max_bytes:
                raise _too_large(limits)
            yield chunk

    return chunks()


def _too_large(limits: UploadLimits) -> Refused:
    mb = limits.max_bytes // 2**20
    return Refused(413, WORDS["en"]["too_large"].format(mb=mb), WORDS["zh"]["too_large"].format(mb=mb))


def _first(fields: dict, key: str) -> str:
    values = fields.get(key) or [""]
    return values[0] if isinstance(values[0], str) else ""


def _organisation(given: str, organisations: list[tuple[str, str]]) -> str | None:
    """The id of the organisation `given` names: its id, its name, or "ID 名称" as the list shows it."""
    for id_, name in organisations:
        if given in (id_, name, f"{id_} {name}"):
            return id_
    return None


class Guard:
    """ASGI middleware: an exception no page expected becomes an error page with a reference number
    and a log line with the traceback; never a traceback on the page, and the server keeps serving."""

    def __init__(self, app, pages: Pages):
        self.app, self.pages = app, pages

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracked(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            reference = secrets.token_hex(4)
            log.exception("request %s: %s %s failed", reference, scope.get("method"), scope.get("path"))
            if started:
                raise
            request = Request(scope)
            response = self.pages.message(request, 500, "error_ref", ref=reference)
            await response(scope, receive, send)


def create_app(settings: Settings) -> Starlette:
    """The application for `settings`; its pool and the visits' folders end with it."""
    pages = Pages(settings)

    @asynccontextmanager
    async def lifespan(app):
        sweeper = asyncio.create_task(pages.sweep())
        try:
            yield
        finally:
            sweeper.cancel()
            pages.visits.end_all()
            pages.workers.close()

    routes = [
        Route("/", pages.home),
        Route("/upload", pages.upload, methods=["POST"]),
        Route("/check", pages.check, methods=["POST"]),
        Route("/end", pages.end, methods=["POST"]),
        Route("/jobs/{job}", pages.job),
        Route("/jobs/{job}/report.{suffix:str}", pages.download),
        Route("/template", pages.template_page),
        Route("/template.xlsx", pages.template_download),
        Route("/rules", pages.rules),
        Route("/login", pages.login, methods=["GET", "POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/office", pages.office),
        Route("/office/run", pages.office_run, methods=["POST"]),
        Route("/lang/{lang}", pages.switch_language),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={Refused: pages.refused, 404: pages.missing})
    app.add_middleware(Guard, pages=pages)
    app.state.pages = pages
    return app
