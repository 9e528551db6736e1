"""Jinja2 templates of the knowledge base: checked and compiled once, rendered per case.

Templates run in Jinja2's immutable sandbox with StrictUndefined, so a missing value is an error
rather than an empty string. Fact values reach templates as data only: they are never compiled.
On top of the sandbox's run-time guard, templates that reach for Python internals are refused
when the knowledge base loads, so an author hears of it from the loader, not from a customer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from syncdoctor.kb.template_checks import load_issues
from syncdoctor.kb.template_direct import DirectTemplate, Fallback, compile_direct
from syncdoctor.kb.template_failure import template_line
from syncdoctor.kb.template_filters import limit_filters
from syncdoctor.kb.template_limits import LimitedSandbox, render_budget
from syncdoctor.kb.template_markdown import escape_outputs
from syncdoctor.kb.template_own import OWN_FILTERS, direct_filters

TEMPLATE_NAMES = frozenset({"facts", "now", "record", "loop"})
"""The variables a template may use (`loop` exists inside a for loop)."""
_FORBIDDEN_CALLS = frozenset({"format", "format_map", "mro", "__subclasses__"})
_FORBIDDEN_FILTERS = frozenset({"attr", "format", "center", "indent", "wordwrap", "random"})
"""Filters that reach for attributes, that can build text of any size from a number, or (random)
that would give the same case a different text each time."""


MAX_REPEAT = 10_000
"""Longest text or list a template may build with ``*``."""


class _BoundedSandbox(LimitedSandbox):
    """The limited sandbox (template_limits), with ``*`` unable to build huge strings or lists."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("'**' is not allowed in templates")
        if operator == "%" and isinstance(left, str):
            raise SecurityError("'%' formatting is not allowed in templates")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | list | tuple)
                    and isinstance(count, int)
                    and _size(sequence) * max(count, 0) > MAX_REPEAT
                ):
                    raise SecurityError("a template may not build text this long")
        return super().call_binop(context, operator, left, right)


def _size(sequence: str | list[Any] | tuple[Any, ...]) -> int:
    """Characters in a text, or in the texts of a list (other items count one each)."""
    if isinstance(sequence, str):
        return len(sequence)
    return sum(len(item) if isinstance(item, str) else 1 for item in sequence)


