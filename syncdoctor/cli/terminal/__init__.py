"""The terminal interview: typed prompts, rich output, and the conversation loop.

Prompts are prompt_toolkit on a terminal and plain lines elsewhere; the loop drives a
:class:`syncdoctor.Interview`.
"""
