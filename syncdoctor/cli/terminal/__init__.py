"""The terminal interview: typed prompts (prompt_toolkit, or plain lines off a terminal), rich
output, and the conversation loop over :class:`syncdoctor.Interview`."""
