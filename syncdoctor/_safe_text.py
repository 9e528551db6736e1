"""What the commands print and the reports write is shown, never obeyed: no control character.

Facts come from customers: an error message pasted from an e-mail or posted to the web page may
hold ``ESC [2J`` (clear the screen), ``ESC ]0;...BEL`` (retitle the window) or worse. Printed
raw, the agent's terminal would act on them. Each C0 control but newline and tab, DEL, and each
C1 control (which some terminals read as ESC sequences too) is replaced by one visible
character: its Unicode control picture (ESC shows as ␛), or � for C1 (``console.SafeConsole``
does it before rich lays text out). A Markdown report is made safe the same way, for it is
read in terminals and pasted into tickets too.

So is each bidirectional override and isolate (U+202A to U+202E, U+2066 to U+2069): they do
not move the cursor, but they make a terminal show a line's characters in another order than
they are (``invoice 1234\u202e5678`` reads as ``invoice 12348765``), as in the "Trojan Source"
attacks on code review. Each shows as �.
"""

from __future__ import annotations

__all__ = ["shown_safely"]

_PICTURES = {
    **{code: 0x2400 + code for code in range(0x20) if chr(code) not in "\n\t"},
    0x7F: 0x2421,
    **{code: 0xFFFD for code in range(0x80, 0xA0)},
    **{code: 0xFFFD for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}


def shown_safely(text: str) -> str:
    """``text`` with every control character but newline and tab made visible."""
    return text.translate(_PICTURES)
