"""The ``symconv`` command line: ``explain`` (:mod:`~symconv.cli.app`), ``check`` and ``latex``/``diagram``."""

from symconv.cli.app import main

__all__ = ["main"]
