"""Confine document paths to the allowed roots: no ``../`` and no symlink leads out of them."""

from __future__ import annotations

from pathlib import Path

from activities.errors import DocumentNotFound, PathNotAllowed, UnsupportedDocument


def confined_path(source: str, roots: tuple[Path, ...]) -> Path:
    """The resolved file ``source`` names, if it is a regular file inside one of ``roots``.

    Raises PathNotAllowed, DocumentNotFound or UnsupportedDocument (for a directory) with a
    message naming the input.
    """
    raw = Path(source).expanduser()
    resolved = raw.resolve()
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(r) for r in roots)
        raise PathNotAllowed(
            f"{source}: outside the allowed roots ({allowed}); "
            "set DOCORCH_ALLOWED_ROOTS to allow it"
        )
    if not resolved.exists():
        raise DocumentNotFound(f"{source}: no such file")
    if resolved.is_dir():
        raise UnsupportedDocument(f"{source}: is a directory; name the files inside it")
    if not resolved.is_file():
        raise UnsupportedDocument(f"{source}: not a regular file")
    return resolved
