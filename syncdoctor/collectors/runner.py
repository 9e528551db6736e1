"""``Collectors``: runs a pack's collectors, one HTTP client and one concurrency limit per source.

Keep one for as long as the process serves diagnoses (the service does): its per-source limit
then holds across every request in flight, and connections are reused. Close it (or use it as a
context manager) to close its clients.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote, urlencode

import httpx

from syncdoctor.collectors.fetch import Fetched, fetch_json
from syncdoctor.collectors.secrets import CollectError, Redactor, auth_headers, base_url
from syncdoctor.diagnosis.result import CollectedFact, CollectionFailure
from syncdoctor.errors import FactError
from syncdoctor.kb.collector_spec import PLACEHOLDER, CollectorSpec, SourceSpec
from syncdoctor.kb.jsonpath import MissingField
from syncdoctor.kb.pack import PackSource
from syncdoctor.kb.recordvalues import type_records
from syncdoctor.kb.values import iso_moment, jsonable, redact_secrets, type_value
from syncdoctor.types import FactValue, JsonValue

__all__ = ["Collectors", "Plan", "Round"]

MAX_PARAMETER: Final = 500
"""Longest fact value put into a URL, in characters."""
MAX_WORKERS: Final = 8


@dataclass(frozen=True)
class Plan:
    """Which collectors to run now, and which wait for a fact their URL needs."""

    due: tuple[tuple[CollectorSpec, dict[str, str]], ...]
    """Each collector with its placeholders' values, as text."""
    blocked: tuple[tuple[CollectorSpec, tuple[str, ...]], ...]
    """Each collector with the unknown facts its URL needs."""


@dataclass
class Round:
    """What one round of collectors gave: values, their provenance, and the failures."""

    values: dict[str, JsonValue] = field(default_factory=dict)
    collected: dict[str, CollectedFact] = field(default_factory=dict)
    failures: dict[str, CollectionFailure] = field(default_factory=dict)
    """By collector id."""


