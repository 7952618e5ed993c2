"""Every text colour wskit's HTML uses reaches 4.5:1 on its background in JupyterLab's light and dark themes."""

from __future__ import annotations

import pytest

from tests.theme_check import contrast, parse_color, resolve
from wskit import theme

THEMES = ("light", "dark")
TEXT_COLOURS = {
    "ink": theme.INK,
    "text": theme.TEXT,
    **{f"ink({name})": theme.ink(name) for name in theme.ACCENTS},
}
#: (what, text, background) for every pairing the panels and the wire diagrams draw
PAIRS = [
    *((f"{name} on paper", colour, theme.PAPER) for name, colour in TEXT_COLOURS.items()),
    ("dim on paper", theme.DIM, theme.PAPER),
    ("ink on paper2 (code blocks, idle badge)", theme.INK, theme.PAPER2),
    ("text on paper2", theme.TEXT, theme.PAPER2),
    ("ink(error) on paper2 (a traceback)", theme.ink("error"), theme.PAPER2),
    *((f"ink on tint({name}) (badges, bit cells)", theme.INK, theme.tint(name)) for name in theme.ACCENTS),
    ("ink on tint(error, 30) (malformed frame)", theme.INK, theme.tint("error", 30)),
    ("ink on tint(brand, 35) (the selected log row)", theme.INK, theme.tint("brand", 35)),
]


@pytest.mark.parametrize("style", sorted(theme.BUTTONS))
def test_button_text_contrast(style: str) -> None:
    assert contrast(parse_color("#fff"), parse_color(theme.BUTTONS[style])) >= 4.5


@pytest.mark.parametrize("name", THEMES)
@pytest.mark.parametrize(("what", "fg", "bg"), PAIRS, ids=[p[0] for p in PAIRS])
def test_text_contrast_at_least_4_5(name: str, what: str, fg: str, bg: str) -> None:
    page = resolve(theme.PAPER, name)
    ratio = contrast(resolve(fg, name), resolve(bg, name), page)
    assert ratio >= 4.5, f"{what} in the {name} theme: {ratio:.2f}:1"


def test_the_old_pale_badge_was_unreadable_in_the_dark_theme() -> None:
    """What issue 16 measured: white text on --jp-success-color3 in the dark theme, about 1.2:1."""
    white_ish = resolve("var(--jp-ui-font-color1)", "dark")
    pale = resolve("var(--jp-success-color3)", "dark")
    assert contrast(white_ish, pale, resolve(theme.PAPER, "dark")) < 1.5


def test_the_arithmetic() -> None:
    assert contrast(parse_color("#000"), parse_color("#fff")) == pytest.approx(21.0)
    assert contrast(parse_color("#767676"), parse_color("white")) == pytest.approx(4.54, abs=0.01)
    mixed = resolve("color-mix(in srgb, #ff0000 25%, #0000ff)", "light")
    assert mixed == pytest.approx((63.75, 0.0, 191.25, 1.0))
