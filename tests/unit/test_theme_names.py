"""Every theme a page can show has a Dutch and an English name (issue 10)."""

from __future__ import annotations

from gsl_indicators.core.cards import card_names, resolve_card
from gsl_indicators.core.spec import registry
from gsl_service.web.i18n import THEMES, theme_title


def _themes_in_use() -> set[str]:
    """Return the theme ids of every registered indicator and every menu card."""
    used = {ind.theme for ind in registry()}
    for name in card_names():
        used |= {t.id for t in resolve_card(name).themes}
    return used


def test_every_theme_in_use_has_a_dutch_and_an_english_name() -> None:
    used = _themes_in_use()
    missing = sorted(t for t in used if not {"nl", "en"} <= set(THEMES.get(t, {})))
    assert missing == []
    for theme in used:
        # A name is a real name, not the id echoed back (theme_title falls back to the id).
        assert theme_title(theme, "nl").strip() and theme_title(theme, "en").strip()


def test_the_themes_named_in_issue_10_read_as_words() -> None:
    assert theme_title("flood", "nl") == "Waterveiligheid"
    assert theme_title("emf", "en") == "Electromagnetic fields"
    assert theme_title("external-safety", "nl") == "Externe veiligheid"
    assert {
        "activity",
        "emf",
        "external-safety",
        "flood",
        "odour",
        "scoreboard",
    } <= _themes_in_use()
