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
    "open_process": {"nl": "Procesbeschrijving", "en": "Process description"},
    "run_indicator": {"nl": "Uitvoeren met eigen lagen", "en": "Run with your own layers"},
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
    "run_form": {"nl": "Uitvoeren met eigen lagen", "en": "Run with your own layers"},
    "run_form_intro": {
        "nl": "Kies per laag een bestand of geef een URL, pas zo nodig de parameters aan en klik "
        "op Uitvoeren. De berekening loopt als taak op de achtergrond; daarna opent de "
        "resultaatpagina met scorekaart en kaart. Het voorbeeld staat al ingevuld.",
        "en": "Pick a file or give a URL per layer, adjust the parameters if needed and press "
        "Run. The computation runs as a background job; then its result page opens with the "
        "scorecard and map. The example is filled in already.",
    },
    "file_formats": {
        "nl": "Bestanden: GeoJSON (FeatureCollection, met crs-lid voor RD New) of FlatGeobuf "
        "(.fgb), gelezen in uw browser. Een URL wordt door de service zelf opgehaald.",
        "en": "Files: GeoJSON (FeatureCollection, with a crs member for RD New) or FlatGeobuf "
        "(.fgb), read in your browser. A URL is fetched by the service itself.",
    },
    "choose_file": {"nl": "Bestand kiezen…", "en": "Choose a file…"},
    "or_url": {"nl": "of een URL", "en": "or a URL"},
    "clear": {"nl": "Wissen", "en": "Clear"},
    "one_of": {"nl": "minstens één van", "en": "at least one of"},
    "used_when": {"nl": "gebruikt bij", "en": "used when"},
    "plausible": {"nl": "gebruikelijk", "en": "usual"},
    "structured_parameters": {
        "nl": "Gestructureerde parameters (JSON)",
        "en": "Structured parameters (JSON)",
    },
    "advanced_json": {
        "nl": "Geavanceerd: het verzoek als JSON",
        "en": "Advanced: the request as JSON",
    },
    "advanced_intro": {
        "nl": "Precies wat er wordt verstuurd. Wijzigingen hier gaan terug naar het formulier, "
        "en omgekeerd.",
        "en": "Exactly what is sent. Changes here go back to the form, and the other way round.",
    },
    "reading": {"nl": "Bestand lezen…", "en": "Reading the file…"},
    "crs_none": {
        "nl": "geen crs-lid (RFC 7946: WGS 84)",
        "en": "no crs member (RFC 7946: WGS 84)",
    },
    "not_json": {
        "nl": "{file} is geen GeoJSON: het is geen geldige JSON ({error}).",
        "en": "{file} is not GeoJSON: it is not valid JSON ({error}).",
    },
    "not_geojson": {
        "nl": "{file} is geen GeoJSON-FeatureCollection (gevonden: {found}).",
        "en": "{file} is not a GeoJSON FeatureCollection (found: {found}).",
    },
    "wrong_geometry": {
        "nl": "{file} bevat {found}; deze laag vraagt {allowed}.",
        "en": "{file} holds {found}; this layer needs {allowed}.",
    },
    "fgb_failed": {
        "nl": "{file} is geen leesbaar FlatGeobuf-bestand ({error}).",
        "en": "{file} is not a readable FlatGeobuf file ({error}).",
    },
    "example_layer": {"nl": "voorbeeldlaag", "en": "example layer"},
    "from_editor": {"nl": "uit de JSON-editor", "en": "from the JSON editor"},
    "by_reference": {
        "nl": "wordt door de service opgehaald van",
        "en": "the service fetches it from",
    },
    "json_invalid": {"nl": "Geen geldige JSON: {error}", "en": "Not valid JSON: {error}"},
    "fix_fields": {
        "nl": "Verbeter eerst de gemarkeerde velden.",
        "en": "Fix the marked fields first.",
    },
    "sending": {"nl": "Versturen…", "en": "Sending…"},
    "accepted": {"nl": "In de wachtrij…", "en": "Queued…"},
    "opening_result": {"nl": "Klaar; resultaat openen…", "en": "Done; opening the result…"},
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
    "areas_stored": {
        "nl": "De {count} gebieden van {name} staan op de kaart en in de downloads, niet in deze tabel.",
        "en": "The {count} areas of {name} are on the map and in the downloads, not in this table.",
    },
    "map_too_many": {
        "nl": "{matched} objecten in beeld, meer dan de {page} die de kaart tekent: zoom in.",
        "en": "{matched} features in view, more than the {page} the map draws: zoom in.",
    },
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
    "features_api": {
        "nl": "Dezelfde lagen als OGC API – Features, om doorheen te bladeren in QGIS "
        "(Kaartlagen ▸ Kaartlaag toevoegen ▸ WFS / OGC API – Features) of GDAL (OAPIF:):",
        "en": "The same layers as OGC API – Features, to page through in QGIS "
        "(Layer ▸ Add Layer ▸ WFS / OGC API – Features) or GDAL (OAPIF:):",
    },
    "downloads_intro": {
        "nl": "Per laag als GeoJSON, CSV (WKT), GeoPackage, FlatGeobuf of GeoParquet, in het coördinatenstelsel van de invoer.",
        "en": "Per layer as GeoJSON, CSV (WKT), GeoPackage, FlatGeobuf or GeoParquet, in the input's coordinate system.",
    },
    "whole_result": {"nl": "Volledig resultaat (JSON)", "en": "Whole result (JSON)"},
    "data_quality": {"nl": "Datakwaliteit", "en": "Data quality"},
    "no_warnings": {"nl": "Geen waarschuwingen.", "en": "No warnings."},
    "other_outputs": {"nl": "Overige uitvoer", "en": "Other outputs"},
    "features": {"nl": "objecten", "en": "features"},
    "features_one": {"nl": "object", "en": "feature"},
    "scoreboard": {"nl": "Scorebord", "en": "Scoreboard"},
    "scoreboard_intro": {
        "nl": "Per gebied en thema een score 1–10 (rood onder 6, geel 6 tot 8, groen vanaf 8). "
        "De thema's staan naast elkaar; er is geen totaalcijfer.",
        "en": "Per area and theme a score 1–10 (red below 6, yellow 6 to 8, green from 8). "
        "Themes stand side by side; there is no total.",
    },
    "light_intro": {
        "nl": "Schetsfase: scores uit vuistregels (light), op dezelfde schaal als het volledige "
        "scorebord.",
        "en": "Sketch stage: scores from rules of thumb (light), on the same scale as the full "
        "scoreboard.",
    },
    "light": {"nl": "light", "en": "light"},
    "not_assessed": {"nl": "niet beoordeeld", "en": "not assessed"},
    "missing_input": {"nl": "ontbreekt", "en": "missing"},
    "themes_below": {"nl": "Thema's onder 6", "en": "Themes below 6"},
    "rows_shown": {"nl": "gebieden getoond van", "en": "areas shown of"},
    "rows_shown_one": {"nl": "gebied getoond van", "en": "area shown of"},
    "rules": {"nl": "Vuistregels", "en": "Rules of thumb"},
    "assumption": {"nl": "Aanname", "en": "Assumption"},
    "scored_as": {"nl": "Gescoord als", "en": "Scored as"},
    "scores_per_theme": {"nl": "Scores per thema (geheel)", "en": "Scores per theme (overall)"},
    "comparison": {"nl": "Varianten naast elkaar", "en": "Variants side by side"},
    "comparison_intro": {
        "nl": "Themascore per gebied: basis en varianten, met het verschil; ▲ beter, ▼ slechter, "
        "= gelijk (volgens de richting van de maat).",
        "en": "Theme score per area: baseline and variants, with the delta; ▲ better, ▼ worse, "
        "= unchanged (by the metric's direction).",
    },
    "per_metric": {"nl": "Per maat", "en": "Per metric"},
    "themes_not_assessed": {
        "nl": "In geen gebied of scenario beoordeeld",
        "en": "Not assessed in any area or scenario",
    },
    "metrics_without_values": {
        "nl": "In geen enkel gebied of scenario een waarde",
        "en": "Without a value in any area or scenario",
    },
    "areas_not_assessed": {
        "nl": "{n} gebieden niet getoond: in geen scenario beoordeeld",
        "en": "{n} areas not listed: not assessed in any scenario",
    },
    "areas_not_assessed_one": {
        "nl": "{n} gebied niet getoond: in geen scenario beoordeeld",
        "en": "{n} area not listed: not assessed in any scenario",
    },
    "areas_without_value": {
        "nl": "{n} gebieden niet getoond: in geen scenario een waarde",
        "en": "{n} areas not listed: no value in any scenario",
    },
    "areas_without_value_one": {
        "nl": "{n} gebied niet getoond: in geen scenario een waarde",
        "en": "{n} area not listed: no value in any scenario",
    },
    "areas_more": {
        "nl": "nog {n} gebieden in de CSV-download",
        "en": "{n} more areas in the CSV download",
    },
    "areas_more_one": {
        "nl": "nog {n} gebied in de CSV-download",
        "en": "{n} more area in the CSV download",
    },
    "baseline": {"nl": "Basis", "en": "Baseline"},
    "delta": {"nl": "Verschil", "en": "Delta"},
    "better": {"nl": "beter", "en": "better"},
    "worse": {"nl": "slechter", "en": "worse"},
    "unchanged": {"nl": "gelijk", "en": "unchanged"},
    "scenario_summary": {"nl": "Per variant en thema", "en": "Per variant and theme"},
    "deltas_per_variant": {
        "nl": "Verschil in themascore per variant (geheel)",
        "en": "Change in theme score per variant (overall)",
    },
    "health_money": {"nl": "Gezondheid en geld", "en": "Health and money"},
    "health_intro": {
        "nl": "Effecten afgeleid uit de verschillen, met hun bronnen, en de MKBA per variant.",
        "en": "Effects derived from the deltas, with their sources, and the MKBA per variant.",
    },
    "effect": {"nl": "Effect", "en": "Effect"},
    "daly_per_year": {"nl": "DALY per jaar", "en": "DALY per year"},
    "variant": {"nl": "Variant", "en": "Variant"},
    "homes_3_30_300": {
        "nl": "woningen die nieuw aan 3-30-300 voldoen",
        "en": "homes newly meeting 3-30-300",
    },
    "homes_3_30_300_one": {
        "nl": "woning die nieuw aan 3-30-300 voldoet",
        "en": "home newly meeting 3-30-300",
    },
    "mkba_summary": {"nl": "MKBA", "en": "CBA"},
    "pv_costs": {"nl": "Contante waarde kosten", "en": "Present value of costs"},
    "pv_benefits": {"nl": "Contante waarde baten", "en": "Present value of benefits"},
    "npv": {"nl": "Saldo (netto contante waarde)", "en": "Net present value"},
    "bc_ratio": {"nl": "Baten/kosten", "en": "Benefit/cost ratio"},
    "break_even_year": {"nl": "Terugverdienjaar", "en": "Break-even year"},
    "no_mkba": {"nl": "Geen effect afgeleid.", "en": "No effect derived."},
    "mkba_parameters": {"nl": "Rekenparameters", "en": "Parameters"},
    "download_csv": {"nl": "Vergelijking (CSV)", "en": "Comparison (CSV)"},
    "cards": {"nl": "Menukaarten", "en": "Menu cards"},
    "cards_intro": {
        "nl": "Een menukaart legt vast welke indicatoren, met welke parameters en normen, per "
        "thema worden gebruikt. Een kaart draait als scorebord.",
        "en": "A menu card fixes which indicators, with which parameters and norms, are used per "
        "theme. A card runs as a scoreboard.",
    },
    "indicator_menu": {"nl": "Alle indicatoren", "en": "All indicators"},
    "card": {"nl": "Menukaart", "en": "Menu card"},
    "version": {"nl": "Versie", "en": "Version"},
    "publisher": {"nl": "Uitgever", "en": "Publisher"},
    "areas_input": {"nl": "Gescoorde gebieden (invoer)", "en": "Areas scored (input)"},
    "pinned": {"nl": "Vastgezet op de kaart", "en": "Pinned on the card"},
    "adjustable": {"nl": "Lokaal aan te passen", "en": "Locally adjustable"},
    "card_value": {"nl": "Kaartwaarde", "en": "Card value"},
    "local_value": {"nl": "Lokale waarde", "en": "Local value"},
    "deviations": {"nl": "Lokale accenten", "en": "Local accents"},
    "run_card": {"nl": "Deze kaart uitvoeren", "en": "Run this card"},
    "run_card_intro": {
        "nl": "Het verzoek hieronder draait de kaart als scorebord op een klein voorbeeldontwerp; "
        "vervang de lagen door die van uw ontwerp.",
        "en": "The request below runs the card as a scoreboard on a small example design; "
        "replace the layers with your design's.",
    },
    "open_card_page": {"nl": "Kaart bekijken", "en": "View the card"},
    "indicators": {"nl": "Indicatoren", "en": "Indicators"},
    "language": {"nl": "English", "en": "Nederlands"},
    "error": {"nl": "Fout", "en": "Error"},
    "home": {"nl": "Start", "en": "Home"},
    "yes": {"nl": "ja", "en": "yes"},
    "no": {"nl": "nee", "en": "no"},
    "true": {"nl": "ja", "en": "yes"},
    "false": {"nl": "nee", "en": "no"},
}


def translator(lang: str) -> Any:
    """Return ``t(key, n=None)``: the text of ``key`` in ``lang`` (the key itself when unknown).

    With a count ``n`` of exactly 1, ``<key>_one`` (the singular) is used where it exists.

    Examples
    --------
    >>> translator("en")("menukaart"), translator("nl")("menukaart")
    ('Menu card', 'Menukaart')
    >>> translator("nl")("features", 1), translator("nl")("features", 2)
    ('object', 'objecten')
    """

    def t(key: str, n: Any = None) -> str:
        if n == 1 and f"{key}_one" in MESSAGES:
            key = f"{key}_one"
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
    "activity": {"nl": "Beweegvriendelijkheid", "en": "Activity-friendly environment"},
    "emf": {"nl": "Elektromagnetische velden", "en": "Electromagnetic fields"},
    "external-safety": {"nl": "Externe veiligheid", "en": "External safety"},
    "flood": {"nl": "Waterveiligheid", "en": "Flood safety"},
    "odour": {"nl": "Geur", "en": "Odour"},
    "scoreboard": {"nl": "Scorebord", "en": "Scoreboard"},
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
