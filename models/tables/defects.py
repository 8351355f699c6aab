"""The validation report: every defect of a bordereau, grouped and counted.

A :class:`Defect` names file, row (and CSV line), column, value and the rule
broken. The report keeps the first few defects of each (file, column, rule)
group for display, but counts every one exactly, so a broken 1,000,000-row
file stays readable and its counts stay true.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def printable(text: str) -> str:
    """``text`` with control characters (terminal escapes from a file, say) shown escaped.

    An error message quotes what a file held; printed raw, an ESC byte in a
    CSV cell would drive the reader's terminal. Newlines and tabs stay.
    """
    return "".join(
        c if c.isprintable() or c in "\n\t" else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


@dataclass(frozen=True)
class Defect:
    """One broken rule: where (file, 1-based data row, column), the value, the rule.

    ``row`` is the 1-based data row (the header is not a row) and ``line`` the
    file line when it is known (CSV: row + 1); both are None for a defect of the
    whole file or column (missing file, missing column). ``kind`` is a stable
    machine-readable name of the rule, e.g. ``out_of_range``.
    """

    file: str
    row: int | None
    column: str | None
    value: str
    rule: str
    kind: str = ""
    line: int | None = None

    def format(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}" + (f" (line {self.line})" if self.line else ""))
        if self.column:
            where.append(f"column {self.column}")
        value = f", value {self.value!r}" if self.row is not None else ""
        # The rule may quote the file (a parser's message): no raw control bytes.
        return printable(f"{', '.join(where)}{value}: {self.rule}")


@dataclass
class DefectGroup:
    """All defects of one (file, column, rule): the exact count and the first few."""

    file: str
    column: str | None
    rule: str
    kind: str
    count: int
    examples: list[Defect]


@dataclass
class ValidationReport:
    """Everything found in a pair of bordereaux; memory stays bounded by design.

    Each (file, column, rule) keeps its exact ``count`` but only its first
    ``max_examples`` defects in full, so a million broken rows stay readable.
    """

    max_examples: int = 10
    groups: list[DefectGroup] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: str = ""

    def add_group(
        self,
        file: str,
        column: str | None,
        rule: str,
        kind: str,
        count: int,
        examples: list[Defect],
    ) -> None:
        for group in self.groups:
            if (group.file, group.column, group.rule) == (file, column, rule):
                group.count += count
                room = self.max_examples - len(group.examples)
                group.examples += examples[: max(room, 0)]
                return
        self.groups.append(
            DefectGroup(file, column, rule, kind, count, examples[: self.max_examples])
        )

    def add(self, defect: Defect) -> None:
        """Add one defect (e.g. of a whole file or column)."""
        self.add_group(defect.file, defect.column, defect.rule, defect.kind, 1, [defect])

    @property
    def defects(self) -> list[Defect]:
        """The defects kept in full (up to ``max_examples`` per file, column and rule)."""
        return [d for g in self.groups for d in g.examples]

    @property
    def defect_count(self) -> int:
        """The exact number of defects, including those not kept in full."""
        return sum(g.count for g in self.groups)

    @property
    def ok(self) -> bool:
        return not self.groups

    def count_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for g in self.groups:
            counts[g.kind] = counts.get(g.kind, 0) + g.count
        return counts

    def format(self) -> str:
        """Warnings, each kept defect on its own line, then a closing line."""
        lines = [f"warning: {w}" for w in self.warnings]
        for g in self.groups:
            lines += [d.format() for d in g.examples]
            if g.count > len(g.examples):
                where = f"{g.file}, column {g.column}" if g.column else g.file
                lines.append(f"{where}: {g.count - len(g.examples):,} more rows: {g.rule}")
        if self.ok:
            lines.append(self.summary or "valid")
        else:
            per_file: dict[str, int] = {}
            for g in self.groups:
                per_file[g.file] = per_file.get(g.file, 0) + g.count
            files = ", ".join(f"{name}: {n:,}" for name, n in per_file.items())
            plural = "" if self.defect_count == 1 else "s"
            lines.append(f"invalid: {self.defect_count:,} defect{plural} ({files})")
        return "\n".join(lines)
