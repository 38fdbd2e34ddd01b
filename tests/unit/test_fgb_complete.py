"""A FlatGeobuf cut short is refused (a 400 naming the input), never read as fewer features.

GDAL reads a FlatGeobuf cut inside its index as an empty layer without an error; the
reader checks the file's length against its header and index, and a whole read's count
against the header's. The index size is checked independently: walking the features'
length prefixes from where the index ends lands exactly on the file's last byte, for
files written by GDAL with and without a spatial index. Every cut of such a file either
fails or, with a ``bbox``, gives exactly the features of the whole file in that box.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import geopandas
import numpy as np
import pyogrio
import pytest
import shapely

from gsl_indicators.core import sources
from gsl_indicators.core.fgb_complete import header_numbers, index_bytes
from gsl_indicators.core.spec import InputError

SHARED_HOMES = Path(__file__).resolve().parents[3] / "shared/data/amsterdam/homes_1000.geojson"


def _fgb(tmp_path: Path, n: int, index: bool) -> bytes:
    rng = np.random.default_rng(7)
    xy = rng.uniform([120000, 480000], [125000, 485000], size=(n, 2))
    path = tmp_path / f"points-{n}-{index}.fgb"
    pyogrio.write_dataframe(
        geopandas.GeoDataFrame(
            {"dwellings": rng.integers(1, 9, n)},
            geometry=shapely.points(xy),
            crs="EPSG:28992",
        ),
        path,
        driver="FlatGeobuf",
        layer_options={"SPATIAL_INDEX": "YES" if index else "NO"},
    )
    return path.read_bytes()


def _read(data: bytes, bbox: tuple[float, float, float, float] | None = None):
    value = {
        "format": "flatgeobuf",
        "bytes": data,
        "bbox": list(bbox) if bbox else None,
        "href": "homes.fgb",
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    return sources.read_table("buildings", value)


@pytest.mark.parametrize(("n", "index"), [(1000, True), (1000, False), (1, True), (257, True)])
def test_the_index_ends_where_the_features_begin(tmp_path, n, index) -> None:
    data = _fgb(tmp_path, n, index)
    end, count, node = header_numbers(data)
    assert count == n and (node > 0) == index
    pos = end + index_bytes(count, node)
    for _ in range(count):  # each feature: a uint32 length, then that many bytes
        (length,) = struct.unpack_from("<I", data, pos)
        pos += 4 + length
    assert pos == len(data)


@pytest.mark.parametrize("index", [True, False])
def test_every_cut_is_refused_or_reads_the_whole_files_features_in_the_box(tmp_path, index) -> None:
    data = _fgb(tmp_path, 1000, index)
    whole = _read(data)
    assert len(whole.geometries) == 1000
    box = (121000.0, 481000.0, 123000.0, 483000.0)
    inside = {g.wkb for g in _read(data, box).geometries}
    assert 0 < len(inside) < 1000
    refused = 0
    for cut in [*range(0, len(data), 997), len(data) - 1]:
        with pytest.raises(InputError, match="not a readable FlatGeobuf"):
            _read(data[:cut])  # a whole read of a cut file: always refused
        try:
            got = _read(data[:cut], box)
        except InputError:
            refused += 1
            continue
        assert {g.wkb for g in got.geometries} == inside, cut  # never fewer than the box holds
    assert refused > 0


def test_a_cut_inside_the_index_names_the_truncation(tmp_path) -> None:
    data = _fgb(tmp_path, 1000, True)
    for bbox in (None, (121000.0, 481000.0, 123000.0, 483000.0)):
        with pytest.raises(InputError, match="truncated file") as err:
            _read(data[:10_000], bbox)
        assert err.value.input_name == "buildings"


@pytest.mark.skipif(not SHARED_HOMES.exists(), reason=f"no shared data at {SHARED_HOMES}")
def test_the_amsterdam_homes_cut_short(tmp_path) -> None:
    """The case found over HTTP: the first 1,500 to 41,000 bytes read as 0 homes, a 200."""
    path = tmp_path / "homes.fgb"
    pyogrio.write_dataframe(pyogrio.read_dataframe(SHARED_HOMES), path, driver="FlatGeobuf")
    data = path.read_bytes()
    assert len(_read(data).geometries) == 1000
    for cut in (1_500, 2_000, 10_000, 40_000, 41_000):
        with pytest.raises(InputError, match="truncated"):
            _read(data[:cut])


def test_an_index_node_size_of_one_is_refused_at_once() -> None:
    """A node size of 1 never reaches a root: refused, not computed for ever."""
    with pytest.raises(ValueError, match="node size of 1"):
        index_bytes(650_000, 1)
