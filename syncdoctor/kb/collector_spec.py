"""The shape of a file under collectors/: where a pack's facts can be fetched over HTTP.

A *source* is an HTTP API (a hub, an application): its base URL, how to authenticate (a token
read from an environment variable or a file, never written in the file), deadlines, retries and
how many requests may run at once. A *collector* is one GET on a source: its path and query,
with ``{fact.id}`` placeholders filled from the case's known facts, and which JSON path of the
response becomes which fact.

The models check one file's shape; what a collector names across files (facts, sources) is
checked by :mod:`syncdoctor.kb.collector_checks`.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from syncdoctor.kb.condition import Identifier, Scalar, _Strict
from syncdoctor.kb.jsonpath import JsonPath, JsonPathError, parse_json_path

__all__ = [
    "PLACEHOLDER",
    "AuthSpec",
    "CollectorSpec",
    "CollectorsFile",
    "FactPick",
    "RetrySpec",
    "SourceSpec",
    "TimeoutSpec",
    "placeholders",
]

PLACEHOLDER: Final = re.compile(r"\{([^{}]*)\}")
"""``{org.group_id}`` in a path or a query value: the known fact's value goes there."""
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=100)]
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
                                              max_length=100)]


def _check_path(text: str) -> str:
    try:
        parse_json_path(text)
    except JsonPathError as error:
        raise ValueError(str(error)) from None
    return text


PathText = Annotated[str, AfterValidator(_check_path)]
"""A JSON path, checked when the file is read."""


def placeholders(text: str) -> list[str]:
    """The fact ids a template names, in order."""
    return [match.strip() for match in PLACEHOLDER.findall(text)]


class AuthSpec(_Strict):
    """How to authenticate: a token sent in a header, read at run time, never written here."""

    type: Literal["bearer", "header"] = Field(
        default="bearer",
        description="'bearer': 'Authorization: Bearer <token>'; 'header': the token alone in "
        "the header named by 'header' (e.g. X-Api-Key).",
    )
    header: HeaderName | None = Field(
        default=None, description="The header that carries the token, for type: header."
    )
    token_env: EnvName | None = Field(
        default=None, description="The environment variable that holds the token."
    )
    token_file: str | None = Field(
        default=None,
        description="A file that holds the token (its first line; ~ is your home folder).",
    )

    @model_validator(mode="after")
    def _one_place(self) -> AuthSpec:
        if (self.token_env is None) == (self.token_file is None):
            raise ValueError("auth reads the token from exactly one of token_env or token_file")
        if self.type == "header" and self.header is None:
            raise ValueError("auth type 'header' needs 'header' (the header's name)")
        if self.type == "bearer" and self.header is not None:
            raise ValueError("'header' is for auth type 'header'; bearer uses Authorization")
        return self


class TimeoutSpec(_Strict):
    """Deadlines of one request, in seconds."""

    connect: float = Field(default=3.0, gt=0, le=120, description="To open the connection.")
    read: float = Field(default=10.0, gt=0, le=600,
                        description="Longest wait for the next bytes of the response.")
    total: float = Field(
        default=20.0, gt=0, le=600,
        description="For the whole response, however slowly it trickles in.",
    )


class RetrySpec(_Strict):
    """Retries of a failed request: jittered exponential backoff, Retry-After honoured."""

    attempts: int = Field(default=3, ge=1, le=10, description="Tries in all, the first included.")
    wait_initial: float = Field(default=0.5, ge=0, le=60,
                                description="Backoff before the first retry, in seconds.")
    wait_max: float = Field(default=10.0, ge=0, le=600,
                            description="Longest backoff between two tries, in seconds.")
    retry_after_max: float = Field(
        default=30.0, ge=0, le=3600,
        description="Longest Retry-After (429, 503) waited for; a longer one gives up at once.",
    )
    timeout: float = Field(default=60.0, gt=0, le=3600,
                           description="Stop retrying once this many seconds have passed.")


