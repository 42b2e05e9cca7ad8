"""
The keys an upsert has read, kept compactly: a run of a million records holds tens of bytes a key, not a hundred.

A Python ``dict`` of the keys costs about 110 bytes a key (the string object, its hash slot and entry); this table
keeps each key's UTF-8 bytes in one buffer and finds them through an open-addressing table of entry numbers, about
30 bytes a key plus the key's own length. A key's hash only chooses where to look: every match is confirmed against
the stored bytes, so two keys whose hashes collide are two entries, never a repeated key.

Each entry also holds the position of the key's first record and its outcome (pending, failed, would be created in a
dry run, or the focus area id), so that a child read later finds its parent's id without a second structure.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

#: The outcome of a key not settled yet.
PENDING = 0
#: The key's record failed.
FAILED = 1
#: A dry run would create the key's focus area (it has no id).
WOULD_CREATE = 2
#: The key's focus area has an id (see :meth:`KeyTable.id_of`).
HAS_ID = 3

_FIRST_SLOTS = 1024


class KeyTable:
    """
    The keys read so far, each with its first record's position and its outcome.

    :param digest: the hash that chooses a key's slot (``hash``; a test passes a poor one to force collisions).
    """

    def __init__(self, digest: Callable[[str], int] = hash) -> None:
        self._digest = digest
        self._blob = bytearray()  # every key's bytes, one after the other
        # entry -> where its bytes end in _blob (they start where the previous entry's end); 4 bytes a number until
        # one does not fit, then 8 (see _append)
        self._ends = array("I")
        # entry -> the low 32 bits of its key's digest: they choose its slot (in a table of up to 2**32 slots) and are
        # compared before the bytes
        self._checks = array("I")
        self._positions = array("I")  # entry -> the position of its first record
        #: entry -> PENDING, FAILED, WOULD_CREATE or HAS_ID: :meth:`state` and :meth:`settle` without a call, for a
        #: caller's hot path (the same bytearray for the table's life; set an id only through :meth:`settle`)
        self.states = bytearray()
        self._id_blob = bytearray()  # the ids of entries that have one, one after the other
        self._id_spans = array("Q")  # entry -> (start, end) of its id in _id_blob, made when a first id comes
        self._slots = array("i", bytes(_FIRST_SLOTS * 4))  # entry + 1, 0 for a free slot
        self._mask = _FIRST_SLOTS - 1

    def __len__(self) -> int:
        return len(self._positions)

    def _probe(self, check: int, data: bytes) -> tuple[int, int]:
        """Return ``(entry, slot)``: the key's entry (-1 when absent) and the slot it is in (or would go to)."""
        slots, checks, ends, blob, mask = self._slots, self._checks, self._ends, self._blob, self._mask
        slot = check & mask
        while True:
            found = slots[slot]
            if not found:
                return -1, slot
            entry = found - 1
            if checks[entry] == check:
                start = ends[entry - 1] if entry else 0
                if blob[start : ends[entry]] == data:
                    return entry, slot
            slot = (slot + 1) & mask

    def add(self, key: str, position: int) -> int:
        """
        Add a key read at ``position``; return its new entry, or ``-1 - entry`` of the key's first record.

        :param key: the key.
        :param position: the record's position in the input.
        """
        check = self._digest(key) & 0xFFFFFFFF
        data = key.encode("utf-8", "surrogatepass")
        slots, mask = self._slots, self._mask
        slot = check & mask
        while found := slots[slot]:  # _probe, inlined: once a record
            if self._checks[found - 1] == check:
                entry = found - 1
                if self._blob[self._ends[entry - 1] if entry else 0 : self._ends[entry]] == data:
                    return -1 - entry
            slot = (slot + 1) & mask
        entry = len(self._positions)
        self._blob += data
        try:
            self._ends.append(len(self._blob))
            self._positions.append(position)
        except OverflowError:  # past 4 GiB of keys or 4 billion records: 8 bytes a number from now on
            self._ends, self._positions = array("Q", self._ends), array("Q", self._positions)
            del self._ends[entry:], self._positions[entry:]
            self._ends.append(len(self._blob))
            self._positions.append(position)
        self._checks.append(check)
        self.states.append(PENDING)
        if self._id_spans:
            self._id_spans.extend((0, 0))
        self._slots[slot] = entry + 1
        if (entry + 1) * 2 > self._mask:  # keep at least half the slots free: probes stay short
            self._grow()
        return entry

    def find(self, key: str) -> int:
        """Return the entry of a key read before, or -1."""
        return self._probe(self._digest(key) & 0xFFFFFFFF, key.encode("utf-8", "surrogatepass"))[0]

    def _grow(self) -> None:
        size = (self._mask + 1) * 2
        slots = array("i", bytes(size * 4))
        mask = size - 1
        for entry, check in enumerate(self._checks):
            slot = check & mask
            while slots[slot]:
                slot = (slot + 1) & mask
            slots[slot] = entry + 1
        self._slots, self._mask = slots, mask

    def key(self, entry: int) -> str:
        """Return an entry's key."""
        start = self._ends[entry - 1] if entry else 0
        return self._blob[start : self._ends[entry]].decode("utf-8", "surrogatepass")

    def position(self, entry: int) -> int:
        """Return the position of an entry's first record."""
        return self._positions[entry]

    def state(self, entry: int) -> int:
        """Return an entry's outcome: :data:`PENDING`, :data:`FAILED`, :data:`WOULD_CREATE` or :data:`HAS_ID`."""
        return self.states[entry]

    def settle(self, entry: int, state: int, focus_area_id: str | None = None) -> None:
        """
        Record an entry's outcome.

        :param entry: the entry.
        :param state: :data:`FAILED`, :data:`WOULD_CREATE` or :data:`HAS_ID`.
        :param focus_area_id: its focus area's id, with :data:`HAS_ID`.
        """
        self.states[entry] = state
        if state == HAS_ID:
            assert focus_area_id is not None
            if not self._id_spans:  # the first id: a dry run that only creates never gets here
                self._id_spans = array("Q", bytes(16 * len(self._positions)))
            start = len(self._id_blob)
            self._id_blob += focus_area_id.encode("utf-8", "surrogatepass")
            self._id_spans[2 * entry] = start
            self._id_spans[2 * entry + 1] = len(self._id_blob)

    def id_of(self, entry: int) -> str:
        """Return the id of an entry whose state is :data:`HAS_ID`."""
        spans = self._id_spans
        return self._id_blob[spans[2 * entry] : spans[2 * entry + 1]].decode("utf-8", "surrogatepass")
