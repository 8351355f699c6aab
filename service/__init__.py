"""The Flask service: HTTP API, auth, persistence, self-assessment pages."""

from service.app import create_app

__all__ = ["create_app"]
