"""Thin Kopf handlers: parse the spec, build the desired state, apply it, report status."""
