"""The health check and new page loads answer 503 while storage is faulty (:mod:`core.faults`).

An ASGI middleware in front of Streamlit's routes (``st.App(middleware=...)`` in app.py). While
this process knows of a storage fault and a fresh probe confirms it:

- ``/_stcore/health`` answers 503 with the fault's name, so serve.sh, systemd and monitors see it;
- a browser's page load (``Accept: text/html``) answers 503 with a small retry page in the
  browser's language. nginx retries such a 503 on another replica (``proxy_next_upstream http_503``)
  and leaves this one out for ``fail_timeout``: new participants go elsewhere. Without another
  replica the participant reads the retry page.

Participants already connected keep their websocket; their page shows the retry page from the app
(:mod:`core.ui.faults`). Nothing is intercepted while there is no fault (one attribute read).
"""

from __future__ import annotations

import html
import logging

from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from core import config, db, faults
from core.i18n import choose_language, translate

RETRY_AFTER_S = 30
_NOT_PAGES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/_ht/")


def _is_health(path: str) -> bool:
    return path.endswith("/_stcore/health")


def _is_page_load(scope: Scope) -> bool:
    """A browser asking for the app's HTML (not a script, style, clip or websocket)."""
    accept = dict(scope.get("headers") or []).get(b"accept", b"")
    return b"text/html" in accept and not any(part in scope["path"] for part in _NOT_PAGES)


def retry_page(accept_language: str | None) -> str:
    """The retry page as a whole HTML document in the language the browser prefers (English or German)."""
    language = choose_language(None, accept_language=accept_language, browser_locale=None)
    title, body, button = (html.escape(translate(m, language)) for m in faults.RETRY_MESSAGES)
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>'
        '<body style="font-family: sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">'
        f'<h1 style="font-size: 1.5rem">{title}</h1><p>{body}</p>'
        f'<p><a href="" onclick="location.reload(); return false">{button}</a></p></body></html>'
    )


class FaultGate:
    """ASGI middleware: 503 for the health check and page loads while a storage fault lasts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and faults.current() is not None and scope["method"] in ("GET", "HEAD"):
            health, page = _is_health(scope["path"]), _is_page_load(scope)
            if health or page:
                fault = await run_in_threadpool(faults.check, db.get_engine(), config.data_dir())
                if fault is not None:
                    headers = {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"}
                    response: Response
                    if health:
                        response = PlainTextResponse(f"unhealthy: {fault}", 503, headers)
                    else:
                        language = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
                        response = HTMLResponse(retry_page(language or None), 503, headers)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class _FaultTracebacks(logging.Filter):
    """Drops Streamlit's traceback of a storage fault: :func:`core.faults.record` logs it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return error is None or faults.classify(error) is None


def log_faults_in_one_line() -> None:
    """Keep the server log to one line per fault instead of a traceback for every page that met it."""
    logging.getLogger("streamlit.error_util").addFilter(_FaultTracebacks())
