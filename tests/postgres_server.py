"""A throwaway PostgreSQL server for the tests: one cluster per test session (a pytest plugin).

Fixtures (loaded for the whole suite by tests/conftest.py):

- ``postgres_server`` (session): the running cluster, started on first use, stopped and removed
  at the end. ``.url(database="syncdoctor")`` gives a password URL over TCP.
- ``postgres_url`` (each test): a URL whose tables land in a fresh, empty schema of their own
  (``?options=-csearch_path%3D...``), dropped after the test. Hand it to PostgresStore,
  ``open_store`` or ``--store`` of a worker process.

How it starts: the binaries are found under /usr/lib/postgresql/*/bin (the newest; or the
directory in ``SYNCDOCTOR_PG_BIN``), ``make test`` having installed Debian's ``postgresql``
package where it could. ``initdb`` makes a cluster in a temporary directory (as the
``postgres`` system user when we are root: PostgreSQL refuses to run as root), with a random
superuser password, and ``postgres`` serves it on a free port of 127.0.0.1 and a unix socket in
that directory only. fsync is off: the tests kill clients, never the server.

Where the server cannot run, every test that needs it is skipped with the reason, and the reason
is printed again at the end of the run in a banner that cannot be missed. With
``SYNCDOCTOR_REQUIRE_POSTGRES=1`` (set by .ci/run) those tests fail instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

if TYPE_CHECKING:
    import psycopg

REQUIRE = "SYNCDOCTOR_REQUIRE_POSTGRES"
START_TIMEOUT = 60.0
_skipped: dict[str, int] = {}  # reason -> tests skipped for it, for the closing banner
_started: list[PostgresServer] = []  # for the closing line: which server, how fast it started


@dataclass
class PostgresServer:
    """A running throwaway cluster."""

    port: int
    password: str
    directory: Path
    version: str
    started_in: float  # seconds, initdb included
    process: subprocess.Popen[bytes] = field(repr=False)
    _admin: psycopg.Connection[tuple[object, ...]] | None = field(default=None, repr=False)

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """One superuser connection (autocommit) to the ``syncdoctor`` database, kept open."""
        import psycopg

        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(self.url(), autocommit=True)
        return self._admin

    def url(self, database: str = "syncdoctor") -> str:
        """``postgresql://postgres:PASSWORD@127.0.0.1:PORT/database``."""
        return f"postgresql://postgres:{quote(self.password, safe='')}@127.0.0.1:{self.port}/{database}"


