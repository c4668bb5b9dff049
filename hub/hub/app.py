"""The Hub web app: server-rendered pages over the Meltano project.

Every change is a POST that passes three checks, in this order, before it does anything:
signed in (else 403), role admin (else 403: read-only users may only look), and the form's
CSRF token equal to the session's (else 403). Sessions live on the server (hub/sessions.py):
the cookie (HttpOnly, Secure, SameSite=Strict) holds a random id only; the role is read from
the users file on every request, so a changed role takes effect at once. Sign-in attempts
are throttled per user name and per address (hub/throttle.py).

Handlers are module-level functions (importable, testable); what they share (the project
root, the templates, the throttle) is on `request.app.state`.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import audit, auth, connection, lookup, private, runs, schedules, settings, sources
from hub.scheduler import AlreadyRunning, Period, run_now
from hub.schedules import ScheduleError
from hub.sessions import ServerSessions
from hub.throttle import SignInThrottle

log = logging.getLogger("hub")
HERE = Path(__file__).parent
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

# The frequency picker beside raw cron (Fivetran's "Sync frequency"): a choice fills the cron.
FREQUENCIES = (
    ("*/15 * * * *", "Every 15 minutes"),
    ("0 * * * *", "Every hour"),
    ("0 */6 * * *", "Every 6 hours"),
    ("0 6 * * *", "Daily at 06:00"),
    ("0 6 * * 1", "Weekly, Mondays at 06:00"),
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
    private.tighten(root)
    # Load Meltano and resolve every setting now, not on the first visitor's request.
    threading.Thread(target=_warm_up, args=(root,), name="hub-warm-up", daemon=True).start()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = _when
    templates.env.globals["zones"] = COMMON_ZONES
    templates.env.globals["frequencies"] = FREQUENCIES
    app = Starlette(
        routes=ROUTES,
        middleware=[Middleware(SecurityHeaders), Middleware(ServerSessions, root=root)],
    )
    app.state.root = root
    app.state.templates = templates
    app.state.throttle = SignInThrottle()
    return app


# -- helpers --------------------------------------------------------------------------------


def root_of(request: Request) -> Path:
    return Path(request.app.state.root)


def user_of(request: Request) -> auth.User | None:
    name = request.session.get("user")
    user = auth.get_user(root_of(request), name) if isinstance(name, str) else None
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
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def refuse(request: Request, message: str, status_code: int = 403) -> Response:
    title = "Not found" if status_code == 404 else "Not allowed"
    return render(request, "error.html", status_code, message=message, title=title)


def csrf_ok(request: Request, form: FormData) -> bool:
    sent = form.get("csrf_token")
    kept = request.session.get("csrf")
    return isinstance(sent, str) and isinstance(kept, str) and hmac.compare_digest(sent, kept)


READ_ONLY_REFUSAL = "Read-only users can look but not change anything."


def change(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A POST that changes something: signed in, admin, valid CSRF token; else 403."""

    async def endpoint(request: Request) -> Response:
        user = user_of(request)
        if user is None:
            return refuse(request, "Sign in first.")
        if not user.is_admin:
            return refuse(request, READ_ONLY_REFUSAL)
        form = await request.form()
        if not csrf_ok(request, form):
            return refuse(request, "This form has expired: reload the page and try again.")
        return await handler(request, user, form)

    endpoint.__name__ = handler.__name__
    return endpoint


