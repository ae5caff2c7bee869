"""PURE: the domain's errors. Only these become 4xx answers (and CLI messages); anything
else that escapes is a bug and is answered as a 500 with a trace id, never its message."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses, with a message written for the person who made it."""


class InvalidInput(DomainError, ValueError):
    """Input that cannot be used, said in words."""


class Missing(DomainError, LookupError):
    """Something that does not exist (in the caller's workspace)."""


class KeptRefusal(InvalidInput):
    """A refusal whose own writes must stand (a wrong code's counted try): the request's
    transaction commits, then the refusal is answered."""


class FieldError(InvalidInput):
    """Bad input that names its field, so problem+json carries a `param` the client can point at."""

    def __init__(self, field: str, detail: str):
        super().__init__(f"{field}: {detail}")
        self.field, self.detail = field, detail

    @property
    def param(self) -> str:
        return self.field
