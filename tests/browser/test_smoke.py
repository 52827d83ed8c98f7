from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_unknown_page_is_a_plain_accessible_404(live, page) -> None:
    response = page.goto(live.url + "/no-such-page")
    assert response is not None and response.status == 404
    # The browser asks for Finnish (fi-FI): the page says it in words, and
    # gives the code too.
    assert page.locator("h1").inner_text() == "Sivua ei löytynyt"
    assert "404" in page.locator("main").inner_text()
    assert_accessible(page)
