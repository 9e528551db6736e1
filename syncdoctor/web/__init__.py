"""The web page for support agents: the guided interview in a browser, at ``/`` of the service.

Server-rendered (Jinja2, autoescaped) with plain forms; the vendored htmx (``static/``) only fills
in explanations in place. It works with JavaScript off. See docs/agents.md.
"""

from syncdoctor.web.paths import is_browser_path
from syncdoctor.web.routes import Runner, web_router
from syncdoctor.web.security import KeyRing

__all__ = ["KeyRing", "Runner", "is_browser_path", "web_router"]