class SourceSpec(_Strict):
    """An HTTP API that collectors read from."""

    base_url: str | None = Field(
        default=None,
        description="The API's base URL (https://...); base_url_env overrides it when set.",
    )
    base_url_env: EnvName | None = Field(
        default=None,
        description="An environment variable holding the base URL: the operator points the "
        "collectors at their own hub without editing the knowledge base.",
    )
    auth: AuthSpec | None = Field(default=None, description="How to authenticate, if at all.")
    headers: dict[HeaderName, str] = Field(
        default_factory=dict,
        description="Extra request headers (no credentials: those go in auth).",
    )
    timeout: TimeoutSpec = Field(default_factory=TimeoutSpec, description="Deadlines.")
    retry: RetrySpec = Field(default_factory=RetrySpec, description="Retries.")
    concurrency: int = Field(default=2, ge=1, le=32,
                             description="Most requests in flight to this source at once.")
    max_bytes: int = Field(default=1_000_000, ge=1, le=50_000_000,
                           description="Largest response body read, in bytes.")

    @model_validator(mode="after")
    def _somewhere(self) -> SourceSpec:
        if self.base_url is None and self.base_url_env is None:
            raise ValueError("a source needs base_url or base_url_env")
        if self.base_url is not None and not re.match(r"^https?://[^/?#]+", self.base_url):
            raise ValueError("base_url must be an absolute http:// or https:// URL")
        return self


class FactPick(_Strict):
    """Which value of the response becomes a fact, and how its words map to the fact's."""

    path: PathText = Field(description="A JSON path into the response, e.g. '$.sync.status'.")
    map: dict[str, Scalar] = Field(
        default_factory=dict,
        description="The API's words -> the fact's values (e.g. ERROR: failed); a value not "
        "listed is taken as it is.",
    )

    @property
    def json_path(self) -> JsonPath:
        """The parsed path."""
        return parse_json_path(self.path)


Pick = Annotated[
    Annotated[FactPick, Tag("pick")] | Annotated[PathText, Tag("path")],
    Discriminator(lambda value: "path" if isinstance(value, str) else "pick"),
]
"""A bare JSON path, or a path with a map: the error names the one written, not both."""


class CollectorSpec(_Strict):
    """One GET on a source, and the facts its JSON response gives."""

    id: Identifier = Field(description="Collector id, e.g. 'impac.hub-sync-status'.")
    source: Identifier = Field(description="The source (under 'sources') it reads from.")
    path: str = Field(
        max_length=2000,
        description="The request path after the base URL, with {fact.id} placeholders, e.g. "
        "'/api/v2/{org.group_id}/sync'.",
    )
    query: dict[str, str] = Field(
        default_factory=dict,
        description="Query parameters; values may hold {fact.id} placeholders.",
    )
    facts: dict[Identifier, Pick] = Field(
        description="Fact id -> the JSON path of its value (or a path with a 'map')."
    )
    help: str | None = Field(default=None, description="What the endpoint answers.")

    @field_validator("path")
    @classmethod
    def _relative(cls, text: str) -> str:
        if not text.startswith("/") or "//" in text or "?" in text or "#" in text:
            raise ValueError("path starts with '/' and holds no '//', '?' or '#' "
                             "(query parameters go in 'query')")
        return text

    @field_validator("facts")
    @classmethod
    def _some(cls, facts: dict[str, FactPick | str]) -> dict[str, FactPick | str]:
        if not facts:
            raise ValueError("a collector gives at least one fact")
        return facts

    def picks(self) -> dict[str, FactPick]:
        """Every fact with its pick, a bare path read as a pick without a map."""
        return {
            fact: pick if isinstance(pick, FactPick) else FactPick(path=pick)
            for fact, pick in self.facts.items()
        }

    def parameters(self) -> list[str]:
        """The facts its path and query read, in first-use order."""
        found = placeholders(self.path)
        for value in self.query.values():
            found.extend(placeholders(value))
        return list(dict.fromkeys(found))


class CollectorsFile(_Strict):
    """A file under collectors/: one pack's HTTP sources and the collectors reading them."""

    pack: Identifier = Field(description="The pack these collectors feed.")
    sources: dict[Identifier, SourceSpec] = Field(
        default_factory=dict, description="The HTTP APIs, by name."
    )
    collectors: tuple[CollectorSpec, ...] = Field(
        default=(), description="The requests, each giving some facts."
    )
