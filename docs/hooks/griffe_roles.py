"""A Griffe extension for the documentation site: symconv's docstrings as Markdown for mkdocstrings.

symconv's docstrings are Google-style, with Sphinx roles inside the text (``:class:`~symconv.Conv1d```,
``:meth:`evaluate```). mkdocstrings renders Markdown, where such a role would show as raw text. This
extension rewrites every role, once the package is loaded, into a mkdocs-autorefs reference:

- the role's target is resolved the way Python would read the name where the docstring stands:
  an absolute ``symconv.a.b`` from the package, a relative name from the object, then each
  enclosing class or module (their imports included), then the package's top level;
- a target that exists becomes an *optional* autoref: a link when the site renders that object (the
  API pages), plain code otherwise (a private helper, a module the site does not show);
- a target that does not exist in symconv (a typo, a renamed object) is logged as a warning, which
  fails ``mkdocs build --strict``: the missing reference the brief asks the build to refuse.

Roles naming other libraries (``:func:`numpy.convolve```) become plain code.

An entry that documents several names at once (``x, w, b: ...`` under ``Args:`` or ``Attributes:``)
becomes one entry per name with the same text: Google style has one name per entry, and Griffe
would otherwise read ``x, w, b`` as one parameter (or ``output_shape`` as the type of ``input_shape,``)
and could not check the names against the signature.

The module imports Griffe only when the site is built: pytest collects ``docs/`` for doctests.
"""

from __future__ import annotations

import html
import importlib.util
import re
from typing import Any

try:
    from griffe import Alias, Extension, logger
except ImportError:  # the docs extra is not installed: pytest only collects this file
    Alias = Extension = logger = None  # type: ignore[assignment,misc]

#: ``:role:`target``` with the roles symconv's docstrings use.
ROLE = re.compile(r":(?:py:)?(class|func|meth|attr|mod|data|exc|obj|const):`(?P<target>[^`]+)`")
PACKAGE = "symconv"
#: What a name imported from another library resolves to: shown as code, never linked.
EXTERNAL = object()


def _member(scope: Any, name: str) -> Any:
    """``scope``'s member ``name`` (an alias followed to its target), or ``None``."""
    members = getattr(scope, "all_members", None) or getattr(scope, "members", {})
    obj = members.get(name)
    if obj is None:
        return None
    if Alias is not None and isinstance(obj, Alias):
        try:
            return obj.final_target
        except Exception:  # an alias to another library (``import linecache``): not symconv's
            return EXTERNAL
    return obj


def _walk(scope: Any, parts: list[str]) -> Any:
    for part in parts:
        if scope is None or scope is EXTERNAL:
            return scope
        scope = _member(scope, part)
    return scope


def resolve(obj: Any, pkg: Any, target: str) -> Any:
    """The Griffe object ``target`` names in ``obj``'s docstring, or ``None``."""
    parts = target.split(".")
    if parts[0] == PACKAGE:
        return pkg if len(parts) == 1 else _walk(pkg, parts[1:])
    scope = obj
    while scope is not None:
        found = _walk(scope, parts)
        if found is not None:
            return found
        scope = scope.parent
    return _walk(pkg, parts)


def _elsewhere(target: str) -> bool:
    """Whether ``target`` names another library: a dotted name outside symconv, or a module Python finds."""
    top = target.split(".")[0]
    if top == PACKAGE:
        return False
    if "." in target:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _path(found: Any) -> str:
    """The identifier the site's anchors use: the object's canonical path."""
    return str(getattr(found, "canonical_path", None) or found.path)


def rewrite(text: str, obj: Any, pkg: Any) -> str:
    """``text`` with each role replaced by an optional autoref, or plain code; warns on a missing target."""

    def replace(match: re.Match[str]) -> str:
        raw = match["target"].strip()
        short = raw.startswith("~")
        target = raw.lstrip("~").removesuffix("()")
        shown = target.rsplit(".", 1)[-1] if short else target
        title = f"<code>{html.escape(shown)}</code>"
        found = resolve(obj, pkg, target)
        if found is EXTERNAL or (found is None and _elsewhere(target)):
            return title  # another library's name (inspect, numpy.convolve, torch.nn.Conv1d)
        if found is None:
            if logger is not None:
                where = getattr(obj, "relative_filepath", "?")
                lineno = getattr(obj.docstring, "lineno", None) or getattr(obj, "lineno", "?")
                logger.warning(f"{where}:{lineno}: {obj.path}: no object named {target!r} for the role {match[0]}")
            return title
        return f'<autoref optional identifier="{html.escape(_path(found))}">{title}</autoref>'

    return ROLE.sub(replace, text)


#: The sections whose entries are ``name (type): text``.
ENTRY_SECTIONS = ("Args:", "Arguments:", "Parameters:", "Params:", "Attributes:", "Keyword Args:", "Other Parameters:")
GROUPED = re.compile(r"^(?P<indent>\s+)(?P<names>[A-Za-z_]\w*(?:, [A-Za-z_]\w*)+)(?P<rest>(?: \([^)]*\))?:\s.*)$")


def split_grouped(text: str) -> str:
    r"""``text`` with each entry ``a, b: text`` of an entry section written as ``a: text`` and ``b: text``.

    Examples:
        >>> print(split_grouped("Args:\n    x, w: Numbers,\n        flat.\n    n: A count."))
        Args:
            x: Numbers,
                flat.
            w: Numbers,
                flat.
            n: A count.
    """
    lines = text.splitlines()
    out: list[str] = []
    section_indent: int | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        indent = len(line) - len(line.lstrip())
        if line.strip() in ENTRY_SECTIONS:
            section_indent = indent
        elif line.strip() and section_indent is not None and indent <= section_indent:
            section_indent = None  # the section ended
        match = GROUPED.match(line) if section_indent is not None else None
        if match is None:
            out.append(line)
            i += 1
            continue
        more = []  # the entry's continuation lines, indented deeper
        i += 1
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            more.append(lines[i])
            i += 1
        while more and not more[-1].strip():
            i -= 1
            more.pop()
        for name in match["names"].split(", "):
            out.extend([f"{match['indent']}{name}{match['rest']}", *more])
    return "\n".join(out)


def _objects(scope: Any, seen: set[int]) -> Any:
    if id(scope) in seen:
        return
    seen.add(id(scope))
    yield scope
    for member in scope.members.values():
        if Alias is not None and isinstance(member, Alias):
            continue  # documented where it is defined
        yield from _objects(member, seen)


if Extension is not None:

    class SphinxRoles(Extension):
        """Rewrite every Sphinx role in the package's docstrings (see the module docstring)."""

        def on_package(self, *, pkg: Any, **kwargs: Any) -> None:
            if pkg.name != PACKAGE:
                return
            for obj in _objects(pkg, set()):
                if obj.docstring is not None:
                    obj.docstring.value = split_grouped(rewrite(obj.docstring.value, obj, pkg))