def page(
    handler: Callable[[Request, auth.User], Awaitable[Response]], *, admin: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """A GET page for anyone signed in (admins only with `admin`); others go to sign-in."""

    async def endpoint(request: Request) -> Response:
        user = user_of(request)
        if user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if admin and not user.is_admin:
            return refuse(request, READ_ONLY_REFUSAL)
        return await handler(request, user)

    endpoint.__name__ = handler.__name__
    return endpoint


def back_to(name: str) -> RedirectResponse:
    return RedirectResponse(f"/sources/{quote(name)}", status_code=303)


async def plugin_or_404(request: Request) -> settings.Plugin | Response:
    name = request.path_params["name"]
    try:
        return await run_in_threadpool(settings.extractor, root_of(request), name)
    except KeyError:
        return refuse(request, f"There is no source called '{name}'.", 404)


# -- sign in --------------------------------------------------------------------------------


async def login_form(request: Request) -> Response:
    return render(
        request,
        "login.html",
        next=_safe_next(request.query_params.get("next")),
        no_users=not auth.users_file(root_of(request)).exists(),
    )


async def login(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return refuse(request, "This form has expired: reload the page and try again.")
    name = str(form.get("username", "")).strip()
    target = _safe_next(str(form.get("next", "")))
    throttle: SignInThrottle = request.app.state.throttle
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(name, address)
    if wait:  # refused before the password is hashed: guessing costs no CPU either
        unit = "second" if wait == 1 else "seconds"
        flash(request, f"Too many failed sign-ins: try again in {wait} {unit}.", "error")
        response = render(request, "login.html", 429, next=target, username=name)
        response.headers["Retry-After"] = str(wait)
        return response
    root = root_of(request)
    user = await run_in_threadpool(auth.authenticate, root, name, str(form.get("password", "")))
    if user is None:
        throttle.failed(name, address)
        flash(request, "Wrong user name or password.", "error")
        return render(request, "login.html", 401, next=target, username=name)
    throttle.succeeded(name)
    audit.record(root, user.name, audit.SIGNED_IN, "", address)
    request.session.clear()  # a new session on sign-in (a new id): no fixation
    request.session["user"] = user.name
    request.session["epoch"] = user.epoch
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return refuse(request, "This form has expired: reload the page and try again.")
    request.session.clear()  # ends the session on the server: a kept cookie opens nothing
    return RedirectResponse("/login", status_code=303)


# -- data sources ---------------------------------------------------------------------------


async def source_list(request: Request, user: auth.User) -> Response:
    statuses = await run_in_threadpool(sources.all_statuses, root_of(request))
    listed = [s for s in statuses if s.listed]
    template = "_table.html" if request.query_params.get("fragment") else "sources.html"
    return render(request, template, statuses=listed)


async def catalog(request: Request, user: auth.User) -> Response:
    statuses = await run_in_threadpool(sources.all_statuses, root_of(request))
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
    root = root_of(request)
    status = sources.status(root, plugin)
    history = runs.history(root, status.schedule.name) if status.schedule else []
    streams = [
        (n, settings.is_selected(plugin.select, n)) for n in settings.streams(root, plugin.name)
    ]
    upcoming = schedules.next_runs(status.schedule, datetime.now(UTC), 5) if status.schedule else []
    return render(
        request,
        "source.html",
        status_code,
        s=status,
        history=history,
        streams=streams,
        ranged=any(s.name == "start_date" for s in plugin.settings),
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
    """Store the values, test them; a failing test on a source that worked puts the previous
    values back, so a typo never breaks a working source. The first time a source becomes
    Connected, its first sync starts by itself."""
    plugin = await plugin_or_404(request)
    if isinstance(plugin, Response):
        return plugin
    root = root_of(request)
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    before = await run_in_threadpool(sources.status, root, plugin)
    try:
        written = await run_in_threadpool(settings.save, root, plugin.name, values)
    except settings.SettingsError as exc:
        return await run_in_threadpool(show_source, request, plugin, 400, str(exc))
    if written:
        first = before.test is None and before.last_run is None  # never connected here
        action = audit.CONNECTION_CREATED if first else audit.SETTINGS_CHANGED
        audit.record(root, user.name, action, plugin.name, ", ".join(sorted(written)))
    result = await run_in_threadpool(connection.run_test, root, plugin.name)
    audit.record(root, user.name, audit.TESTED, plugin.name, result.message)
    if not result.ok and before.setup == sources.CONNECTED and written:

        def put_back() -> None:
            settings.restore(root, plugin, written)
            connection.put_back(root, plugin.name, before.test)

        await run_in_threadpool(put_back)
        audit.record(root, user.name, audit.SETTINGS_CHANGED, plugin.name, "put back: test failed")
        flash(
            request,
            "The test failed with the new settings, so the previous ones stay in use: "
            f"{result.message}",
            "error",
        )
        return back_to(plugin.name)
    if not result.ok:
        flash(request, "Saved, but the test failed.", "error")
        return back_to(plugin.name)
    message = f"Saved. {result.message}"
    if before.setup != sources.CONNECTED and before.last_run is None and before.schedule:
        try:
            await run_in_threadpool(run_now, root, before.schedule.name)
        except AlreadyRunning:
            pass
        else:
            audit.record(root, user.name, audit.RUN_STARTED, plugin.name, "first sync")
            message += ": the first sync has started."
    flash(request, message)
    return back_to(plugin.name)


async def save_streams(request: Request, user: auth.User, form: FormData) -> Response:
    """Which streams sync (Amperity's table checkboxes), stored as Meltano `select` rules."""
    plugin = await plugin_or_404(request)
    if isinstance(plugin, Response):
        return plugin
    root = root_of(request)
    chosen = [str(v) for v in form.getlist("stream")]
    try:
        await run_in_threadpool(settings.choose_streams, root, plugin.name, chosen)
    except settings.SettingsError as exc:
        return await run_in_threadpool(show_source, request, plugin, 400, str(exc))
    audit.record(root, user.name, audit.STREAMS_CHOSEN, plugin.name, ", ".join(chosen))
    flash(request, f"Streams saved: {', '.join(chosen)}. The next run syncs only these.")
    return back_to(plugin.name)


async def save_schedule(request: Request, user: auth.User, form: FormData) -> Response:
    plugin = await plugin_or_404(request)
    if isinstance(plugin, Response):
        return plugin
    root = root_of(request)
    picked = str(form.get("frequency", ""))
    cron = picked if picked in dict(FREQUENCIES) else str(form.get("cron", ""))
    entered = {"cron": cron, "timezone": str(form.get("timezone", ""))}
    try:
        saved = await run_in_threadpool(
            lambda: schedules.save_schedule(
                root, source=plugin.name, cron=entered["cron"], timezone=entered["timezone"]
            )
        )
    except ScheduleError as exc:
        return await run_in_threadpool(show_source, request, plugin, 400, None, entered, str(exc))
    audit.record(
        root, user.name, audit.SCHEDULE_CHANGED, plugin.name, f"{saved.cron} ({saved.timezone})"
    )
    flash(request, f"Schedule saved: {saved.cron} ({saved.timezone}).")
    return back_to(plugin.name)


async def run_source(request: Request, user: auth.User, form: FormData) -> Response:
    return await _schedule_action(request, user, "run", form)


def _describe_period(period: Period | None) -> str:
    if period is None:
        return "new data"
    if period.since is None:
        return "all data"
    return f"from {period.since}" + (f" to {period.until}" if period.until else "")


def load_option(plugin: settings.Plugin, form: FormData) -> Period | None:
    """Run now's load option: new data (None), all data, or a date range (taps with a
    `start_date` setting; `end_date` too where the tap has one). SettingsError if bad."""
    load = str(form.get("load", ""))
    if load == "":
        return None
    if load == "all":
        return Period()
    if load != "range":
        raise settings.SettingsError(
            f"'{load}' is not a load option: use new data, all data or a date range."
        )
    names = {s.name for s in plugin.settings}
    if "start_date" not in names:
        raise settings.SettingsError(
            f"{plugin.label} cannot load a date range (it has no start date): use All data."
        )
    try:
        since = date.fromisoformat(str(form.get("since", "")))
        until_text = str(form.get("until", ""))
        until = date.fromisoformat(until_text) if until_text else None
    except ValueError:
        raise settings.SettingsError(
            "Give the range's first day as YYYY-MM-DD (and its last, if any)."
        ) from None
    if until is not None and "end_date" not in names:
        raise settings.SettingsError(
            f"{plugin.label} reads from a start date to now: leave To empty."
        )
    if until is not None and until < since:
        raise settings.SettingsError(f"The range ends ({until}) before it starts ({since}).")
    return Period(since, until)


async def pause_source(request: Request, user: auth.User, form: FormData) -> Response:
    return await _schedule_action(request, user, "pause")


async def resume_source(request: Request, user: auth.User, form: FormData) -> Response:
    return await _schedule_action(request, user, "resume")


async def _schedule_action(
    request: Request, user: auth.User, action: str, form: FormData | None = None
) -> Response:
    plugin = await plugin_or_404(request)
    if isinstance(plugin, Response):
        return plugin
    root = root_of(request)
    try:  # Run now's load option, checked before anything else
        period = load_option(plugin, form) if form is not None else None
    except settings.SettingsError as exc:
        flash(request, str(exc), "error")
        return back_to(plugin.name)
    schedule = await run_in_threadpool(schedules.schedule_for_source, root, plugin.name)
    if schedule is None:
        flash(request, "This source has no schedule yet: save one first.", "error")
        return back_to(plugin.name)
    if action == "run":
        status = await run_in_threadpool(sources.status, root, plugin)
        if status.setup != sources.CONNECTED:
            flash(request, f"Run now needs a Connected source: {status.setup_note}", "error")
            return back_to(plugin.name)
        try:
            await run_in_threadpool(run_now, root, schedule.name, period)
        except AlreadyRunning as exc:
            flash(request, str(exc), "error")
            return back_to(plugin.name)
        audit.record(root, user.name, audit.RUN_STARTED, plugin.name, _describe_period(period))
        flash(request, f"{plugin.label}: run started.")
        return RedirectResponse("/", status_code=303)
    paused = action == "pause"
    await run_in_threadpool(schedules.set_paused, root, schedule.name, paused)
    audit.record(root, user.name, audit.PAUSED if paused else audit.RESUMED, plugin.name)
    flash(request, f"{plugin.label}: {'paused' if paused else 'resumed'}.")
    return back_to(plugin.name)


async def disconnect_form(request: Request, user: auth.User) -> Response:
    plugin = await plugin_or_404(request)
    if isinstance(plugin, Response):
        return plugin
    status = await run_in_threadpool(sources.status, root_of(request), plugin)
    return render(request, "disconnect.html", s=status)


async def disconnect(request: Request, user: auth.User, form: FormData) -> Response:
    plugin = await plugin_or_404(request)
    if isinstance(plugin, Response):
        return plugin
    if form.get("confirm") != plugin.name:
        flash(request, f"Type {plugin.name} to confirm.", "error")
        return RedirectResponse(f"/sources/{quote(plugin.name)}/disconnect", status_code=303)
    root = root_of(request)

    def work() -> None:
        schedule = schedules.schedule_for_source(root, plugin.name)
        if schedule is not None and not schedule.paused:
            schedules.set_paused(root, schedule.name, True)
        settings.forget(root, plugin.name)
        connection.forget_result(root, plugin.name)

    await run_in_threadpool(work)
    audit.record(root, user.name, audit.DISCONNECTED, plugin.name)
    flash(request, f"{plugin.label} is disconnected. Its loaded data stays in the warehouse.")
    return RedirectResponse("/", status_code=303)


async def run_log(request: Request, user: auth.User) -> Response:
    """One run's log, as the browser shows it (secrets blanked, no server paths)."""
    plugin = await plugin_or_404(request)
    if isinstance(plugin, Response):
        return plugin
    root = root_of(request)
    schedule = await run_in_threadpool(schedules.schedule_for_source, root, plugin.name)
    text = None
    if schedule is not None:
        hidden = {
            str(f.value)
            for each in await run_in_threadpool(settings.extractors, root)
            for f in each.settings
            if f.secret and f.value
        }
        text = await run_in_threadpool(
            runs.log_text, root, schedule.name, request.path_params["run"], hidden
        )
    if text is None:
        return refuse(request, "There is no such run of this source.", 404)
    return render(request, "run_log.html", plugin=plugin, run=request.path_params["run"], text=text)


async def audit_page(request: Request, user: auth.User) -> Response:
    events = await run_in_threadpool(audit.events, root_of(request))
    return render(request, "audit.html", events=events)


# -- lookup ---------------------------------------------------------------------------------


async def lookup_page(request: Request, user: auth.User) -> Response:
    kind = request.query_params.get("kind", "product")
    term = request.query_params.get("q", "")
    answer, error = None, None
    if term:
        try:
            warehouse = Path(
                await run_in_threadpool(
                    settings.loader_setting, root_of(request), "target-duckdb", "filepath"
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


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/", page(source_list), methods=["GET"]),
    Route("/sources/add", page(catalog), methods=["GET"]),
    Route("/lookup", page(lookup_page), methods=["GET"]),
    Route("/sources/{name}", page(source_page), methods=["GET"]),
    Route("/sources/{name}/settings", change(save_and_test), methods=["POST"]),
    Route("/sources/{name}/streams", change(save_streams), methods=["POST"]),
    Route("/sources/{name}/schedule", change(save_schedule), methods=["POST"]),
    Route("/sources/{name}/run", change(run_source), methods=["POST"]),
    Route("/sources/{name}/pause", change(pause_source), methods=["POST"]),
    Route("/sources/{name}/resume", change(resume_source), methods=["POST"]),
    Route("/sources/{name}/runs/{run}", page(run_log), methods=["GET"]),
    Route("/audit", page(audit_page, admin=True), methods=["GET"]),
    Route("/sources/{name}/disconnect", page(disconnect_form, admin=True), methods=["GET"]),
    Route("/sources/{name}/disconnect", change(disconnect), methods=["POST"]),
    Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
]


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
