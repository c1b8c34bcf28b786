"""The version of symconv: the one place it is written.

``pyproject.toml`` reads it at build time (``[tool.setuptools.dynamic]``, statically, without
importing symconv), ``symconv.__version__`` re-exports it and ``symconv --version`` prints it.
Keep it a plain string literal so that the build can read it.
"""

__version__ = "0.1.0"
