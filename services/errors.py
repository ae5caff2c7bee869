"""PURE: the one shape of bad input that names what was wrong, so every domain's errors
become problem+json with a `param` the client can point at."""

from __future__ import annotations


class FieldError(ValueError):
    def __init__(self, field: str, detail: str):
        super().__init__(f"{field}: {detail}")
        self.field, self.detail = field, detail

    @property
    def param(self) -> str:
        return self.field
