"""``python -m ecosystem`` and the ``ecomap`` command: the garbage collector set for a short process first.

CPython collects the youngest generation every 700 new objects, a default made for long-running programs. A
command is a short process that makes hundreds of thousands of objects (the modules it imports, a place's rows)
and frees few of them, so each collection walked them again for nothing: 0.15-0.2 s of a la-scale scenario went
on about 560 collections, a third of them during the imports. Raised here, before ``ecosystem.cli`` imports
anything heavy, it takes 3 collections and 0.03 s. Reference cycles are still collected, and the dashboard's
server started by ``ecomap serve`` keeps the setting. Importing ``ecosystem.cli`` as a library leaves the
interpreter's own setting alone.
"""

from __future__ import annotations

import gc

#: the youngest generation's size before a garbage collection, in a command's process
GC_YOUNG = 50_000


def run() -> None:  # pragma: no cover
    """``ecomap`` (and ``python -m ecosystem``): :func:`ecosystem.cli.run` with the collector set first."""
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    from ecosystem.cli import run as command

    command()


if __name__ == "__main__":
    run()
