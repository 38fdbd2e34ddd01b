"""The API definition of a job's features API (:mod:`gsl_service.ogc.features`), OpenAPI 3.0."""

from __future__ import annotations

from typing import Any

from gsl_service.ogc.features_query import DEFAULT_LIMIT, MAX_LIMIT

_JOB = {"name": "jobId", "in": "path", "required": True, "schema": {"type": "string"}}
_COLLECTION = {
    "name": "collectionId",
    "in": "path",
    "required": True,
    "description": "A per-feature output of the job (e.g. `buildings`).",
    "schema": {"type": "string"},
}
_FEATURE = {
    "name": "featureId",
    "in": "path",
    "required": True,
    "description": "The feature's position in the output (0, 1, …).",
    "schema": {"type": "integer", "minimum": 0},
}
_F = {
    "name": "f",
    "in": "query",
    "required": False,
    "description": "The format: `json` (also `geojson` for features); any other is a 406.",
    "schema": {"type": "string", "enum": ["json", "geojson"]},
}
_CRS = {
    "name": "crs",
    "in": "query",
    "required": False,
    "description": (
        "The CRS of the geometries returned (OGC API – Features Part 2): "
        "`http://www.opengis.net/def/crs/OGC/1.3/CRS84` (the default) or the output's own "
        "(its collection's `storageCrs`, e.g. `http://www.opengis.net/def/crs/EPSG/0/28992`)."
    ),
    "schema": {"type": "string", "format": "uri"},
}
_ITEMS_PARAMETERS = [
    _JOB,
    _COLLECTION,
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"Features in one page; above {MAX_LIMIT} the maximum is used.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": "Position of the first feature of the page among those matched.",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    {
        "name": "bbox",
        "in": "query",
        "required": False,
        "description": (
            "Only features whose geometry meets this box: minx,miny,maxx,maxy (or six "
            "numbers with heights) in `bbox-crs`, CRS84 (longitude, latitude) by default."
        ),
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    },
    {
        "name": "bbox-crs",
        "in": "query",
        "required": False,
        "description": "The CRS of `bbox` (one of the collection's `crs`).",
        "schema": {"type": "string", "format": "uri"},
    },
    _CRS,
    {
        "name": "datetime",
        "in": "query",
        "required": False,
        "description": (
            "An RFC 3339 date-time or interval; a result's features carry no time, so every "
            "feature matches it."
        ),
        "schema": {"type": "string"},
    },
    _F,
]


def _json(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def _geojson(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {
            "Content-Crs": {
                "description": "The CRS of the geometries, as `<URI>`.",
                "schema": {"type": "string"},
            }
        },
        "content": {"application/geo+json": {"schema": {"type": "object"}}},
    }


def features_paths(
    bad: dict[str, Any], missing: dict[str, Any], not_acceptable: dict[str, Any]
) -> dict[str, Any]:
    """Return the paths of ``/jobs/{jobId}/features`` (``bad``, ``missing``: the 400/404 responses)."""
    errors = {"400": bad, "404": missing, "406": not_acceptable}
    base = "/jobs/{jobId}/features"

    def get(
        summary: str, op: str, params: list[dict[str, Any]], ok: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "get": {
                "summary": summary,
                "tags": ["jobs"],
                "operationId": op,
                "parameters": params,
                "responses": {"200": ok, **errors},
            }
        }

    return {
        base: get(
            "A job's per-feature outputs as OGC API – Features: landing page",
            "getJobFeaturesLanding",
            [_JOB, _F],
            _json("Links to the conformance, the collections and the API definition"),
        ),
        f"{base}/conformance": get(
            "The OGC API – Features conformance classes of a job's outputs",
            "getJobFeaturesConformance",
            [_JOB, _F],
            _json("Part 1 core, GeoJSON and OpenAPI 3.0; Part 2 CRS"),
        ),
        f"{base}/collections": get(
            "Every per-feature output of a job as a collection",
            "getJobFeatureCollections",
            [_JOB, _F],
            _json("The collections: extent, CRSs and downloads of each"),
        ),
        f"{base}/collections/{{collectionId}}": get(
            "One per-feature output of a job as a collection",
            "getJobFeatureCollection",
            [_JOB, _COLLECTION, _F],
            _json("The collection: its extent (CRS84), `crs`, `storageCrs` and downloads"),
        ),
        f"{base}/collections/{{collectionId}}/items": get(
            "A page of an output's features",
            "getJobFeatures",
            _ITEMS_PARAMETERS,
            _geojson(
                "A GeoJSON FeatureCollection with `numberMatched`, `numberReturned`, "
                "`timeStamp` and `next`/`prev` links"
            ),
        ),
        f"{base}/collections/{{collectionId}}/items/{{featureId}}": get(
            "One feature of an output, by its position",
            "getJobFeature",
            [_JOB, _COLLECTION, _FEATURE, _CRS, _F],
            _geojson("A GeoJSON Feature"),
        ),
    }
