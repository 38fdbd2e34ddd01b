"""A query parameter a route does not take is a 400 naming it, never ignored.

Before, ``/jobs?procesID=x`` (misspelt) answered every job and ``/processes?limt=2``
every process, as if nothing had been asked; the features API and the results routes
already refused theirs (their own tests). Each route is asked with a parameter it does
not know, then with every parameter it does, which must still be answered.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.helpers import assert_problem

PROCESS = "green-3-30-300"

#: (method, path, the parameters the route takes, with values it accepts)
ROUTES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/", {"f": "json", "lang": "en"}),
    ("GET", "/conformance", {"f": "json", "lang": "en"}),
    ("GET", "/openapi", {"f": "json", "lang": "en", "ui": "swagger"}),
    ("GET", "/processes", {"f": "json", "lang": "en", "limit": "2", "offset": "1"}),
    ("GET", f"/processes/{PROCESS}", {"f": "json", "lang": "en"}),
    (
        "GET",
        "/jobs",
        {
            "f": "json",
            "lang": "en",
            "limit": "3",
            "offset": "0",
            "type": "process",
            "processID": PROCESS,
            "status": "successful",
            "datetime": "2020-01-01T00:00:00Z/..",
            "minDuration": "0",
            "maxDuration": "3600",
        },
    ),
    ("GET", "/menukaart", {"f": "json", "lang": "en"}),
    ("GET", "/menukaart", {"f": "html", "lang": "en", "profile": "nl-default"}),
    ("GET", "/menukaart/profiles/nl-default", {"f": "json", "lang": "en"}),
]


@pytest.mark.parametrize(
    ("method", "path", "known"), ROUTES, ids=[f"{r[1]}-{r[2]['f']}" for r in ROUTES]
)
def test_an_unknown_parameter_is_a_400_naming_it(
    client: Any, method: str, path: str, known: dict[str, str]
) -> None:
    r = client.request(method, path, params={**known, "procesID": PROCESS})
    if known["f"] == "html":
        assert r.status_code == 400 and "procesID" in r.text, r.text
        return
    doc = assert_problem(r, 400, "invalid-parameter-value", "procesID", "not a query parameter")
    assert doc["input"] == "procesID"
    for name in known:  # the detail lists what the resource takes
        assert repr(name) in doc["detail"], (name, doc["detail"])


@pytest.mark.parametrize(
    ("method", "path", "known"), ROUTES, ids=[f"{r[1]}-{r[2]['f']}" for r in ROUTES]
)
def test_every_parameter_a_route_takes_is_answered(
    client: Any, method: str, path: str, known: dict[str, str]
) -> None:
    r = client.request(method, path, params=known)
    assert r.status_code == 200, r.text


def test_a_misspelt_job_filter_no_longer_lists_every_job(client: Any) -> None:
    body = {"inputs": {}}
    client.post(f"/processes/{PROCESS}/execution", json=body)  # a job or a 400: either way
    assert client.get("/jobs", params={"processID": "none-such"}).json()["numberMatched"] == 0
    r = client.get("/jobs", params={"processId": "none-such"})
    assert_problem(r, 400, "invalid-parameter-value", "processId")


def test_a_job_and_its_dismissal_take_f_and_lang_only(client: Any) -> None:
    r = client.get("/jobs/no-such-job", params={"status": "running"})
    assert_problem(r, 400, "invalid-parameter-value", "status", "['f', 'lang']")
    r = client.delete("/jobs/no-such-job", params={"force": "1"})
    assert_problem(r, 400, "invalid-parameter-value", "force")
    r = client.get("/jobs/no-such-job", params={"f": "json", "lang": "en"})
    assert_problem(r, 404, "no-such-job")


def test_execution_takes_f_json_alone(client: Any) -> None:
    """Everything an execution asks is in its body and its ``Prefer`` header; ``f=json``,
    which generic OGC clients may add, is what it answers anyway."""
    url = f"/processes/{PROCESS}/execution"
    r = client.post(url, params={"lang": "en"}, json={})
    assert_problem(r, 400, "invalid-parameter-value", "lang", "it takes ['f']")
    r = client.post(url, params={"f": "xml"}, json={})
    assert_problem(r, 400, "invalid-parameter-value", "f=", "not offered")
    r = client.post(url, params={"f": "json"}, json={"inputs": {}})
    assert_problem(r, 400, "invalid-parameter-value", "buildings")  # the body's turn


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/processes", "limit=2&limit=3"),
        ("/jobs", "offset=0&offset=5"),
        ("/jobs", "datetime=2020-01-01&datetime=2030-01-01"),
        ("/", "lang=en&lang=nl"),
        (f"/jobs/x/results/{PROCESS}", "crs=EPSG:4326&crs=EPSG:28992"),
    ],
)
def test_a_parameter_given_twice_is_a_400(client: Any, path: str, query: str) -> None:
    """The last value would otherwise win unseen."""
    name = query.split("=")[0]
    r = client.get(f"{path}?{query}")
    assert_problem(r, 400, "invalid-parameter-value", f"{name}: given 2 times")


def test_the_features_api_refuses_a_parameter_given_twice(client: Any) -> None:
    r = client.get("/jobs/x/features/collections?f=json&f=json")
    assert_problem(r, 400, "invalid-parameter-value", "f: given 2 times")


def test_the_job_lists_filters_take_several_values(client: Any) -> None:
    r = client.get("/jobs?status=successful&status=failed&processID=a&processID=b&type=process")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("lang", ["de", "xx", "fr-FR"])
def test_a_language_the_pages_do_not_speak_is_a_400(client: Any, lang: str) -> None:
    for path in ("/processes", "/jobs", f"/jobs/x/results/{PROCESS}"):
        r = client.get(path, params={"lang": lang})
        assert_problem(r, 400, "invalid-parameter-value", "lang", "['nl', 'en']")
    for ok in ("en", "EN-gb", "nl_NL"):
        assert client.get("/processes", params={"lang": ok}).status_code == 200


def test_the_menu_card_names_an_unknown_parameter_before_the_format(client: Any) -> None:
    r = client.get("/menukaart", params={"f": "xml", "bogus": "1"})
    assert_problem(r, 400, "invalid-parameter-value", "bogus")


def test_a_card_takes_f_and_lang(client: Any) -> None:
    cards = client.get("/menukaart").json()["cards"]
    path = f"/menukaart/{cards[0]['id']}"
    assert client.get(path, params={"f": "csv", "lang": "en"}).status_code == 200
    assert_problem(client.get(path, params={"profile": "x"}), 400, "invalid-parameter-value")


def test_a_page_asked_with_an_unknown_parameter_is_an_error_page(client: Any) -> None:
    r = client.get("/jobs", params={"f": "html", "statsu": "failed"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/html")
    assert "statsu" in r.text


def test_the_menu_cards_json_refuses_a_profile_it_would_not_use(client: Any) -> None:
    """Its JSON lists every profile; ``profile=`` picks the one the page shows."""
    r = client.get("/menukaart", params={"f": "json", "profile": "nl-default"})
    assert_problem(r, 400, "invalid-parameter-value", "profile")
    page = client.get("/menukaart", params={"f": "html", "profile": "ggo-utrecht-example"})
    assert page.status_code == 200 and "ggo-utrecht-example" in page.text
