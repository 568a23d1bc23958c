"""Values worked out once per request and kept until it ends: who the viewer may read and
change is asked by the selectors, the filters' choices, the tables and the templates of one page,
a dozen times or more (the organisation dashboard built a filterset per figure, each asking
again). Outside a request (a management command, the task worker, a test calling a selector)
nothing is kept: every call computes afresh.

Anything that changes what a kept value says (a membership, an account) calls ``forget()``."""

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from asgiref.local import Local

T = TypeVar("T")
_local = Local()


def request_started(**kwargs: Any) -> None:
    _local.values = {}


def request_finished(**kwargs: Any) -> None:
    _local.values = None


def memo(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per request for ``key``."""
    values = getattr(_local, "values", None)
    if values is None:
        return compute()
    if key not in values:
        values[key] = compute()
    return values[key]


def forget(**kwargs: Any) -> None:
    """Drop every value kept for this request (connected to the saves that change them)."""
    values = getattr(_local, "values", None)
    if values:
        values.clear()
