"""Words on pages: how a person is named, and descriptions without the transcribers' remarks
about the source documents. ``{% load words %}``."""

import re

from django import template

register = template.Library()


@register.filter
def person(user, default="—"):
    """A user's full name, else their username; ``default`` when there is no user."""
    if user is None:
        return default
    return user.get_full_name() or user.get_username()


# A remark about the source documents, as the transcribers wrote them into descriptions ("The
# documents do not state ...", "(... not in the source text)"): for administrators, not readers.
_SOURCE_REMARK = re.compile(r"\b(?:the|these) documents\b|\bsource text\b|\bin the source\b", re.IGNORECASE)
_BRACKETS = re.compile(r"\s*\([^()]*\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@register.filter
def for_readers(text):
    """``text`` without the transcribers' remarks about the source documents: a bracket, a clause
    (between semicolons) or a sentence that speaks of "the documents" or "the source" is left
    out, the rest kept as written, line breaks included. Admin pages show the full text in their
    "About the source" section."""
    if not text:
        return text
    text = _BRACKETS.sub(lambda m: "" if _SOURCE_REMARK.search(m.group()) else m.group(), text)
    lines = []
    for line in text.split("\n"):
        kept = []
        for sentence in _SENTENCE_END.split(line):
            clauses = sentence.split("; ")
            keep = [clause for clause in clauses if not _SOURCE_REMARK.search(clause)]
            if len(keep) == len(clauses):
                kept.append(sentence)
            elif keep:
                kept.append("; ".join(keep).rstrip(" .;,") + ".")
        lines.append(" ".join(kept))
    return "\n".join(lines).strip()
