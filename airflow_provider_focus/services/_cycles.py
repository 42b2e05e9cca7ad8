"""Why records whose parent chain never reaches an appliable record fail: parent cycles, found in linear time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: A message names at most this many keys of a cycle; a longer cycle is cut, with its length.
MAX_NAMED = 10


def cycle_messages(stuck: Iterable[str], parent_of: Mapping[str, str]) -> dict[str, str]:
    """
    Return, for each stuck record, why it fails: it is in a parent cycle, or an ancestor is.

    Each key is visited once and each message names at most :data:`MAX_NAMED` keys, so the time (and the report's
    size) grows linearly with the number of records, however long the cycle or the chain leading to it.

    :param stuck: the keys of the records still waiting for a parent when the input ended.
    :param parent_of: the parent key of every record still waiting (every stuck key has one).
    """
    cycle_of: dict[str, tuple[list[str], int]] = {}  # key in a cycle -> (the cycle, the key's place in it)
    entry_of: dict[str, str] = {}  # key (in a cycle or leading to one) -> the first key of a cycle on its way up
    for start in stuck:
        path: list[str] = []
        on_path: dict[str, int] = {}
        current: str | None = start
        while current is not None and current not in entry_of and current not in on_path:
            on_path[current] = len(path)
            path.append(current)
            current = parent_of.get(current)
        if current is not None and current in on_path:  # a new cycle closes on the path
            cycle = path[on_path[current] :]
            for place, key in enumerate(cycle):
                cycle_of[key] = (cycle, place)
                entry_of[key] = key
            path = path[: on_path[current]]
        if current is None:  # a chain that ends without a cycle: only reachable with a broken parent_of
            for key in path:
                entry_of.setdefault(key, "")
            continue
        entry = entry_of[current]
        for key in reversed(path):
            entry_of[key] = entry
    messages: dict[str, str] = {}
    for key in stuck:
        entry = entry_of.get(key, "")
        if not entry:
            messages[key] = "its parent chain does not end"
        elif key in cycle_of:
            messages[key] = "its parents form a cycle: " + _named(*cycle_of[key])
        else:
            messages[key] = "an ancestor is in a parent cycle: " + _named(*cycle_of[entry])
    return messages


def _named(cycle: list[str], place: int) -> str:
    """Name a cycle from ``cycle[place]`` round to it again (``A -> B -> A``); a long one is cut, with its length."""
    size = len(cycle)
    if size <= MAX_NAMED:
        return " -> ".join([*cycle[place:], *cycle[:place], cycle[place]])
    shown = [cycle[(place + step) % size] for step in range(MAX_NAMED)]
    return " -> ".join(shown) + f" -> ... ({size} records in the cycle)"
