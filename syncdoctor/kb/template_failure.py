"""A template that failed on a case, said in the author's terms rather than Jinja2's or Python's.

A render failure is a warning of the diagnosis and a failed case in ``kb test``: the author
reads it, so "'dict object' has no attribute 'fb.connection'" becomes which fact was missing
and how to guard it.
"""

from __future__ import annotations

import re
from collections.abc import Container

from jinja2 import Template, TemplateError, UndefinedError

__all__ = ["render_failure", "template_line"]

_MISSING_KEY = re.compile(r"^'[^']*' has no attribute '(?P<name>[^']*)'$")
_MISSING_NAME = re.compile(r"^'(?P<name>[^']*)' is undefined$")


def render_failure(error: Exception, facts: Container[str]) -> str:
    """What went wrong, for a warning; ``facts``: the pack's fact ids."""
    message = str(error)
    if isinstance(error, UndefinedError):
        key = _MISSING_KEY.match(message)
        if key is not None and key["name"] in facts:
            name = key["name"]
            return (f"fact {name!r} is not known in this case; test it first: "
                    f'{{% if "{name}" in facts %}}…{{% endif %}}')
        if key is not None:
            return (f"{key['name']!r} is not given in this case (a record field or a key the "
                    "value lacks); test it first with `in`")
        name_match = _MISSING_NAME.match(message)
        if name_match is not None:
            return (f"variable {name_match['name']!r} has no value here (set it on every path "
                    "before it is used)")
        return message
    if isinstance(error, TemplateError):
        return message
    if isinstance(error, TypeError | ValueError | ArithmeticError):
        return f"an expression cannot be computed: {message}"
    return f"{type(error).__name__}: {message}"


def template_line(template: Template | None, error: BaseException) -> int | None:
    """The line of ``template`` a failed render stopped on, when Jinja2's code ran.

    Read from the traceback: Jinja2 maps each line of the code it generated to its line.
    """
    code_line, trace = None, error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            code_line = trace.tb_lineno  # the innermost frame of the template's code
        trace = trace.tb_next
    if template is None or code_line is None:
        return None
    return template.get_corresponding_lineno(code_line)