def find_binaries() -> Path | None:
    """The directory holding initdb and postgres, or None."""
    chosen = os.environ.get("SYNCDOCTOR_PG_BIN")
    candidates = [chosen] if chosen else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(Path(path).parent.name)
        if Path(path).parent.name.isdigit() else 0, reverse=True,
    )
    which = shutil.which("initdb")
    if which and not chosen:
        candidates.append(str(Path(which).resolve().parent))
    for candidate in candidates:
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "postgres").is_file():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server() -> PostgresServer:
    """Make and start a cluster; raises RuntimeError with a reason a person can act on."""
    began = time.monotonic()
    binaries = find_binaries()
    if binaries is None:
        raise RuntimeError(
            "no PostgreSQL server binaries (initdb, postgres) under /usr/lib/postgresql/*/bin: "
            "`make test` installs Debian's postgresql package when run as root, or run "
            "`apt-get install postgresql`, or set SYNCDOCTOR_PG_BIN"
        )
    run_as: dict = {}
    owner = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(
                "running as root and there is no 'postgres' system user to run the server as"
            ) from None
        run_as = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    directory = Path(tempfile.mkdtemp(prefix="syncdoctor-pg-"))
    try:
        if owner is not None:
            os.chown(directory, owner.pw_uid, owner.pw_gid)
        password = secrets.token_urlsafe(18)
        password_file = directory / "password"
        password_file.write_text(password + "\n")
        if owner is not None:
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        initdb = subprocess.run(
            [str(binaries / "initdb"), "-D", str(directory / "data"), "--username=postgres",
             f"--pwfile={password_file}", "--auth-local=trust", "--auth-host=scram-sha-256",
             "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            cwd=directory, capture_output=True, text=True, timeout=START_TIMEOUT, check=False,
            **run_as,
        )
        password_file.unlink()
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed: {(initdb.stderr or initdb.stdout).strip()[-500:]}")
        version = subprocess.run(
            [str(binaries / "postgres"), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        for _attempt in range(3):  # the free port may be taken between probe and bind
            port = free_port()
            process, log = _serve(binaries, directory, port, run_as)
            if _wait_ready(process, directory, port, password):
                return PostgresServer(port, password, directory, version,
                                      time.monotonic() - began, process)
            _stop(process)
            if "could not bind" not in log.read_text(errors="replace"):
                break
        raise RuntimeError(f"postgres did not start: {log.read_text(errors='replace')[-800:]}")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _serve(
    binaries: Path, directory: Path, port: int, run_as: dict
) -> tuple[subprocess.Popen[bytes], Path]:
    log = directory / f"server-{port}.log"
    with open(log, "wb") as out:
        if run_as:
            os.chown(log, run_as["user"], run_as["group"])
        process = subprocess.Popen(
            [str(binaries / "postgres"), "-D", str(directory / "data"), "-p", str(port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={directory}",
             "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=100",
             "-c", "log_min_messages=warning"],
            cwd=directory, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            **run_as,
        )
    return process, log


def _wait_ready(process: subprocess.Popen[bytes], directory: Path, port: int, password: str) -> bool:
    import psycopg  # here: a machine without psycopg still gets a clear skip from start_server

    deadline = time.monotonic() + START_TIMEOUT
    url = f"postgresql://postgres:{quote(password, safe='')}@127.0.0.1:{port}/postgres"
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with psycopg.connect(url, connect_timeout=2, autocommit=True) as admin:
                admin.execute("CREATE DATABASE syncdoctor")
            return True
        except psycopg.OperationalError:
            time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # "fast" shutdown: ends the sessions, then exits
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"PostgreSQL is required here ({REQUIRE}=1) but: {reason}", pytrace=False)
    _skipped[reason] = _skipped.get(reason, 0) + 1
    pytest.skip(f"PostgreSQL test server unavailable: {reason}")


@pytest.fixture(scope="session")
def _postgres_start() -> Iterator[PostgresServer | str]:
    """The server, or the reason it could not start (each test then skips or fails with it)."""
    try:
        import psycopg  # noqa: F401  (the store needs it; so do these fixtures)
    except ImportError:
        yield "psycopg is not installed (pip install -e '.[service]')"
        return
    try:
        server = start_server()
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        yield str(error)
        return
    _started.append(server)
    try:
        yield server
    finally:
        if server._admin is not None:
            server._admin.close()
        _stop(server.process)
        shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture
def postgres_server(_postgres_start: PostgresServer | str) -> PostgresServer:
    """The running cluster; the test skips (or fails under SYNCDOCTOR_REQUIRE_POSTGRES=1) without it."""
    if isinstance(_postgres_start, str):
        _unavailable(_postgres_start)
    assert isinstance(_postgres_start, PostgresServer)
    return _postgres_start


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A store URL whose tables go in a new, empty schema (dropped after the test)."""
    schema = f"t_{secrets.token_hex(6)}"
    postgres_server.admin().execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{postgres_server.url()}?options=-csearch_path%3D{schema}"
    finally:
        postgres_server.admin().execute(f"DROP SCHEMA {schema} CASCADE")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly, at the very end, which PostgreSQL tests did not run and why."""
    server_line = _started_line()
    if server_line:
        terminalreporter.write_line(server_line)
    for reason, count in _skipped.items():
        terminalreporter.write_sep("!", "PostgreSQL tests SKIPPED", yellow=True, bold=True)
        terminalreporter.write_line(
            f"{count} test(s) against a real PostgreSQL server did not run: {reason}", yellow=True
        )
        terminalreporter.write_line(f"(set {REQUIRE}=1 to make this a failure, as CI does)")


def _started_line() -> str:
    return "".join(
        f"PostgreSQL test server: {server.version}, started in {server.started_in:.1f} s "
        f"(initdb included) on 127.0.0.1:{server.port}"
        for server in _started[:1]
    )
