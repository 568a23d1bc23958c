"""Text search of the lists: PostgreSQL's full-text search over a GIN index, word prefixes.

A search is each word the user typed, matched as the beginning of a word in any of the model's
SEARCH_FIELDS ("engage" finds "engagement"; "gov board" finds rows with both). The index and
the filter are built from the same ``search_vector(fields)`` expression, so PostgreSQL uses the
index (`make bench SCALE=national`: a scan of five text columns of every row before). The
"simple" configuration lowercases and keeps every word, stop words included, and does not
stem, so what a user types is what is matched."""

import re

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector

CONFIG = "simple"
_WORD = re.compile(r"\w+")


def search_vector(fields):
    return SearchVector(*fields, config=CONFIG)


def search_index(fields, name):
    return GinIndex(search_vector(fields), name=name)


def search_query(text):
    """The words of ``text`` as a prefix query, or None if it has no words."""
    words = _WORD.findall(text.lower())
    if not words:
        return None
    return SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config=CONFIG)


def search_filter(queryset, fields, text):
    """``queryset`` narrowed to the rows matching ``text`` (none if it has no words)."""
    query = search_query(text)
    if query is None:
        return queryset.none()
    return queryset.annotate(search_match=search_vector(fields)).filter(search_match=query)
