"""``syncdoctor kb new-pack``: a small, complete pack to start from.

The scaffold is a working pack, not a template with holes: it loads, lints clean and its tests
pass with full coverage, so an author changes one thing at a time and sees what breaks.
"""

from __future__ import annotations

import re
from pathlib import Path

from syncdoctor.authoring.schema import shipped_schema_dir
from syncdoctor.errors import KnowledgeBaseError, SyncdoctorError
from syncdoctor.kb.loader import bundled_kb_dir, kb_files
from syncdoctor.kb.spec import ID_PATTERN
from syncdoctor.kb.yamlfile import load_yaml_file

_FACTS = """\
# yaml-language-server: $schema={schemas}/facts.schema.json
pack: {name}
facts:
  sync.status:
    type: enum
    values: [success, failed]
    ask: What does the integration show as the status of the last synchronisation?
    help: The integration's status page, last run.
  error.message:
    type: text
    ask: What error message does the failed synchronisation show? Paste it whole.
    help: The error or notification text, exactly as shown.
  error.kind:
    type: enum
    values: [timeout, other]
    ask: What kind of error is it?
    help: Read the error message; syncdoctor classifies it when you paste it.
extractors:
  - id: {name}.timeout
    from: error.message
    pattern: 'time[sd]?[ -]?out'
    set: {{error.kind: timeout}}
"""

_RULES = """\
# yaml-language-server: $schema={schemas}/rules.schema.json
pack: {name}
rules:
  - id: {name}.sync-failed
    step: status
    cause: sync_failed
    when: {{fact: sync.status, eq: failed}}
    because: A failed run stops the synchronisation there; what came after it is not in the hub.
    otherwise: {{because: The last synchronisation did not fail.}}  # {name}.sync-failed.otherwise
  - id: {name}.timeout
    step: error
    cause: timeout
    certainty: 0.9
    when: [{{fact: sync.status, eq: failed}}, {{fact: error.kind, eq: timeout}}]
    because: A time-out means the integration gave up waiting, not that the data was refused.
"""

_TESTS = """\
# yaml-language-server: $schema={schemas}/tests.schema.json
pack: {name}
defaults:
  now: 2024-05-01T12:00:00Z        # the clock of every case that states none
cases:
  - name: a failed synchronisation
    facts: {{sync.status: failed}}
    expect:
      causes: [sync_failed]
      absent: [timeout]
      fired: [{name}.sync-failed]
      questions: [error.kind]
  - name: a time-out, read from the error message
    facts:
      sync.status: failed
      error.message: 'Request timed out after 30 s'
    expect:
      causes: [sync_failed, timeout]
      fired: [{name}.timeout]
      remediation_contains: {{timeout: [Request timed out after 30 s]}}
  - name: a successful synchronisation rules the failure out
    facts: {{sync.status: success}}
    expect:
      ruled_out: [sync_failed]
      absent: [sync_failed, timeout]
      fired: [{name}.sync-failed.otherwise]
      silent: [{name}.sync-failed, {name}.timeout]
"""

_PLAYBOOK = """\
# yaml-language-server: $schema={schemas}/playbook.schema.json
id: {name}
title: {title}
version: 0.1.0
min_engine: 0.1.0
systems: []
source: null
steps:
  - id: status
    title: Check the status of the last synchronisation
  - id: error
    title: Read the error message
causes:
  sync_failed:
    title: The last synchronisation failed
    step: status
    remediation: |
      1. Open the integration's status page and find the failed run.
      2. Copy its error message{{% if "error.message" in facts %}}: {{{{ facts["error.message"] | code }}}}{{% endif %}}.
  timeout:
    title: The synchronisation timed out
    step: error
    remediation: |
      1. Run the synchronisation again outside busy hours.
      2. If it times out again, escalate with the error message{{% if "error.message" in facts %}} ({{{{ facts["error.message"] }}}}){{% endif %}}.
    escalation:
      contact: The integration's support
      send:
        - The error message and the time of the failed run
"""


