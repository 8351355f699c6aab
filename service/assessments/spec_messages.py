"""The field spec's texts as gettext messages: a Babel extractor, so models/ needs no Flask.

models/spec/fields.py keeps the English questions, labels, actions, units and
area titles; they are the msgids. ``pybabel extract`` (babel.cfg, ``make
messages``) calls :func:`extract` for that file, which reads the spec itself
rather than parsing its source, so every text the form shows is in the
template, and the template test (tests/service/assessments/test_translations.py)
fails when a spec text changes and the catalogs were not updated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any


def msgid(text: str) -> str:
    """The msgid of a spec text: "%" doubled, so "98% of" is not read as a "% o" placeholder.

    gettext tools check that a translation keeps the placeholders of its
    msgid; a literal percent sign must therefore be written "%%" in both.
    """
    return text.replace("%", "%%")


def spec_texts() -> list[str]:
    """The msgid of every text of the spec a page shows, in spec order, each once."""
    from models.spec.fields import FIELDS, GROUP_TITLES
    from models.underwriting.assessment import CONCENTRATION_FIX

    texts: list[str] = list(GROUP_TITLES.values())
    for f in FIELDS:
        texts += [f.label, f.question, f.action, f.unit]
    texts.append(CONCENTRATION_FIX.action)  # the one fix the assessment adds to the spec's
    return [msgid(t) for t in dict.fromkeys(texts) if t]


def extract(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extraction method: (line, function, message, comments) per spec text."""
    for text in spec_texts():
        yield 1, None, text, ["field spec (models/spec/fields.py)"]
