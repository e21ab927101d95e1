"""Static assets over the wire: compressed, cacheable, and with URLs that change when the file does.

- Compression (Flask-Compress): HTML, CSS, JavaScript, JSON and SVG, zstd or gzip as the browser
  asks. Static files are compressed once per file version and kept in memory; pages per response.
  Socket.IO never reaches Flask (the Engine.IO middleware answers it first), so it is not affected.
- ``url_for("static", ...)`` and Bootstrap-Flask's ``bootstrap.static`` get ``?v=<content hash>``: such
  a URL is cached for a year (``immutable``). Files fetched without ``v`` (our ES modules import each
  other by relative path) are revalidated with their ETag on every use (``no-cache``), so a changed
  file is never served stale.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, request
from flask_compress import Compress

compress = Compress()

STATIC_ENDPOINTS = ("static", "bootstrap.static")
YEAR = 365 * 24 * 3600
MIMETYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
]


class StaticCache:
    """Flask-Compress's cache backend: keeps compressed static files only (keys from ``_cache_key``)."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self._data.get(key)

    def set(self, key: str, value: bytes) -> None:
        if "static:" in key and len(self._data) < 2000:
            self._data[key] = value


def _cache_key(req) -> str:
    if req.endpoint in STATIC_ENDPOINTS:
        return f"static:{req.path}:{req.environ.get('facilitation.etag', '')}"
    return ""


def _folder(endpoint: str) -> Path | None:
    if endpoint == "static":
        return Path(current_app.static_folder)
    blueprint = current_app.blueprints.get(endpoint.partition(".")[0])
    return Path(blueprint.static_folder) if blueprint is not None and blueprint.static_folder else None


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def version(endpoint: str, filename: str) -> str | None:
    """A short hash of the file's content, or ``None`` when there is no such file."""
    folder = _folder(endpoint)
    if folder is None:
        return None
    path = (folder / filename).resolve()
    if folder.resolve() not in path.parents or not path.is_file():
        return None
    stat = path.stat()
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint in STATIC_ENDPOINTS and "v" not in values and values.get("filename"):
        found = version(endpoint, values["filename"])
        if found:
            values["v"] = found


def _cache_headers(response: Response) -> Response:
    """Runs before Flask-Compress: sets caching and hands it static files as plain (not streamed) bodies."""
    if request.endpoint not in STATIC_ENDPOINTS:
        return response
    if response.status_code == 200:
        etag, _weak = response.get_etag()
        request.environ["facilitation.etag"] = etag or ""
        response.direct_passthrough = False
        body = response.response
        data = response.get_data()
        if hasattr(body, "close"):
            body.close()  # the file send_file opened
        response.set_data(data)  # a list body: compressed once, from the cache
    if request.args.get("v"):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["zstd", "gzip"])
    app.config.setdefault("COMPRESS_CACHE_BACKEND", StaticCache)
    app.config.setdefault("COMPRESS_CACHE_KEY", _cache_key)
    compress.init_app(app)
    app.url_defaults(_add_version)
    app.after_request(_cache_headers)  # registered after Flask-Compress's hook, so it runs before it
