"""The Hub web app: server-rendered pages over the Meltano project.

Every change is a POST that passes three checks, in this order, before it does anything:
signed in (else 403), role admin (else 403: read-only users may only look), and the form's
CSRF token equal to the session's (else 403). Sessions are signed cookies (HttpOnly, Secure,
SameSite=Strict) holding only the user name and the CSRF token; the role is read from the
users file on every request, so a changed role takes effect at once.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import auth, connection, lookup, schedules, settings, sources
from hub.scheduler import AlreadyRunning, run_now
from hub.schedules import ScheduleError

log = logging.getLogger("hub")
HERE = Path(__file__).parent
SESSION_HOURS = 8
COMMON_ZONES = (
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
)

Handler = Callable[[Request, auth.User, FormData], Awaitable[Response]]


class SecurityHeaders:
    """Headers every response carries: no framing, no sniffing, scripts only from /static."""

    HEADERS = (
        (
            b"content-security-policy",
            b"default-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"cache-control", b"no-store"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(project: Path) -> Starlette:
    """The ASGI app for the Meltano project at `project`."""
    root = project.resolve()
    # Load Meltano and resolve every setting now, not on the first visitor's request.
    threading.Thread(target=_warm_up, args=(root,), name="hub-warm-up", daemon=True).start()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = _when
    templates.env.globals["zones"] = COMMON_ZONES

    # -- helpers ---------------------------------------------------------------------------

    def user_of(request: Request) -> auth.User | None:
        name = request.session.get("user")
        user = auth.get_user(root, name) if isinstance(name, str) else None
        if user is None or request.session.get("epoch") != user.epoch:
            return None  # unknown now, or the password changed since this sign-in
        return user

    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            request.session["csrf"] = token
        return token

    def flash(request: Request, text: str, kind: str = "ok") -> None:
        request.session["flash"] = [*request.session.get("flash", []), [kind, text]]

    def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
        context.update(
            user=user_of(request),
            csrf_token=csrf_token(request),
            flashes=request.session.pop("flash", []),
        )
        return templates.TemplateResponse(request, template, context, status_code=status_code)

    def refuse(request: Request, message: str, status_code: int = 403) -> Response:
        title = "Not found" if status_code == 404 else "Not allowed"
        return render(request, "error.html", status_code, message=message, title=title)

    def csrf_ok(request: Request, form: FormData) -> bool:
        sent = form.get("csrf_token")
        kept = request.session.get("csrf")
        return isinstance(sent, str) and isinstance(kept, str) and hmac.compare_digest(sent, kept)

    def change(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """A POST that changes something: signed in, admin, valid CSRF token; else 403."""

        async def endpoint(request: Request) -> Response:
            user = user_of(request)
            if user is None:
                return refuse(request, "Sign in first.")
            if not user.is_admin:
                return refuse(request, "Read-only users can look but not change anything.")
            form = await request.form()
            if not csrf_ok(request, form):
                return refuse(request, "This form has expired: reload the page and try again.")
            return await handler(request, user, form)

        return endpoint

    def page(
        handler: Callable[[Request, auth.User], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        """A GET page for anyone signed in; others go to the sign-in page."""

        async def endpoint(request: Request) -> Response:
            user = user_of(request)
            if user is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            return await handler(request, user)

        return endpoint

    def back_to(name: str) -> RedirectResponse:
        return RedirectResponse(f"/sources/{quote(name)}", status_code=303)

    async def plugin_or_404(request: Request) -> settings.Plugin | Response:
        name = request.path_params["name"]
        try:
            return await run_in_threadpool(settings.extractor, root, name)
        except KeyError:
            return refuse(request, f"There is no source called '{name}'.", 404)

    # -- sign in ---------------------------------------------------------------------------

    async def login_form(request: Request) -> Response:
        return render(
            request,
            "login.html",
            next=_safe_next(request.query_params.get("next")),
            no_users=not auth.users_file(root).exists(),
        )

    async def login(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form):
            return refuse(request, "This form has expired: reload the page and try again.")
        name = str(form.get("username", "")).strip()
        user = await run_in_threadpool(auth.authenticate, root, name, str(form.get("password", "")))
        target = _safe_next(str(form.get("next", "")))
        if user is None:
            flash(request, "Wrong user name or password.", "error")
            return render(request, "login.html", 401, next=target, username=name)
        request.session.clear()  # a new session on sign-in: no fixation
        request.session["user"] = user.name
        request.session["epoch"] = user.epoch
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form):
            return refuse(request, "This form has expired: reload the page and try again.")
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # -- data sources ----------------------------------------------------------------------

    async def source_list(request: Request, user: auth.User) -> Response:
        statuses = await run_in_threadpool(sources.all_statuses, root)
        listed = [s for s in statuses if s.listed]
        template = "_table.html" if request.query_params.get("fragment") else "sources.html"
        return render(request, template, statuses=listed)

    async def catalog(request: Request, user: auth.User) -> Response:
        statuses = await run_in_threadpool(sources.all_statuses, root)
        return render(request, "catalog.html", statuses=statuses)

    async def source_page(request: Request, user: auth.User) -> Response:
        plugin = await plugin_or_404(request)
        if isinstance(plugin, Response):
            return plugin
        return await run_in_threadpool(show_source, request, plugin)

    def show_source(
        request: Request,
        plugin: settings.Plugin,
        status_code: int = 200,
        form_error: str | None = None,
        schedule_form: dict[str, str] | None = None,
        schedule_error: str | None = None,
    ) -> Response:
        status = sources.status(root, plugin)
        upcoming = (
            schedules.next_runs(status.schedule, datetime.now(UTC), 5) if status.schedule else []
        )
        return render(
            request,
            "source.html",
            status_code,
            s=status,
            upcoming=upcoming,
            form_error=form_error,
            schedule_form=schedule_form
            or {
                "cron": status.schedule.cron if status.schedule else "0 6 * * *",
                "timezone": status.schedule.timezone if status.schedule else "UTC",
            },
            schedule_error=schedule_error,
        )

    async def save_and_test(request: Request, user: auth.User, form: FormData) -> Response:
        plugin = await plugin_or_404(request)
        if isinstance(plugin, Response):
            return plugin
        values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        try:
            await run_in_threadpool(settings.save, root, plugin.name, values)
        except settings.SettingsError as exc:
            return await run_in_threadpool(show_source, request, plugin, 400, str(exc))
        result = await run_in_threadpool(connection.run_test, root, plugin.name)
        flash(
            request,
            f"Saved. {result.message}" if result.ok else "Saved, but the test failed.",
            "ok" if result.ok else "error",
        )
        return back_to(plugin.name)

    async def save_schedule(request: Request, user: auth.User, form: FormData) -> Response:
        plugin = await plugin_or_404(request)
        if isinstance(plugin, Response):
            return plugin
        entered = {"cron": str(form.get("cron", "")), "timezone": str(form.get("timezone", ""))}
        try:
            saved = await run_in_threadpool(
                lambda: schedules.save_schedule(
                    root, source=plugin.name, cron=entered["cron"], timezone=entered["timezone"]
                )
            )
        except ScheduleError as exc:
            return await run_in_threadpool(
                show_source, request, plugin, 400, None, entered, str(exc)
            )
        flash(request, f"Schedule saved: {saved.cron} ({saved.timezone}).")
        return back_to(plugin.name)

    def schedule_action(action: str) -> Handler:
        async def handler(request: Request, user: auth.User, form: FormData) -> Response:
            plugin = await plugin_or_404(request)
            if isinstance(plugin, Response):
                return plugin
            schedule = await run_in_threadpool(schedules.schedule_for_source, root, plugin.name)
            if schedule is None:
                flash(request, "This source has no schedule yet: save one first.", "error")
                return back_to(plugin.name)
            if action == "run":
                try:
                    await run_in_threadpool(run_now, root, schedule.name)
                except AlreadyRunning as exc:
                    flash(request, str(exc), "error")
                    return back_to(plugin.name)
                flash(request, f"{plugin.label}: run started.")
                return RedirectResponse("/", status_code=303)
            paused = action == "pause"
            await run_in_threadpool(schedules.set_paused, root, schedule.name, paused)
            flash(request, f"{plugin.label}: {'paused' if paused else 'resumed'}.")
            return back_to(plugin.name)

        return handler

    async def disconnect_form(request: Request, user: auth.User) -> Response:
        plugin = await plugin_or_404(request)
        if isinstance(plugin, Response):
            return plugin
        status = await run_in_threadpool(sources.status, root, plugin)
        return render(request, "disconnect.html", s=status)

    async def disconnect(request: Request, user: auth.User, form: FormData) -> Response:
        plugin = await plugin_or_404(request)
        if isinstance(plugin, Response):
            return plugin
        if form.get("confirm") != plugin.name:
            flash(request, f"Type {plugin.name} to confirm.", "error")
            return RedirectResponse(f"/sources/{quote(plugin.name)}/disconnect", status_code=303)

        def work() -> None:
            schedule = schedules.schedule_for_source(root, plugin.name)
            if schedule is not None and not schedule.paused:
                schedules.set_paused(root, schedule.name, True)
            settings.forget(root, plugin.name)
            connection.forget_result(root, plugin.name)

        await run_in_threadpool(work)
        flash(request, f"{plugin.label} is disconnected. Its loaded data stays in the warehouse.")
        return RedirectResponse("/", status_code=303)

    # -- lookup ----------------------------------------------------------------------------

    async def lookup_page(request: Request, user: auth.User) -> Response:
        kind = request.query_params.get("kind", "product")
        term = request.query_params.get("q", "")
        answer, error = None, None
        if term:
            try:
                warehouse = Path(
                    await run_in_threadpool(
                        settings.loader_setting, root, "target-duckdb", "filepath"
                    )
                )
                answer = await run_in_threadpool(lookup.search, warehouse, kind, term)
            except lookup.LookupFailed as exc:
                error = str(exc)
        return render(
            request,
            "lookup.html",
            kinds={k: label for k, (label, _) in lookup.LOOKUPS.items()},
            kind=kind,
            term=term,
            answer=answer,
            error=error,
        )

    routes = [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", page(source_list), methods=["GET"]),
        Route("/sources/add", page(catalog), methods=["GET"]),
        Route("/lookup", page(lookup_page), methods=["GET"]),
        Route("/sources/{name}", page(source_page), methods=["GET"]),
        Route("/sources/{name}/settings", change(save_and_test), methods=["POST"]),
        Route("/sources/{name}/schedule", change(save_schedule), methods=["POST"]),
        Route("/sources/{name}/run", change(schedule_action("run")), methods=["POST"]),
        Route("/sources/{name}/pause", change(schedule_action("pause")), methods=["POST"]),
        Route("/sources/{name}/resume", change(schedule_action("resume")), methods=["POST"]),
        Route("/sources/{name}/disconnect", page(disconnect_form), methods=["GET"]),
        Route("/sources/{name}/disconnect", change(disconnect), methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    from hub.state import secret_key

    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=secret_key(root).decode(),
            session_cookie="hub_session",
            max_age=SESSION_HOURS * 3600,
            same_site="strict",
            https_only=True,  # the Secure flag; browsers accept it on http://localhost too
        ),
    ]
    return Starlette(routes=routes, middleware=middleware)


def _warm_up(root: Path) -> None:
    try:
        settings.extractors(root)
    except Exception:  # the first request will say what is wrong, in its page
        log.exception("could not read the project's extractors")


def _safe_next(target: str | None) -> str:
    """Only local paths: a crafted ?next= must not send a signed-in user to another site."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _when(value: datetime | None, zone: str | None = None) -> str:
    """A time as the page shows it: in the schedule's zone (else UTC), to the second."""
    if value is None:
        return "Never"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    shown = value.astimezone(ZoneInfo(zone or "UTC"))
    return shown.strftime("%Y-%m-%d %H:%M:%S %Z")
