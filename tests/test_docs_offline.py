"""/docs is served entirely by the service: the page and every file it loads, no outside host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from wisphub_api import docs

ROOT = Path(__file__).resolve().parents[1]
# url(...) and @import "..." in a style sheet: what a browser fetches on its behalf.
CSS_REFERENCES = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
SPEC_URL = re.compile(r"""\burl:\s*["']([^"']+)["']""")
CONTENT_TYPES = {".js": "javascript", ".css": "text/css"}


class References(HTMLParser):
    """Collect the URLs a page makes the browser load (scripts, styles, images, frames)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in {"script", "img", "iframe"} and values.get("src"):
            self.urls.append(values["src"])
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"])


def page_references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


def is_local(url: str) -> bool:
    """Tell whether a URL stays on the service (a path, or data embedded in the page)."""
    parts = urlsplit(url)
    return parts.scheme == "data" or (not parts.scheme and not parts.netloc)


def fetch_local(client, url: str):
    """Fetch a same-service URL, assert it answers 200, and return the read, closed answer."""
    assert is_local(url), url
    with client.get(url) as response:
        response.get_data()  # read whole before the file behind it is closed
    assert response.status_code == 200, (url, response.status_code)
    return response


def test_docs_page_loads_only_files_of_the_service(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    references = page_references(html)
    assert len(references) >= 3  # the style sheet and Swagger UI's two scripts
    for url in references:
        response = fetch_local(client, url)
        suffix = Path(urlsplit(url).path).suffix
        assert CONTENT_TYPES.get(suffix, "") in response.content_type, url
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)


def test_docs_style_sheets_load_nothing_from_outside(client):
    html = client.get("/docs").get_data(as_text=True)
    sheets = [url for url in page_references(html) if url.endswith(".css")]
    assert sheets
    for sheet in sheets:
        css = fetch_local(client, sheet).get_data(as_text=True)
        for match in CSS_REFERENCES.finditer(css):
            target = match.group(1) or match.group(2)
            if not target.startswith("data:"):
                fetch_local(client, urljoin(sheet, target))


def test_docs_page_reads_the_spec_from_the_service(client):
    html = client.get("/docs").get_data(as_text=True)
    (spec_url,) = SPEC_URL.findall(html)
    assert fetch_local(client, spec_url).get_json()["openapi"].startswith("3.")
    assert '"validatorUrl": null' in html  # no call to validator.swagger.io from the page


def test_docs_assets_are_the_pinned_package_and_cacheable(client):
    pinned = re.search(
        r"^flask-swagger-ui==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE
    )
    assert pinned, "flask-swagger-ui must be pinned in requirements.txt"
    assert metadata.version("flask-swagger-ui") == pinned.group(1)
    url = docs.assets_url() + "swagger-ui-bundle.js"
    assert f"/{pinned.group(1)}/" in url
    response = fetch_local(client, url)
    assert response.get_data() == (docs.assets_dir() / "swagger-ui-bundle.js").read_bytes()
    assert "max-age=" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["../../wisphub_api/config.py", "..%2f..%2fsetup.py", "nope.js"])
def test_docs_assets_outside_the_package_are_json_404(client, path):
    response = client.get(docs.assets_url() + path)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