_EXAMPLE_FIRED = """\
title: A failed synchronisation that timed out
pack: {name}
now: 2024-05-01T12:00:00Z
facts:
  sync.status: failed
  error.message: 'Request timed out after 30 s'
expect:
  causes: [sync_failed, timeout]
  remediation_contains: {{timeout: [Request timed out after 30 s]}}
"""

_EXAMPLE_SILENT = """\
title: The last synchronisation succeeded - nothing to fix
pack: {name}
now: 2024-05-01T12:00:00Z
facts:
  sync.status: success
expect:
  absent: [sync_failed, timeout]
  ruled_out: [sync_failed]
"""


def scaffold(name: str, into: Path, title: str | None = None) -> list[Path]:
    """Write a new pack's files under ``into``; refuses to overwrite anything.

    The files' ``$schema`` lines name ``../schema/<kind>.schema.json``, as the bundled files do,
    and the schemas syncdoctor ships are copied to ``into/schema/`` where they are missing: the
    KB checks in an editor on any machine it is checked out on (an absolute path into one
    install would not). ``syncdoctor kb schema --out into/schema`` refreshes them.

    Raises:
        SyncdoctorError: a bad name, an id the bundled KB or ``into`` already has, or files
            that already exist.
    """
    if not re.fullmatch(ID_PATTERN, name) or len(name) > 40:
        raise SyncdoctorError(
            f"invalid pack name {name!r}: use lower case letters, digits and underscores, "
            "starting with a letter"
        )
    # A layer's pack with an id already in use is laid over that pack piece by piece (its
    # playbook replaces the other's), never beside it: not what a new pack means.
    for where, folder in (("the bundled knowledge base", bundled_kb_dir()), (str(into), into)):
        taken = _pack_ids(folder).get(name)
        if taken is not None:
            raise SyncdoctorError(
                f"pack id {name!r} is taken: {where} already has a pack {name!r} ({taken}); a "
                "new pack with that id would override it piece by piece. Choose another id."
            )
    files = {
        into / "facts" / f"{name}.yaml": _FACTS,
        into / "rules" / f"{name}.yaml": _RULES,
        into / "rules" / f"{name}.test.yaml": _TESTS,
        into / "playbooks" / f"{name}.yaml": _PLAYBOOK,
        into / "examples" / name / "timeout.yaml": _EXAMPLE_FIRED,
        into / "examples" / name / "synced.yaml": _EXAMPLE_SILENT,
    }
    existing = [str(path) for path in files if path.exists()]
    if existing:
        raise SyncdoctorError(f"not overwriting existing files: {', '.join(existing)}")
    shown_title = (title or f"Data fails to sync ({name})").replace("\n", " ")
    written = []
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(name=name, title=_yaml_text(shown_title), schemas="../schema"),
                        encoding="utf-8")
        written.append(path)
    for shipped in sorted(shipped_schema_dir().glob("*.schema.json")):
        copy = into / "schema" / shipped.name
        if not copy.exists():  # another pack's scaffold, or kb schema, wrote it already
            copy.parent.mkdir(exist_ok=True)
            copy.write_bytes(shipped.read_bytes())
            written.append(copy)
    return written


def _pack_ids(folder: Path) -> dict[str, str]:
    """The pack ids a KB folder's files declare (``pack:``, a playbook's ``id:``) -> a file.

    A file that does not read is skipped: lint reports it; here only the ids matter.
    """
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for path, display in kb_files([folder]):
        try:
            data = load_yaml_file(path, display).data
        except KnowledgeBaseError:
            continue
        key = "id" if path.parent.name == "playbooks" else "pack"
        pack = data.get(key) if isinstance(data, dict) else None
        if isinstance(pack, str):
            found.setdefault(pack, path.relative_to(folder).as_posix())
    return found


def _yaml_text(text: str) -> str:
    """A YAML scalar that reads back as exactly ``text``."""
    return "'" + text.replace("'", "''") + "'"
