"""Errors of reading a source (no I/O here, so pure modules and the operator may import it)."""


class SourceError(RuntimeError):
    """A source file or set that cannot be read as given."""
