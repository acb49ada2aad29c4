"""A Datasette plugin: a rejected or failed query is one log line, not Datasette's
default Rich traceback with every local (about 110 lines each). The answer is
Datasette's own: the same status, and the same JSON or HTML error page."""

from __future__ import annotations

import logging
import re

from datasette import Response, hookimpl
from datasette.plugins import pm
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from markupsafe import Markup

log = logging.getLogger("bf.datasette")
PLUGIN_NAME = "bf-quiet-errors"


def one_line(message: str) -> str:
    """Datasette's error text without its markup: `<p>SQL query took too long…<textarea…>` -> its first sentence."""
    text = re.sub(r"<(script|textarea)\b.*?</\1>", " ", str(message), flags=re.DOTALL | re.IGNORECASE)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(text.split())


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    async def inner():
        title, info, message = None, {}, str(exception)
        if isinstance(exception, Base400):
            status, message = exception.status, exception.args[0]
        elif isinstance(exception, DatasetteError):
            status, info, message, title = exception.status, exception.error_dict, exception.message, exception.title
            if exception.message_is_html:
                message = Markup(message)
        else:
            status = 500
        sql = request.args.get("sql")
        log.info("%s: %s%s", request.path, one_line(message), f"  [{sql}]" if sql else "")
        info.update({"ok": False, "error": message, "status": status, "title": title})
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        page = await template.render_async(dict(info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(),
                                                menu_links=lambda: []))
        return Response.html(page, status=status)

    return inner


def install() -> None:
    """Register once per process (Datasette's plugin manager is global)."""
    import sys

    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(sys.modules[__name__], name=PLUGIN_NAME)
