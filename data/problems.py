"""Problems and refusals: one shape for every reason an input or a change is refused.

A `Problem` names the rule that was broken (`code`), where (`row`: the spreadsheet line, header =
line 1; `column`), the values its message needs (`values`) and what it is about (`area`: "wave",
"user", "departments", "relationships", "responses", "roster", "export"). Storage and the services
raise `Refused(problems)` when they refuse a change, or return problems when they check a file.
Nothing here words a problem: that is texts.py (English for cli.py, English or Chinese
for the pages through ui/problems.py), from the texts in ui/locales/.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One reason something was refused. `row` None: the whole file (or no file at all)."""

    code: str
    row: int | None = None
    column: str | None = None
    values: Mapping[str, object] = field(default_factory=dict)
    area: str = ""


class Refused(ValueError):
    """A refused change or input: `problems` says every reason (at least one)."""

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        if not self.problems:
            raise ValueError("Refused needs at least one problem")
        first = self.problems[0]
        super().__init__("; ".join(f"{p.code}: {dict(p.values)}" if p.values else p.code for p in self.problems))
        # the first problem's code and values: what a refusal with a single reason is checked by
        self.code = first.code
        self.values = dict(first.values)


def refusal(area: str, code: str, **values: object) -> Refused:
    """A refusal with one reason that is about no row of a file (e.g. a wave or an account change)."""
    return Refused(Problem(code, values=values, area=area))
