"""The console's quick ``<select>`` writes exactly what wtforms' own
widget writes: the same options, escaped the same way, the same one
selected."""

from __future__ import annotations

from typing import Any

import pytest
from wtforms import Form
from wtforms import SelectField as WtformsSelectField

from servicedesk.console.forms import SelectField, choices

AWKWARD = [
    ("", "Any"),
    ("none", "Nobody"),
    ("42", 'Anna "Ansku" <Aalto> & Co'),
    ("a&b", "Åsa Öberg"),
    ("<script>", "<script>alert(1)</script>"),
    ("x", ""),
]


class Quick(Form):
    pick = SelectField("Pick", validate_choice=False)


class General(Form):
    pick = WtformsSelectField("Pick", validate_choice=False)


def rendered(form_class: type[Form], data: dict[str, Any], pairs: Any, **attrs: Any) -> str:
    form = form_class(data=data)
    form.pick.choices = pairs
    return str(form.pick(**attrs))


@pytest.mark.parametrize("selected", ["", "42", "a&b", "<script>", "missing"])
def test_the_same_html_as_wtforms(selected: str) -> None:
    pairs = choices(AWKWARD)
    html = rendered(Quick, {"pick": selected}, pairs, **{"aria-invalid": "true"})
    assert html == rendered(General, {"pick": selected}, pairs, **{"aria-invalid": "true"})
    assert "<script>" not in html.replace('<select aria-invalid="true" id="pick" name="pick">', "")


def test_grouped_and_attributed_options_too() -> None:
    pairs = choices([("q1", "Oulu")], optgroup="North") + choices(
        [("q2", "Turku")], optgroup="South"
    )
    assert rendered(Quick, {"pick": "q2"}, pairs) == rendered(General, {"pick": "q2"}, pairs)
    plain = [("1", "One"), ("2", "Two")]
    quick, general = Quick(data={"pick": "1"}), General(data={"pick": "1"})
    quick.pick.choices = general.pick.choices = plain
    assert str(quick.pick()) == str(general.pick())
    assert '<option selected value="1">One</option>' in str(quick.pick())
