"""Tests of ui/charts/, one file per chart family."""


def trace(fig, name: str):
    """The one trace of `fig` named `name` (traces are found by name, never by position)."""
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"{len(found)} traces named {name!r}; names: {[t.name for t in fig.data]}"
    return found[0]
