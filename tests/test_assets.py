"""Static assets: compressed, cacheable with versioned URLs, revalidated without; Socket.IO unaffected."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from facilitation import create_app


@pytest.fixture
def client(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    return app.test_client()


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/(?:static|bootstrap/static)/[^"]+)"', html)


def test_pages_link_versioned_assets_that_are_cached_for_a_year_and_compressed(client):
    html = client.get("/").get_data(as_text=True)
    urls = asset_urls(html)
    assert any("bootstrap.min.css" in url for url in urls) and any("app.css" in url for url in urls)
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url
        response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        if url.endswith((".css", ".js")):
            assert response.headers["Content-Encoding"] in {"zstd", "gzip"}, url
            assert "Accept-Encoding" in response.headers["Vary"]


def test_unversioned_assets_are_revalidated_with_their_etag(client):
    response = client.get("/static/js/live.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Content-Encoding"] == "gzip"
    again = client.get(
        "/static/js/live.js", headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_a_changed_file_gets_a_new_version(client, tmp_path, monkeypatch):
    from facilitation import assets

    app = client.application
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css" / "x.css").write_text("a{}")
    monkeypatch.setattr(app, "static_folder", str(folder))
    with app.test_request_context():
        first = assets.version("static", "css/x.css")
        (folder / "css" / "x.css").write_text("a{color:red}")
        assert assets.version("static", "css/x.css") != first
        assert assets.version("static", "../secret.txt") is None


def test_pages_are_compressed_without_a_long_cache(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "max-age=31536000" not in response.headers.get("Cache-Control", "")


def test_the_phones_slim_bootstrap_is_current():
    """static/css/bootstrap-phone.css holds every Bootstrap rule the phone's templates and scripts use."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "phone_css.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
