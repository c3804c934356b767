"""The website widget: the embeddable chat for parents, its config endpoint and a demo host page.

Embedding (one script tag; every data attribute is optional):

    <script src="https://ASSISTANT/widget/widget.js" defer
            data-server="https://ASSISTANT"                 where the relay is (default: where the script came from)
            data-exit-url="https://www.bbc.co.uk/weather"   the neutral site "Exit this page" replaces the page with
            data-primary-colour="#1d4f91"                   buttons and header (needs 4.5:1 against white)
            data-exit-colour="#b10e1e"                      the exit button (needs 4.5:1 against white)
            data-title="Parent support assistant"
            data-open="true"></script>                      open the chat as soon as the page loads

A site on another origin must be listed in WIDGET_ALLOWED_ORIGINS, and its own CSP must allow the
assistant's origin in script-src, style-src and connect-src.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.config import Settings
from bot.content.models import fill
from bot.content.store import ContentStore, ContentUnavailable
from bot.web.widget.cors import setup_cors
from bot.web.widget.helpnow import help_now
from bot.web.widget.notes_config import NOTES_FEATURES, notes_config

ASSETS = Path(__file__).resolve().parent.parent / "static"
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(default=True),
)
DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather"


def _asset(name: str, content_type: str):  # type: ignore[no-untyped-def]
    path = ASSETS / name

    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, headers={"Content-Type": content_type})

    return handler


def setup_widget(app: web.Application, settings: Settings, store: ContentStore | None = None) -> None:
    """Add the widget's routes to `app`: /widget/widget.js, /widget/widget.css, /widget/config.json and "/"."""
    content = store or ContentStore(settings.content_dir)

    async def config(request: web.Request) -> web.Response:
        """What the widget keeps in memory for when the assistant cannot be reached."""
        help_text = help_now(content)
        try:
            live = content.get()
        except ContentUnavailable:  # the widget keeps its own words, and 999
            notes, words = None, None
        else:
            notes = notes_config(live.notes, request.config_dict.get(NOTES_FEATURES, {}), live.web["widget_notes"])
            words = live.web["widget"]
        return web.json_response(
            {
                "help_now": {"text": help_text.text, "calls": [asdict(call) for call in help_text.calls]},
                "max_message_chars": settings.max_message_chars,
                "words": words,
                "notes": notes,
            }
        )

    async def demo_page(request: web.Request) -> web.Response:
        try:
            live = content.get()
        except ContentUnavailable:  # no words yet: the widget still opens, with its own words and 999
            demo, about = {}, ""
        else:
            demo = live.web["demo"]
            about = fill(demo["about"], launch=live.web["widget"]["launch"])
        page = TEMPLATES.get_template("demo.html").render(
            w=demo,
            about=about,
            help_now=help_now(content).text,
            origin=f"{request.scheme}://{request.host}",
            exit_url=DEFAULT_EXIT_URL,
        )
        return web.Response(text=page, content_type="text/html")

    setup_cors(app, settings.widget_allowed_origins)
    app.router.add_get("/", demo_page)
    app.router.add_get("/widget/widget.js", _asset("widget.js", "text/javascript; charset=utf-8"))
    app.router.add_get("/widget/widget.css", _asset("widget.css", "text/css; charset=utf-8"))
    app.router.add_get("/widget/config.json", config)
