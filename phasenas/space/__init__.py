"""The architecture language: parse, validate, build, and the search spaces.

>>> from phasenas.space import get_space
>>> space = get_space("macro")
>>> space.validate("22212220").valid
True
"""

from phasenas.space import detection, macro, zen  # noqa: F401  (registers the spaces)
from phasenas.space.arch import Arch, Block
from phasenas.space.base import Space, UnknownSpace, get_space, list_spaces, register_space
from phasenas.space.errors import ArchError, Issue
from phasenas.space.parse import parse
from phasenas.space.validate import Budget, Metrics, Task, ValidationReport, validate

__all__ = ["Arch", "ArchError", "Block", "Budget", "Issue", "Metrics", "Space", "Task", "UnknownSpace",
           "ValidationReport", "get_space", "list_spaces", "parse", "register_space", "validate"]