def _make_environment() -> ImmutableSandboxedEnvironment:
    env = _BoundedSandbox(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    env.filters.update(OWN_FILTERS)
    env.filters = limit_filters(env.filters)
    return env


ENVIRONMENT = _make_environment()
_CONTEXT = ENVIRONMENT.context_class


DIRECT_FILTERS = direct_filters(ENVIRONMENT.filters)
"""The filters a template rendered without Jinja2 may use (template_direct)."""


@dataclass(frozen=True)
class TemplateIssue:
    """Something wrong with a template: a message and the template line it is on (1-based)."""

    message: str
    line: int
    name: str | None = None


_INDEXED = (
    nodes.Getattr, nodes.Filter, nodes.Const, nodes.Name, nodes.Getitem, nodes.Compare,
    nodes.Pow, nodes.Keyword, nodes.Call,
)
NodeIndex = dict[type, list[Any]]


def index_nodes(ast: nodes.Template) -> NodeIndex:
    """The nodes the checks read, by type, in one walk of the tree."""
    index: NodeIndex = {kind: [] for kind in _INDEXED}
    for node in ast.find_all(_INDEXED):
        index[type(node)].append(node)
    return index


def facts_named(ast: nodes.Template, index: NodeIndex | None = None) -> list[tuple[str, int]]:
    """Every ``facts["id"]``, ``facts.get("id", ...)`` and ``"id" in facts``, with its line."""
    index = index if index is not None else index_nodes(ast)
    found: list[tuple[str, int]] = []
    for node in index[nodes.Getitem]:
        name = _fact_item(node)
        if name is not None:
            found.append((name, node.lineno))
    for call in index[nodes.Call]:
        name, _ = _fact_get(call)
        if name is not None:
            found.append((name, call.lineno))
    for compare in index[nodes.Compare]:
        if (
            isinstance(compare.expr, nodes.Const)
            and isinstance(compare.expr.value, str)
            and compare.ops
            and compare.ops[0].op in ("in", "notin")
            and isinstance(compare.ops[0].expr, nodes.Name)
            and compare.ops[0].expr.name == "facts"
        ):
            found.append((compare.expr.value, compare.lineno))
    return found


def _fact_item(node: nodes.Getitem) -> str | None:
    """The fact id of ``facts["id"]``, else None."""
    if (
        isinstance(node.node, nodes.Name)
        and node.node.name == "facts"
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        return node.arg.value
    return None


def _fact_get(call: nodes.Call) -> tuple[str | None, bool]:
    """The fact id of ``facts.get("id", ...)`` (else None), and whether it gives a default."""
    target = call.node
    if (
        isinstance(target, nodes.Getattr)
        and target.attr == "get"
        and isinstance(target.node, nodes.Name)
        and target.node.name == "facts"
        and call.args
        and isinstance(call.args[0], nodes.Const)
        and isinstance(call.args[0].value, str)
    ):
        return call.args[0].value, len(call.args) > 1
    return None, False


GUARDING_FILTERS = frozenset({"default", "d"})
"""``facts["id"] | default("...")`` renders when the fact is unknown: a guard."""


def guarded_facts(ast: nodes.Template) -> set[str]:
    """Fact ids the template renders without.

    Tested with ``"id" in facts``, read with ``facts.get("id", default)`` or passed through
    ``| default(...)``.
    """
    guarded: set[str] = set()
    index = index_nodes(ast)
    for compare in index[nodes.Compare]:
        if (
            isinstance(compare.expr, nodes.Const)
            and isinstance(compare.expr.value, str)
            and compare.ops
            and compare.ops[0].op == "in"
            and isinstance(compare.ops[0].expr, nodes.Name)
            and compare.ops[0].expr.name == "facts"
        ):
            guarded.add(compare.expr.value)
    for call in index[nodes.Call]:
        name, has_default = _fact_get(call)
        if name is not None and has_default:
            guarded.add(name)
    for filter_node in index[nodes.Filter]:
        if filter_node.name in GUARDING_FILTERS and isinstance(filter_node.node, nodes.Getitem):
            name = _fact_item(filter_node.node)
            if name is not None:
                guarded.add(name)
    return guarded


def prepare(
    source: str, known_facts: Iterable[str], *, no_record: str | None = None,
    markdown: bool = False,
) -> tuple[list[TemplateIssue], Renderer | None]:
    """Check a template and, when it is sound, compile it: parsed once for both.

    ``no_record``: why ``record`` is always empty where this template renders (it is an issue
    to read it then), or None where a rule binds one. ``markdown``: the template is Markdown
    (a remediation, an escalation), so the values it writes are escaped.
    """
    if "{" not in source:
        return [], Renderer(source, None, markdown=markdown)  # plain text: nothing to render
    try:
        ast = ENVIRONMENT.parse(source)
    except TemplateSyntaxError as error:
        return [TemplateIssue(f"template syntax error: {error.message}", error.lineno or 1)], None
    index = index_nodes(ast)
    issues = _ast_issues(ast, index, known_facts, no_record)
    return issues, (None if issues else Renderer(source, ast, index, markdown=markdown))


def _ast_issues(
    ast: nodes.Template, index: NodeIndex, known_facts: Iterable[str], no_record: str | None
) -> list[TemplateIssue]:
    issues: list[TemplateIssue] = []
    for getattr_node in index[nodes.Getattr]:
        if getattr_node.attr.startswith("_") or getattr_node.attr in _FORBIDDEN_CALLS:
            issues.append(
                TemplateIssue(
                    f"template reaches for {getattr_node.attr!r}: not allowed in the sandbox",
                    getattr_node.lineno,
                )
            )
        elif (
            isinstance(getattr_node.node, nodes.Name)
            and getattr_node.node.name == "facts"
            and getattr_node.attr != "get"
        ):
            issues.append(
                TemplateIssue(
                    f"write facts[\"...\"] (or facts.get(\"...\", default)) rather than "
                    f"facts.{getattr_node.attr}",
                    getattr_node.lineno,
                    getattr_node.attr,
                )
            )
    for power in index[nodes.Pow]:
        issues.append(TemplateIssue("'**' is not allowed in templates", power.lineno))
    for keyword in index[nodes.Keyword]:
        value = keyword.value
        if (
            keyword.key == "attribute"
            and isinstance(value, nodes.Const)
            and isinstance(value.value, str)
            and (value.value.startswith("_") or value.value.split(".")[0] in _FORBIDDEN_CALLS)
        ):
            issues.append(
                TemplateIssue(f"attribute {value.value!r} is not allowed", keyword.lineno)
            )
    for filter_node in index[nodes.Filter]:
        if filter_node.name in _FORBIDDEN_FILTERS:
            issues.append(TemplateIssue(
                f"filter {filter_node.name!r} is not allowed in templates", filter_node.lineno))
        elif filter_node.name not in ENVIRONMENT.filters:
            issues.append(
                TemplateIssue(f"unknown filter {filter_node.name!r}", filter_node.lineno)
            )
    for const in index[nodes.Const]:
        if isinstance(const.value, str) and const.value.startswith("__"):
            issues.append(TemplateIssue(
                f"template reaches for {const.value!r}: not allowed", const.lineno))
    assigned = {n.name for n in index[nodes.Name] if n.ctx in ("store", "param")}
    for name_node in index[nodes.Name]:
        if (name_node.ctx == "load" and name_node.name == "record" and no_record is not None
                and "record" not in assigned):
            issues.append(TemplateIssue(f"'record' is always empty here: {no_record}",
                                        name_node.lineno, None))
        elif name_node.ctx == "load" and name_node.name not in TEMPLATE_NAMES | assigned:
            issues.append(
                TemplateIssue(
                    f"unknown variable {name_node.name!r}; templates see facts, now, record",
                    name_node.lineno,
                    name_node.name,
                )
            )
    known = set(known_facts)
    for fact, line in facts_named(ast, index):
        if fact not in known:
            issues.append(TemplateIssue(f"unknown fact {fact!r} in template", line, fact))
    refused = load_issues(index[nodes.Getitem], index[nodes.Keyword], index[nodes.Filter])
    issues.extend(TemplateIssue(message, line) for message, line in refused)
    return issues


class Renderer:
    """A checked template, turned into Python code the first time it renders.

    Checking happens when the knowledge base loads, so every error is reported then; generating
    and compiling the code (most of a template's cost) waits for the first render, because a
    diagnosis uses a handful of a large knowledge base's templates. A template without loops or
    assignments also renders without Jinja2's run time (template_direct), falling back to Jinja2
    for anything that path is not sure of.
    """

    __slots__ = ("_ast", "_direct", "_direct_ready", "_template", "_unparsed", "facts",
                 "markdown", "source")

    def __init__(
        self, source: str, ast: nodes.Template | None, index: NodeIndex | None = None, *,
        markdown: bool = False,
    ) -> None:
        self.source = source
        self.markdown = markdown
        """Its text is Markdown: every value it writes is escaped (kb.template_markdown)."""
        self._unparsed = False
        self._template: Template | None = None
        self._direct: DirectTemplate | None = None
        self._direct_ready = False
        self.facts: frozenset[str] = (
            frozenset() if ast is None else frozenset(f for f, _ in facts_named(ast, index))
        )
        self._ast = escape_outputs(ast) if markdown and ast is not None else ast

    @classmethod
    def checked(cls, source: str, facts: frozenset[str], *, markdown: bool = False) -> Renderer:
        """A template checked when the knowledge base was cached: parsed at its first render.

        The load-time checks run again then, on the parsed tree (a template that fails them
        does not render), so a cache file is never what decides that a template is safe.
        """
        renderer = cls(source, None, markdown=markdown)
        renderer.facts = facts
        renderer._unparsed = "{" in source
        return renderer

    def _parsed(self) -> nodes.Template | None:
        if self._unparsed:
            ast = ENVIRONMENT.parse(self.source)
            # The safety checks; whether 'record' is set here was decided when it loaded.
            issues = _ast_issues(ast, index_nodes(ast), self.facts, None)
            if issues:
                raise SecurityError(issues[0].message)
            self._ast, self._unparsed = escape_outputs(ast) if self.markdown else ast, False
        return self._ast

    def _compiled(self, ast: nodes.Template) -> Template:
        template = self._template
        if template is None:
            # Two threads may both compile once; either result is the same template.
            code = ENVIRONMENT.compile(ast)  # from the parsed tree: no second parse
            template = ENVIRONMENT.template_class.from_code(
                ENVIRONMENT, code, ENVIRONMENT.make_globals(None)
            )
            self._template = template
        return template

    def _direct_render(self, ast: nodes.Template) -> DirectTemplate | None:
        if not self._direct_ready:
            self._direct = compile_direct(ast, DIRECT_FILTERS)
            self._direct_ready = True  # after _direct: a thread that sees it sees _direct
        return self._direct

    def prepare(self) -> bool:
        """Parse and compile now, not at the first render; False if it fails its checks."""
        try:
            ast = self._parsed()
            if ast is not None:
                self._compiled(ast)
                self._direct_render(ast)
            return True
        except SecurityError:  # its first render reports it, as it would have
            return False

    def failed_line(self, error: BaseException) -> int | None:
        """The template's line that a failed render stopped on, when Jinja2's code ran."""
        return template_line(self._template, error)

    def render(self, context: Mapping[str, Any], *, direct: bool = True) -> str:
        """Render with the given variables; raises jinja2's UndefinedError on a missing one.

        ``direct=False`` renders through Jinja2 even when template_direct could (the tests
        compare the two).
        """
        ast = self._parsed()
        if ast is None:
            return self.source.strip()
        fast = self._direct if self._direct_ready else self._direct_render(ast)
        if fast is not None and direct:
            try:
                return fast(context)
            except Fallback:  # Jinja2 gives the text, or raises the error, it always did
                pass
        template = self._compiled(ast)
        # The context is built as Template.new_context(shared=True) builds it, without its
        # layers of calls: no merge of Jinja's globals into every context (most of a render's
        # cost here); the loader already refuses templates that name anything but our variables.
        # No globals either: a Context reads them only to export a module ({% import %}).
        frame = _CONTEXT(ENVIRONMENT, dict(context), template.name, template.blocks)
        with render_budget():  # steps, time and text are bounded per render (template_limits)
            return ENVIRONMENT.concat(template.root_render_func(frame)).strip()
