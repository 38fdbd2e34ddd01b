"""Language of the pages: Dutch first, English on request (``?lang=`` or ``Accept-Language``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Languages of the pages, the first is the default.
LANGUAGES = ("nl", "en")


def choose_language(query_lang: str | None, accept_language: str | None) -> str:
    """Return ``nl`` or ``en``: ``?lang=`` first, then ``Accept-Language``, else Dutch.

    Examples
    --------
    >>> choose_language("en", "nl")
    'en'
    >>> choose_language(None, "de-DE, en-GB;q=0.8, nl;q=0.5")
    'en'
    >>> choose_language(None, "fr")
    'nl'
    >>> choose_language("xx", None)
    'nl'
    """
    if query_lang:
        code = query_lang.strip().lower()[:2]
        if code in LANGUAGES:
            return code
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        code = tag.lower()[:2]
        if code in LANGUAGES and q > 0:
            ranked.append((-q, i, code))
    return sorted(ranked)[0][2] if ranked else LANGUAGES[0]


def pick(text: Any, lang: str) -> str:
    """Return the ``lang`` version of a ``{"nl": ..., "en": ...}`` text (or the text itself).

    Examples
    --------
    >>> pick({"nl": "Buurt", "en": "Neighbourhood"}, "en")
    'Neighbourhood'
    >>> pick({"en": "Homes"}, "nl")
    'Homes'
    >>> pick("Homes", "nl")
    'Homes'
    """
    if isinstance(text, Mapping):
        value = text.get(lang) or next((v for v in text.values() if v), "")
        return str(value)
    return "" if text is None else str(text)


#: Every fixed text of the pages, Dutch and English.
MESSAGES: dict[str, dict[str, str]] = {
    "service": {"nl": "GSL-indicatorservice", "en": "GSL indicator service"},
    "tagline": {
        "nl": "Indicatoren voor gezond stedelijk leven in Nederlandse digital twins.",
        "en": "Healthy urban living indicators for Dutch digital twins.",
    },
    "menukaart": {"nl": "Menukaart", "en": "Menu card"},
    "menukaart_intro": {
        "nl": "Alle indicatoren per thema, met methode, normen, bronnen en parameters.",
        "en": "Every indicator by theme, with its method, norms, sources and parameters.",
    },
    "processes": {"nl": "Processen", "en": "Processes"},
    "processes_intro": {
        "nl": "Elke indicator is een OGC API – Processes-proces.",
        "en": "Each indicator is an OGC API – Processes process.",
    },
    "jobs": {"nl": "Taken", "en": "Jobs"},
    "jobs_intro": {
        "nl": "Berekeningen die zijn gestart, met hun status en resultaten.",
        "en": "Computations that were started, with their status and results.",
    },
    "api_docs": {"nl": "API-documentatie", "en": "API documentation"},
    "api_docs_intro": {
        "nl": "De OpenAPI-definitie, te lezen en uit te proberen in Swagger UI.",
        "en": "The OpenAPI definition, to read and try in Swagger UI.",
    },
    "conformance": {"nl": "Conformiteit", "en": "Conformance"},
    "conformance_intro": {
        "nl": "De OGC-conformiteitsklassen die deze service ondersteunt.",
        "en": "The OGC conformance classes this service supports.",
    },
    "profiles": {"nl": "Normprofielen", "en": "Norm profiles"},
    "profile": {"nl": "Normprofiel", "en": "Norm profile"},
    "example_profile": {
        "nl": "Voorbeeld: vervang door de eigen cijfers.",
        "en": "Example: replace with your own figures.",
    },
    "theme": {"nl": "Thema", "en": "Theme"},
    "method": {"nl": "Methode", "en": "Method"},
    "norms": {"nl": "Normen", "en": "Norms"},
    "norms_by_area": {"nl": "Normen per gebiedstype", "en": "Norms per area type"},
    "sources": {"nl": "Bronnen", "en": "Sources"},
    "parameters": {"nl": "Parameters", "en": "Parameters"},
    "inputs": {"nl": "Invoerlagen", "en": "Input layers"},
    "outputs": {"nl": "Uitvoer", "en": "Outputs"},
    "name": {"nl": "Naam", "en": "Name"},
    "title": {"nl": "Titel", "en": "Title"},
    "default": {"nl": "Standaard", "en": "Default"},
    "range": {"nl": "Bereik", "en": "Range"},
    "unit": {"nl": "Eenheid", "en": "Unit"},
    "value": {"nl": "Waarde", "en": "Value"},
    "source": {"nl": "Bron", "en": "Source"},
    "required": {"nl": "verplicht", "en": "required"},
    "optional": {"nl": "optioneel", "en": "optional"},
    "geometry": {"nl": "Geometrie", "en": "Geometry"},
    "metric": {"nl": "Maat", "en": "Metric"},
    "area_type": {"nl": "Gebiedstype", "en": "Area type"},
    "minimum": {"nl": "Minimum (score 6)", "en": "Minimum (score 6)"},
    "ambition": {"nl": "Ambitie (score 10)", "en": "Ambition (score 10)"},
    "floor": {"nl": "Bodem (score 1)", "en": "Floor (score 1)"},
    "direction": {"nl": "Richting", "en": "Direction"},
    "higher_is_better": {"nl": "hoger is beter", "en": "higher is better"},
    "lower_is_better": {"nl": "lager is beter", "en": "lower is better"},
    "basis": {"nl": "Grondslag", "en": "Basis"},
    "headline": {"nl": "Kopcijfer", "en": "Headline"},
    "open_process": {"nl": "Proces en uitvoeren", "en": "Process and run"},
    "open_card": {"nl": "Op de menukaart", "en": "On the menu card"},
    "example_request": {"nl": "Voorbeeldverzoek", "en": "Example request"},
    "example_intro": {
        "nl": "Dit verzoek kunt u kopiëren, of hier aanpassen en uitvoeren.",
        "en": "Copy this request, or edit it here and run it.",
    },
    "copy": {"nl": "Kopiëren", "en": "Copy"},
    "copied": {"nl": "Gekopieerd", "en": "Copied"},
    "run": {"nl": "Uitvoeren", "en": "Run"},
    "running": {"nl": "Bezig…", "en": "Running…"},
    "reset": {"nl": "Voorbeeld herstellen", "en": "Restore the example"},
    "run_failed": {"nl": "Uitvoeren mislukt", "en": "Run failed"},
    "job": {"nl": "Taak", "en": "Job"},
    "status": {"nl": "Status", "en": "Status"},
    "process": {"nl": "Proces", "en": "Process"},
    "created": {"nl": "Aangemaakt", "en": "Created"},
    "finished": {"nl": "Klaar", "en": "Finished"},
    "progress": {"nl": "Voortgang", "en": "Progress"},
    "message": {"nl": "Bericht", "en": "Message"},
    "no_jobs": {"nl": "Nog geen taken.", "en": "No jobs yet."},
    "waiting": {
        "nl": "De berekening loopt; deze pagina ververst zichzelf.",
        "en": "The computation is running; this page refreshes itself.",
    },
    "failed": {"nl": "De berekening is mislukt", "en": "The computation failed"},
    "summary": {"nl": "Samenvatting", "en": "Summary"},
    "scorecard": {"nl": "Scorekaart", "en": "Scorecard"},
    "scorecard_intro": {
        "nl": "Scores 1–10 volgens het normprofiel: rood onder 6, geel 6 tot 8, groen vanaf 8.",
        "en": "Scores 1–10 from the norm profile: red below 6, yellow 6 to 8, green from 8.",
    },
    "overall": {"nl": "Geheel", "en": "Overall"},
    "area": {"nl": "Gebied", "en": "Area"},
    "score": {"nl": "Score", "en": "Score"},
    "map": {"nl": "Kaart", "en": "Map"},
    "map_colour_by": {"nl": "Kleur naar", "en": "Colour by"},
    "map_layer": {"nl": "Laag", "en": "Layer"},
    "no_base_map": {
        "nl": "Zonder achtergrondkaart (in te stellen met GSL_BASE_MAP_URL).",
        "en": "No base map (set one with GSL_BASE_MAP_URL).",
    },
    "charts": {"nl": "Grafieken", "en": "Charts"},
    "scores_per_metric": {"nl": "Scores per maat", "en": "Scores per metric"},
    "headline_per_area": {"nl": "Kopscore per gebied", "en": "Headline score per area"},
    "tornado": {
        "nl": "Gevoeligheid (tornado): bereik van de uitkomst per parameter",
        "en": "Sensitivity (tornado): range of the outcome per parameter",
    },
    "downloads": {"nl": "Downloads", "en": "Downloads"},
    "downloads_intro": {
        "nl": "Per laag als GeoJSON, CSV (WKT) of GeoPackage, in het coördinatenstelsel van de invoer.",
        "en": "Per layer as GeoJSON, CSV (WKT) or GeoPackage, in the input's coordinate system.",
    },
    "whole_result": {"nl": "Volledig resultaat (JSON)", "en": "Whole result (JSON)"},
    "data_quality": {"nl": "Datakwaliteit", "en": "Data quality"},
    "no_warnings": {"nl": "Geen waarschuwingen.", "en": "No warnings."},
    "other_outputs": {"nl": "Overige uitvoer", "en": "Other outputs"},
    "features": {"nl": "objecten", "en": "features"},
    "language": {"nl": "English", "en": "Nederlands"},
    "error": {"nl": "Fout", "en": "Error"},
    "home": {"nl": "Start", "en": "Home"},
    "yes": {"nl": "ja", "en": "yes"},
    "no": {"nl": "nee", "en": "no"},
    "true": {"nl": "ja", "en": "yes"},
    "false": {"nl": "nee", "en": "no"},
}


def translator(lang: str) -> Any:
    """Return ``t(key)``: the text of ``key`` in ``lang`` (the key itself when unknown).

    Examples
    --------
    >>> translator("en")("menukaart"), translator("nl")("menukaart")
    ('Menu card', 'Menukaart')
    """

    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        return entry.get(lang, entry["nl"]) if entry else key

    return t


#: Theme names of the menu card.
THEMES: dict[str, dict[str, str]] = {
    "green": {"nl": "Groen", "en": "Green"},
    "proximity": {"nl": "Nabijheid van voorzieningen", "en": "Proximity of facilities"},
    "heat": {"nl": "Hitte", "en": "Heat"},
    "air": {"nl": "Luchtkwaliteit", "en": "Air quality"},
    "noise": {"nl": "Geluid", "en": "Noise"},
    "water": {"nl": "Water", "en": "Water"},
    "soil": {"nl": "Bodem", "en": "Soil"},
    "mobility": {"nl": "Mobiliteit", "en": "Mobility"},
    "housing": {"nl": "Wonen", "en": "Housing"},
    "context": {"nl": "Context", "en": "Context"},
    "mkba": {"nl": "Maatschappelijke kosten en baten", "en": "Social costs and benefits"},
    "uncertainty": {"nl": "Onzekerheid", "en": "Uncertainty"},
    "test": {"nl": "Test", "en": "Test"},
}


def theme_title(theme: str, lang: str) -> str:
    """Return the name of a menu-card theme.

    Examples
    --------
    >>> theme_title("air", "nl"), theme_title("unknown", "en")
    ('Luchtkwaliteit', 'unknown')
    """
    return THEMES.get(theme, {}).get(lang, theme)
