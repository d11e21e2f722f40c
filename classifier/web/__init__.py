"""The local triage web page (``tension serve``): see `classifier.web.app`."""

from classifier.web.app import create_app

__all__ = ["create_app"]
