"""
Persistence of the emulator's state: a JSON snapshot plus an append-only journal of changes.

A change appends one JSON line to ``<file>.journal`` (the records it wrote, whole), so a write costs the same at
any size. When the journal outgrows the snapshot (and at :meth:`StateFile.compact`, e.g. on stop), the state is
written to a temporary file, flushed to disk and renamed over the snapshot, then the journal starts afresh: the
cost of a compaction is spread over as many writes as the state is large.

Crash safety: the snapshot is only ever replaced by an atomic rename, so it is never torn. The journal's first line
names the snapshot generation it follows; a journal older than the snapshot (a crash between rename and
truncation) is ignored, and a torn last line (a crash during an append) is dropped at load. Replaying whole
records is idempotent. A killed process loses nothing; a power loss may lose the last appends (they are not
fsynced one by one), never the loadability of the files.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

#: The journal is compacted into the snapshot once it is larger than the snapshot and at least this many bytes.
MIN_COMPACTION_BYTES = 1024 * 1024
_GENERATION = "generation"
_OP_PUT = "put"
_OP_DELETE = "delete"
_OP_SET = "set"


class StateFile:
    """
    A snapshot file and its journal.

    :param path: the snapshot (JSON); the journal is ``path`` + ``.journal``.
    :param min_compaction_bytes: journal size below which no compaction happens.
    """

    def __init__(self, path: str | os.PathLike[str], min_compaction_bytes: int = MIN_COMPACTION_BYTES) -> None:
        self.path = Path(path)
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self.min_compaction_bytes = min_compaction_bytes
        self._journal: IO[str] | None = None
        self._journal_bytes = 0
        self._snapshot_bytes = 0
        self._generation = 0

    # --- loading ----------------------------------------------------------------------------------------------

    def load(self) -> dict[str, Any] | None:
        """Return the state of the snapshot with the journal replayed on top, or ``None`` when there is none."""
        if not self.path.exists():
            return None
        with self.path.open(encoding="utf-8") as handle:
            state: dict[str, Any] = json.load(handle)
        self._snapshot_bytes = self.path.stat().st_size
        self._generation = int(state.pop(_GENERATION, 0))
        replayed = self._replay(state)
        log.info("Loaded emulator state from %s (%d journal entries replayed)", self.path, replayed)
        return state

    def _replay(self, state: dict[str, Any]) -> int:
        if not self.journal_path.exists():
            return 0
        with self.journal_path.open(encoding="utf-8") as handle:
            lines = handle.read().split("\n")
        # The last element is "" after a complete final line; anything else there is a torn append.
        entries: list[dict[str, Any]] = []
        for line in lines[:-1]:
            try:
                entries.append(json.loads(line))
            except ValueError:
                log.warning("Ignoring a damaged line in %s", self.journal_path)
        if not entries or entries[0].get(_GENERATION) != self._generation:
            return 0
        for entry in entries[1:]:
            apply_entry(state, entry)
        return len(entries) - 1

    # --- writing ----------------------------------------------------------------------------------------------

    def append(self, entries: list[dict[str, Any]], state: dict[str, Any]) -> None:
        """
        Journal some changes (already applied to ``state``), compacting when the journal has grown too big.

        :param entries: from :func:`put`, :func:`delete`, :func:`set_key`.
        :param state: the whole state after the changes.
        """
        if not entries:
            return
        if self._journal is None:
            self._open_journal()
        assert self._journal is not None
        text = "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in entries)
        self._journal.write(text)
        self._journal.flush()
        self._journal_bytes += len(text)
        if self._journal_bytes > max(self.min_compaction_bytes, self._snapshot_bytes):
            self.compact(state)

    def compact(self, state: dict[str, Any], *, remove_journal: bool = False) -> None:
        """
        Write the whole state as the new snapshot (atomic rename) and start an empty journal.

        :param state: the whole state.
        :param remove_journal: delete the journal file instead of starting a new one (on stop).
        """
        self._close_journal()
        self._generation += 1
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump({**state, _GENERATION: self._generation}, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        self._snapshot_bytes = self.path.stat().st_size
        if remove_journal:
            self.journal_path.unlink(missing_ok=True)
        else:
            self._open_journal()

    def close(self, state: dict[str, Any]) -> None:
        """Compact into the snapshot and remove the journal (a stopped emulator leaves one file)."""
        self.compact(state, remove_journal=True)

    def _open_journal(self) -> None:
        self._journal = self.journal_path.open("w", encoding="utf-8")
        header = json.dumps({_GENERATION: self._generation}) + "\n"
        self._journal.write(header)
        self._journal.flush()
        self._journal_bytes = len(header)

    def _close_journal(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None


def put(collection: str, key: str, record: Any) -> dict[str, Any]:
    """Return the journal entry "``state[collection][key] = record``"."""
    return {"op": _OP_PUT, "c": collection, "k": key, "v": record}


def delete(collection: str, key: str) -> dict[str, Any]:
    """Return the journal entry "delete ``state[collection][key]``"."""
    return {"op": _OP_DELETE, "c": collection, "k": key}


def set_key(key: str, value: Any) -> dict[str, Any]:
    """Return the journal entry "``state[key] = value``"."""
    return {"op": _OP_SET, "k": key, "v": value}


def apply_entry(state: dict[str, Any], entry: dict[str, Any]) -> None:
    """
    Apply one journal entry to a state (idempotent).

    :param state: the state to change.
    :param entry: the entry.
    """
    op = entry.get("op")
    if op == _OP_PUT:
        state.setdefault(entry["c"], {})[entry["k"]] = entry["v"]
    elif op == _OP_DELETE:
        state.get(entry["c"], {}).pop(entry["k"], None)
    elif op == _OP_SET:
        state[entry["k"]] = entry["v"]
