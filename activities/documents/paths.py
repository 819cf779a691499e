"""Confine document paths to the allowed roots: no ``../`` and no symlink leads out of them."""

from __future__ import annotations

from pathlib import Path

from activities.errors import DocumentNotFound, PathNotAllowed, UnsupportedDocument


def confined_path(source: str, roots: tuple[Path, ...]) -> Path:
    """The resolved file ``source`` names, if it is a regular file inside one of ``roots``.

    Raises PathNotAllowed, DocumentNotFound or UnsupportedDocument (for a directory) with a
    message naming the input — also for a path no file can have (a NUL byte, a name too long,
    a ``~user`` with no home, a symlink loop), which the OS refuses with other errors.
    """
    if "\0" in source:
        raise DocumentNotFound(f"{source!r}: no such file (a path has no NUL bytes)")
    try:
        resolved = Path(source).expanduser().resolve()
    except RuntimeError as error:  # ~user with no home directory; a symlink loop
        raise DocumentNotFound(f"{source}: no such file ({error})") from None
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(r) for r in roots)
        raise PathNotAllowed(
            f"{source}: outside the allowed roots ({allowed}); "
            "set DOCORCH_ALLOWED_ROOTS to allow it"
        )
    try:
        exists, directory, regular = resolved.exists(), resolved.is_dir(), resolved.is_file()
    except OSError as error:  # a name too long, a component that is no directory ...
        raise DocumentNotFound(f"{source}: no such file ({error.strerror})") from None
    if not exists:
        raise DocumentNotFound(f"{source}: no such file")
    if directory:
        raise UnsupportedDocument(f"{source}: is a directory; name the files inside it")
    if not regular:
        raise UnsupportedDocument(f"{source}: not a regular file")
    return resolved