def _as_text(value: JsonValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _segment(text: str) -> str:
    quoted = quote(text, safe="")
    # '.' and '..' alone would be read as dot segments: the request would leave its path.
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _fill(template: str, values: Mapping[str, str], encode: bool) -> str:
    return PLACEHOLDER.sub(
        lambda m: _segment(values[m.group(1).strip()]) if encode else values[m.group(1).strip()],
        template,
    )


class Collectors:
    """The collectors' runner: clients, concurrency limits and the redactor of one process."""

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Build a runner.

        Args:
            env: where tokens and base URLs are read (default: the process environment, read
                when a request is about to go out).
            transport: an httpx transport for every client (tests, proxies).
        """
        self._env = env if env is not None else os.environ
        self._transport = transport
        self.redactor = Redactor()
        self._clients: dict[tuple[str, str, str], httpx.Client] = {}
        self._limits: dict[tuple[str, str, str], threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> Collectors:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every client; the runner cannot collect afterwards."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            self._closed = True
        for client in clients:
            client.close()

    def _client(self, pack: str, name: str, source: SourceSpec) -> tuple[
        httpx.Client, threading.BoundedSemaphore
    ]:
        key = (pack, name, source.model_dump_json())
        with self._lock:
            if self._closed:
                raise CollectError("the collectors were closed")
            client = self._clients.get(key)
            if client is None:
                timeout = source.timeout
                client = httpx.Client(
                    timeout=httpx.Timeout(connect=timeout.connect, read=timeout.read,
                                          write=timeout.read, pool=timeout.total),
                    limits=httpx.Limits(max_connections=source.concurrency),
                    follow_redirects=False,  # fetch.py follows same-host redirects itself
                    transport=self._transport,
                    trust_env=False,  # no proxy or .netrc credentials picked up behind our back
                )
                self._clients[key] = client
                self._limits[key] = threading.BoundedSemaphore(source.concurrency)
            return client, self._limits[key]

    def plan(
        self, pack: PackSource, wanted: Collection[str], known: Mapping[str, JsonValue],
        tried: Collection[str],
    ) -> Plan:
        """The collectors that give a wanted fact and were not tried yet (lazy: no others)."""
        due: list[tuple[CollectorSpec, dict[str, str]]] = []
        blocked: list[tuple[CollectorSpec, tuple[str, ...]]] = []
        for collector in pack.collectors:
            if collector.id in tried or not set(collector.facts) & set(wanted):
                continue
            needs = collector.parameters()
            missing = tuple(fact for fact in needs if known.get(fact) is None)
            if missing:
                blocked.append((collector, missing))
            else:
                due.append((collector, {fact: _as_text(known[fact]) for fact in needs}))
        return Plan(tuple(due), tuple(blocked))

    def run(self, pack: PackSource, plan: Plan) -> Round:
        """Run the plan's due collectors (in parallel, each source within its limit)."""
        result = Round()
        if not plan.due:
            return result
        workers = min(MAX_WORKERS, len(plan.due))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collector") as pool:
            outcomes = list(pool.map(lambda item: self._one(pack, *item), plan.due))
        for (collector, _), outcome in zip(plan.due, outcomes, strict=True):
            if isinstance(outcome, CollectionFailure):
                result.failures[collector.id] = outcome
                continue
            fetched, values, missing = outcome
            for fact, value in values.items():
                result.values[fact] = value
                shown = redact_secrets({fact: value}, pack.facts)[fact]
                result.collected[fact] = CollectedFact(
                    value=shown, collector=collector.id, source=f"GET {fetched.url}",
                    at=iso_moment(fetched.at),
                )
            if missing:
                result.failures[collector.id] = CollectionFailure(
                    collector=collector.id, facts=sorted(missing),
                    reason="; ".join(missing[f] for f in sorted(missing)),
                )
        return result

    def _one(
        self, pack: PackSource, collector: CollectorSpec, parameters: dict[str, str]
    ) -> CollectionFailure | tuple[Fetched, dict[str, JsonValue], dict[str, str]]:
        try:
            return self._fetch(pack, collector, parameters)
        except CollectError as error:
            return CollectionFailure(collector=collector.id, facts=sorted(collector.facts),
                                     reason=self.redactor.text(error.reason))

    def _fetch(
        self, pack: PackSource, collector: CollectorSpec, parameters: dict[str, str]
    ) -> tuple[Fetched, dict[str, JsonValue], dict[str, str]]:
        source = pack.sources[collector.source]
        for fact, text in parameters.items():
            if len(text) > MAX_PARAMETER:
                raise CollectError(f"{fact} is too long to go into a URL")
        url = base_url(source, self._env) + _fill(collector.path, parameters, encode=True)
        if collector.query:
            url += "?" + urlencode({k: _fill(v, parameters, encode=False)
                                    for k, v in collector.query.items()})
        headers = auth_headers(source, self._env, self.redactor)
        client, limit = self._client(pack.id, collector.source, source)
        with limit:
            fetched = fetch_json(client, url, headers, source, self.redactor, collector.id)
        values: dict[str, JsonValue] = {}
        missing: dict[str, str] = {}
        for fact, pick in collector.picks().items():
            try:
                raw = pick.json_path.find(fetched.document)
            except MissingField as error:
                missing[fact] = f"{fact}: missing field ({error})"
                continue
            if raw is None:
                missing[fact] = f"{fact}: the response gives null at {pick.path}"
                continue
            if isinstance(raw, str | int) and not isinstance(raw, bool):
                word = str(raw)
                mapped = pick.map.get(word)
                if mapped is None:
                    mapped = next((v for k, v in pick.map.items() if k.casefold() ==
                                   word.casefold()), None)
                if mapped is not None:
                    raw = mapped
            spec = pack.facts[fact]
            try:
                typed: FactValue = (type_records(fact, spec, raw) if spec.type == "records"
                                    else type_value(fact, spec, raw))
            except FactError as error:
                missing[fact] = self.redactor.text(f"{fact}: {error} (at {pick.path})")
                continue
            values[fact] = jsonable(typed)
        return fetched, values, missing
