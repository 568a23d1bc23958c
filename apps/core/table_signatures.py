"""django-tables2 asks a column's ``render`` (and each ``render_FOO``, ``linkify`` and ``attrs``
callable) for its signature each time it draws a cell (``django_tables2.utils.signature``,
through ``call_with_appropriate``), to pass only the arguments it takes: ``inspect.signature``
for every cell of every row. A list's page of 50 rows spent about a fifth of its time there
(`make bench SCALE=national`: the deliverables list as staff about 215 -> 175 ms, computed).

A function's parameters are those of its code, so the answer is remembered per code object
(for a bound method, without its ``self``), a set as fixed as the program's source: a lambda
made anew per request shares its code with the last one. Any other callable (a partial, an
object with ``__call__``) is asked each time, as before."""

import types
from typing import Any

from django_tables2 import utils

_asked = utils.signature
_remembered: dict[tuple[types.CodeType, bool], Any] = {}


def signature(fn):
    """``django_tables2.utils.signature(fn)``, remembered per code object."""
    if isinstance(fn, types.MethodType) and isinstance(fn.__func__, types.FunctionType):
        key = (fn.__func__.__code__, True)
    elif isinstance(fn, types.FunctionType):
        key = (fn.__code__, False)
    else:
        return _asked(fn)
    try:
        return _remembered[key]
    except KeyError:
        answer = _remembered[key] = _asked(fn)
        return answer


def install() -> None:
    """Called once, from the core app's ``ready()``. ``call_with_appropriate`` looks
    ``signature`` up in its module at each call, so replacing it there is enough."""
    utils.signature = signature
