"""Typed exceptions. Each message says what was expected, what was found and how to fix it."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class of every error the package raises on purpose."""


class DataError(ClassifierError, ValueError):
    """Input data is missing, malformed or inconsistent (a file, a column, a row, a label)."""


class ModelError(ClassifierError):
    """A model file is missing, corrupt, tampered with or incompatible with this installation."""


class ConfigError(ClassifierError, ValueError):
    """An option or parameter has a value outside what is allowed."""
