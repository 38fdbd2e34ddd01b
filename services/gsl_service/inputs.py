"""Inputs by reference: ``{"href": ..., "type": ...}`` fetched with httpx, safely.

* **Address guard (SSRF).** Only ``http``/``https`` URLs whose host resolves to
  public (global) addresses only — every resolved address must be global — unless
  the host name, or every resolved address, is listed in ``GSL_FETCH_ALLOWLIST``
  (host names or CIDRs). Redirects are followed by hand (at most 5), each target
  checked the same way, so a public URL cannot redirect into the private network.
  IPv6 addresses that wrap an IPv4 address (IPv4-mapped ``::ffff:0:0/96``,
  IPv4-compatible ``::/96``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``, Teredo) are
  judged by the IPv4 address they wrap; the local-use NAT64 prefix ``64:ff9b:1::/48``
  is refused unless allowlisted.
* **Pinned connections.** The check happens in the HTTP transport
  (:class:`PinnedTransport`), which then connects to the very address it vetted,
  keeping the host name for the ``Host`` header, TLS SNI and certificate checks: a
  name cannot resolve to a public address for the check and a private one for the
  connection (DNS rebinding). The same guard and transport protect callback URLs
  (:mod:`gsl_service.callbacks`).
* **Limits.** The body is streamed and the fetch stops beyond ``GSL_FETCH_MAX_BYTES``
  (summed over all pages of a paged collection) or ``GSL_FETCH_TIMEOUT_S`` (per
  network operation and for the whole input).
* **GeoJSON** (``application/geo+json``, ``application/json`` or no type): the body
  must be a FeatureCollection (a single Feature is wrapped). OGC API – Features pages
  are followed through their ``rel="next"`` links (PDOK does this) and merged into one
  FeatureCollection; a ``Content-Crs`` header becomes a ``crs`` member.
* **FlatGeobuf and GeoParquet** (``application/flatgeobuf``,
  ``application/vnd.apache.parquet``; or no type and the file's magic bytes, the served
  Content-Type or the URL's ending ``.fgb``/``.parquet``): the bytes are fetched under
  the same guard and limits and the input becomes a *file source*
  (:mod:`gsl_indicators.core.sources`) that the worker reads as columns with GDAL or
  pyarrow. A reference may carry ``"bbox": [minx, miny, maxx, maxy]`` (in the file's
  CRS) so that only the features whose box meets it are read; a GeoJSON file with a
  ``bbox`` is read the same way, and an OGC API – Features ``…/items`` URL gets it as
  its ``bbox`` query parameter (longitude/latitude, the standard's default), pages
  followed as before.
* **GeoTIFF** (``image/tiff`` or ``application/x-geotiff``, or a ``.tif``/``.tiff``
  URL): the input becomes ``{"href", "type", "bytes", "sha256"}``; the raw bytes
  go to the kernel and the digest into the cache key.

* **Other inputs** (parameters) by reference: the body must be JSON (``application/json``
  or no type) and becomes the value, fetched under the same guard and limits; the value
  then takes part in the cache key like an inline one.
* **Qualified values** ``{"value": ..., "mediaType": ...}`` (OGC API – Processes 1.0)
  are unwrapped for every input. Only objects with exactly those members (``value`` plus
  ``mediaType``/``encoding``/``schema``) or exactly a link (``href`` plus
  ``type``/``rel``/``title``/``hreflang``) are taken for one, so an object parameter
  with a member called ``value`` or ``href`` among others is left as it is.

Errors raise :class:`~gsl_service.errors.FetchError` naming the input and the reason.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urljoin, urlsplit

import httpx
import orjson

from gsl_indicators.core import sources
from gsl_indicators.core.geo import REFERENCE_MEMBERS
from gsl_indicators.core.spec import InputError
from gsl_service import observer
from gsl_service.errors import FetchError
from gsl_service.http_reads import body_chunks, read_responses_in_larger_chunks

if TYPE_CHECKING:
    from gsl_service.spool import Spool

TIFF_TYPES = ("image/tiff", "image/geotiff", "application/x-geotiff")
JSON_TYPES = ("application/geo+json", "application/json", "application/vnd.geo+json")
FILE_TYPES = (sources.FLATGEOBUF, sources.GEOPARQUET)
#: What a geo reference without a type asks for: GeoJSON first, files next.
FILE_ACCEPT = (
    "application/geo+json, application/json;q=0.9, application/flatgeobuf;q=0.8, "
    "application/vnd.apache.parquet;q=0.8"
)
MAX_REDIRECTS = 5

read_responses_in_larger_chunks()  # a file by reference in reads of 1 MiB, not 64 KiB

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: A resolver: ``(host, port) -> addresses`` (strings), like ``socket.getaddrinfo``.
Resolver = Callable[[str, int], Sequence[str]]

#: IPv6 prefixes whose last 32 bits are an IPv4 address (RFC 6052 NAT64, RFC 4291 §2.5.5.1).
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
#: The local-use NAT64 prefix (RFC 8215): where the IPv4 address sits depends on the
#: operator's prefix length, so it is refused unless allowlisted.
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address wraps (``None`` when it wraps none).

    IPv4-mapped, IPv4-compatible, 6to4 (``2002::/16``), NAT64 (``64:ff9b::/96``)
    and Teredo (the client address) forms.

    Examples
    --------
    >>> [str(embedded_ipv4(ipaddress.ip_address(a))) for a in (
    ...     "::ffff:10.0.0.1", "::127.0.0.1", "2002:7f00:1::", "64:ff9b::7f00:1",
    ...     "2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:db8::1", "127.0.0.1")]
    ['10.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1', 'None', 'None']
    """
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64_WELL_KNOWN or ip in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Return the addresses ``host`` resolves to (``socket.getaddrinfo``, TCP)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]).split("%")[0] for info in infos]


class UnsafeURL(ValueError):
    """A URL that the address guard refuses."""


class UnresolvableHost(UnsafeURL):
    """A URL whose host name does not resolve (now)."""


class AddressGuard:
    """Decide whether the service may connect to a URL.

    Parameters
    ----------
    allowlist : sequence of str
        Host names (exact, case-insensitive) and CIDRs that may be reached although
        not public.
    resolver : callable, optional
        ``(host, port) -> addresses``; default :func:`system_resolver` (tests pass a
        stub).

    Examples
    --------
    >>> g = AddressGuard(["10.1.0.0/16", "intern.example"])
    >>> g.check("http://10.1.2.3/x")
    >>> g.check("http://169.254.169.254/latest/meta-data")
    Traceback (most recent call last):
    ...
    gsl_service.inputs.UnsafeURL: http://169.254.169.254/latest/meta-data: address 169.254.169.254 is not public (not in GSL_FETCH_ALLOWLIST)
    >>> g.check("file:///etc/passwd")
    Traceback (most recent call last):
    ...
    gsl_service.inputs.UnsafeURL: file:///etc/passwd: only http and https URLs are allowed
    >>> g.check("http://[2002:7f00:1::]/")  # 6to4 around 127.0.0.1
    Traceback (most recent call last):
    ...
    gsl_service.inputs.UnsafeURL: http://[2002:7f00:1::]/: address 2002:7f00:1:: is not public (not in GSL_FETCH_ALLOWLIST)
    """

    def __init__(self, allowlist: Sequence[str] = (), resolver: Resolver | None = None) -> None:
        self.resolver: Resolver = resolver or system_resolver
        self.hosts: set[str] = set()
        self.networks: list[IPNetwork] = []
        for item in allowlist:
            item = item.strip()
            if not item:
                continue
            try:
                self.networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.hosts.add(item.lower().rstrip("."))

    def _allowed_ip(self, ip: IPAddress) -> bool:
        if any(ip in net for net in self.networks):
            return True
        if isinstance(ip, ipaddress.IPv6Address) and ip in NAT64_LOCAL:
            return False
        inner = embedded_ipv4(ip)
        if inner is not None:
            return self._allowed_ip(inner)
        return ip.is_global and not ip.is_multicast

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Return every address ``host`` resolves to (a literal address is itself)."""
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        try:
            answers = self.resolver(host, port)
        except OSError as err:
            raise UnresolvableHost(f"cannot resolve host '{host}': {err}") from None
        if not answers:
            raise UnresolvableHost(f"cannot resolve host '{host}': no addresses")
        return [ipaddress.ip_address(a) for a in answers]

    def vet(self, url: str) -> IPAddress | None:
        """Check ``url`` and return the address to connect to.

        ``None`` when the host name itself is allowlisted (connect by name). Raises
        :class:`UnsafeURL` unless every address the host resolves to is allowed; the
        first one is returned, so the caller connects to an address that was checked.

        Examples
        --------
        >>> g = AddressGuard(resolver=lambda host, port: ["93.184.216.34"])
        >>> g.vet("https://example.org/a.json")
        IPv4Address('93.184.216.34')
        >>> AddressGuard(["intern"]).vet("http://intern/x") is None
        True
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise UnsafeURL(f"{url}: only http and https URLs are allowed")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise UnsafeURL(f"{url}: no host")
        if host in self.hosts:
            return None
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise UnsafeURL(f"{url}: bad port") from None
        addresses = self.resolve(host, port)
        for ip in addresses:
            if not self._allowed_ip(ip):
                raise UnsafeURL(f"{url}: address {ip} is not public (not in GSL_FETCH_ALLOWLIST)")
        return addresses[0]

    def check(self, url: str) -> None:
        """Raise :class:`UnsafeURL` unless ``url`` may be fetched."""
        self.vet(url)


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport that vets every request and connects to the vetted address.

    The URL's host is replaced by the address :meth:`AddressGuard.vet` returned; the
    ``Host`` header keeps the name, and for https the name is the TLS server name
    (SNI) that the certificate is checked against. One connection pool per host name,
    so a TLS connection verified for one name is never reused for another name that
    shares its address. Refusals raise :class:`UnsafeURL` from ``client.send``.

    Parameters
    ----------
    guard : AddressGuard
        Decides and resolves.
    factory : callable, optional
        Returns the inner transport of a host name (default ``httpx.HTTPTransport``);
        tests pass one that records what would be sent.
    max_hosts : int
        Connection pools kept (least recently used pools are closed beyond).
    """

    def __init__(
        self,
        guard: AddressGuard,
        factory: Callable[[], httpx.BaseTransport] | None = None,
        max_hosts: int = 32,
    ) -> None:
        self.guard = guard
        self.factory = factory or (lambda: httpx.HTTPTransport(trust_env=False))
        self.max_hosts = max_hosts
        self._pools: OrderedDict[str, httpx.BaseTransport] = OrderedDict()
        self._lock = threading.Lock()

    def _pool(self, host: str) -> httpx.BaseTransport:
        with self._lock:
            pool = self._pools.get(host)
            if pool is None:
                pool = self._pools[host] = self.factory()
                while len(self._pools) > self.max_hosts:
                    self._pools.popitem(last=False)[1].close()
            else:
                self._pools.move_to_end(host)
            return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Vet the request's URL, then send it to the vetted address."""
        host = request.url.host
        ip = self.guard.vet(str(request.url))
        if ip is not None:
            extensions = dict(request.extensions)
            if request.url.scheme == "https":
                extensions["sni_hostname"] = host
            request = httpx.Request(
                request.method,
                request.url.copy_with(host=str(ip)),
                headers=request.headers,  # Host: the name, set when the request was built
                stream=request.stream,
                extensions=extensions,
            )
        return self._pool(host).handle_request(request)

    def close(self) -> None:
        """Close every connection pool."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()


def pinned_client(
    guard: AddressGuard,
    timeout_s: float,
    factory: Callable[[], httpx.BaseTransport] | None = None,
) -> httpx.Client:
    """Return an httpx client whose every request goes through :class:`PinnedTransport`.

    Redirects are not followed (callers follow them by hand, each one vetted again).
    """
    return httpx.Client(
        transport=PinnedTransport(guard, factory),
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        trust_env=False,
    )


#: Members of an OGC qualified input value besides ``value``.
QUALIFIED_KEYS = frozenset({"value", "mediaType", "encoding", "schema"})
#: Members of an OGC link (an input by reference) besides ``href``.
REFERENCE_KEYS = frozenset(REFERENCE_MEMBERS)


def is_qualified_value(value: Any) -> bool:
    """Return whether ``value`` is exactly an OGC qualified value ``{"value", ...}``.

    Only ``value`` plus the optional ``mediaType``, ``encoding`` and ``schema``: an
    object parameter with other members besides a ``value`` key is left alone.

    Examples
    --------
    >>> is_qualified_value({"value": "hi", "mediaType": "text/plain"})
    True
    >>> is_qualified_value({"value": 3, "unit": "m"}), is_qualified_value({"mediaType": "x"})
    (False, False)
    """
    return isinstance(value, Mapping) and "value" in value and set(value) <= QUALIFIED_KEYS


def _is_href(value: Any) -> bool:
    """Return whether ``value`` is exactly a reference ``{"href", ...}`` (an OGC link).

    Examples
    --------
    >>> _is_href({"href": "https://x/a.json", "type": "application/json"})
    True
    >>> _is_href({"href": "https://x", "label": "a parameter object"})
    False
    """
    return isinstance(value, Mapping) and "href" in value and set(value) <= REFERENCE_KEYS


def unwrap_values(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``inputs`` with every qualified value replaced by its ``value``.

    Items of an input given as a list are unwrapped one by one (an OGC array of
    qualified values).

    Examples
    --------
    >>> unwrap_values({"message": {"value": "hi"}, "n": [{"value": 1}, 2], "o": {"value": 1, "x": 2}})
    {'message': 'hi', 'n': [1, 2], 'o': {'value': 1, 'x': 2}}
    """
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if is_qualified_value(value):
            value = value["value"]
        elif isinstance(value, list) and any(is_qualified_value(v) for v in value):
            value = [v["value"] if is_qualified_value(v) else v for v in value]
        out[name] = value
    return out


def _refused(reason: str, detail: str, name: str) -> FetchError:
    """Return the FetchError of a refused fetch, counted by ``reason`` (metrics)."""
    observer.fetch_refused(reason)
    return FetchError(detail, input_name=name)


class Fetcher:
    """Fetch href inputs under the address guard and the size and time limits.

    Parameters
    ----------
    guard : AddressGuard
        Which addresses may be reached.
    max_bytes : int
        Largest total body size of one input.
    timeout_s : float
        Time limit per network operation and for a whole input.
    max_pages : int
        Most pages followed for one paged FeatureCollection.
    transport_factory : callable, optional
        Inner transport per host name of the :class:`PinnedTransport` (tests).
    spool : Spool, optional
        Where FlatGeobuf and GeoParquet files are written as they are fetched
        (:mod:`gsl_service.spool`): the input then becomes a file source *by reference*
        pinned by the content's sha256, and no file's bytes are held in memory or
        travel through the job store. ``None``: the bytes are kept in the source.
    """

    def __init__(
        self,
        guard: AddressGuard,
        max_bytes: int = 100 * 2**20,
        timeout_s: float = 30.0,
        max_pages: int = 1000,
        transport_factory: Callable[[], httpx.BaseTransport] | None = None,
        spool: Spool | None = None,
    ) -> None:
        self.guard = guard
        self.spool = spool
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.max_pages = max_pages
        self.transport_factory = transport_factory
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        """The pinned HTTP client (created on first use); redirects are handled here.

        One client for every thread: its connection pools lock themselves (httpcore,
        :class:`PinnedTransport`); the lock here keeps threads fetching at once
        (:func:`gsl_service.references.fetch_in_order`) from each creating one.
        """
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = pinned_client(self.guard, self.timeout_s, self.transport_factory)
        return self._client

    def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            self._client.close()

    def _get(
        self,
        name: str,
        url: str,
        budget: int,
        deadline: float,
        accept: str,
        sink: BinaryIO | None = None,
    ) -> tuple[bytes, httpx.Headers, str]:
        """GET ``url`` (following safe redirects); return body, headers and final URL.

        With ``sink`` the body is written there as it comes (and ``b""`` returned), so
        a large file never sits in memory whole.
        """
        for _ in range(MAX_REDIRECTS + 1):
            try:  # the pinned transport vets every URL (each redirect target too)
                with self.client.stream("GET", url, headers={"Accept": accept}) as resp:
                    if resp.is_redirect:
                        location = resp.headers.get("location")
                        if not location:
                            raise _refused(
                                "status",
                                f"input '{name}': redirect without Location from {url}",
                                name,
                            )
                        url = urljoin(url, location)
                        continue
                    if resp.status_code >= 400:
                        raise _refused(
                            "status",
                            f"input '{name}': {url} answered HTTP {resp.status_code}",
                            name,
                        )
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > budget:
                        raise _refused(
                            "size",
                            f"input '{name}': {url} is larger than the limit of "
                            f"{self.max_bytes} bytes",
                            name,
                        )
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in body_chunks(resp):
                        size += len(chunk)
                        if size > budget:
                            raise _refused(
                                "size",
                                f"input '{name}': {url} is larger than the limit of "
                                f"{self.max_bytes} bytes",
                                name,
                            )
                        if time.monotonic() > deadline:
                            raise _refused(
                                "time",
                                f"input '{name}': fetching {url} took longer than "
                                f"{self.timeout_s} s",
                                name,
                            )
                        if sink is None:
                            chunks.append(chunk)
                        else:
                            sink.write(chunk)
                    observer.fetched(size)
                    return b"".join(chunks), resp.headers, url
            except UnsafeURL as err:
                raise _refused("address", f"input '{name}': {err}", name) from None
            except httpx.TimeoutException:
                raise _refused(
                    "time",
                    f"input '{name}': fetching {url} took longer than {self.timeout_s} s",
                    name,
                ) from None
            except httpx.HTTPError as err:
                raise _refused(
                    "error",
                    f"input '{name}': fetching {url} failed: {type(err).__name__}: {err}",
                    name,
                ) from None
        raise _refused("status", f"input '{name}': more than {MAX_REDIRECTS} redirects", name)

    def fetch(self, name: str, ref: Mapping[str, Any]) -> Any:
        """Return the value of an href input: a FeatureCollection or a raster dict."""
        url = ref.get("href")
        if not isinstance(url, str) or not url:
            raise FetchError(f"input '{name}': 'href' must be a URL", input_name=name)
        media = str(ref.get("type") or "").split(";")[0].strip().lower()
        deadline = time.monotonic() + self.timeout_s
        path = urlsplit(url).path.lower()
        if media in TIFF_TYPES or (not media and path.endswith((".tif", ".tiff"))):
            if ref.get("bbox") is not None:
                raise FetchError(
                    f"input '{name}': a bbox selects features of a vector layer (FlatGeobuf, "
                    "GeoParquet, GeoJSON, OGC API – Features); a GeoTIFF is read whole",
                    input_name=name,
                )
            body, _, _ = self._get(name, url, self.max_bytes, deadline, "image/tiff")
            return {
                "href": url,
                "type": media or "image/tiff",
                "bytes": body,
                "sha256": hashlib.sha256(body).hexdigest(),
            }
        fmt = sources.format_of_media(media) if media else None
        if media and fmt is None:
            raise FetchError(
                f"input '{name}': media type '{media}' is not supported by reference "
                f"(use one of {', '.join(JSON_TYPES + FILE_TYPES + TIFF_TYPES)})",
                input_name=name,
            )
        try:
            bbox = sources.check_bbox(name, ref.get("bbox"))
        except InputError as err:
            raise FetchError(str(err), input_name=name) from None
        if path.endswith("/items"):  # OGC API – Features: the server filters and pages
            if bbox is not None:
                sep = "&" if urlsplit(url).query else "?"
                url = f"{url}{sep}bbox={','.join(repr(v) for v in bbox)}"
            return self._fetch_collection(name, url, deadline)
        if fmt == "geojson" and bbox is None:
            return self._fetch_collection(name, url, deadline)
        accept = FILE_ACCEPT if fmt is None else ", ".join(sources.MEDIA_TYPES[fmt])
        if self.spool is not None:
            return self._fetch_file(name, url, fmt, bbox, deadline, accept, path)
        body, headers, final = self._get(name, url, self.max_bytes, deadline, accept)
        served = str(headers.get("content-type") or "").split(";")[0].strip().lower()
        found = (
            fmt
            or sources.sniff(body)
            or sources.format_of_media(served)
            or sources.format_of_path(path)
        )
        if found is None or (found == "geojson" and bbox is None):
            # JSON (paged like any collection), or not a file we know: judged as JSON
            return self._fetch_collection(name, url, deadline, first=(body, headers, final))
        return sources.file_source(
            data=body, fmt=found, href=url, bbox=bbox, sha256=hashlib.sha256(body).hexdigest()
        )

    def _fetch_file(
        self,
        name: str,
        url: str,
        fmt: str | None,
        bbox: tuple[float, float, float, float] | None,
        deadline: float,
        accept: str,
        path: str,
    ) -> Any:
        """Fetch a file into the spool; return the file source by reference (pinned)."""
        assert self.spool is not None
        spooled = self.spool.download(
            lambda sink: self._get(name, url, self.max_bytes, deadline, accept, sink=sink)
        )
        served = str(spooled.headers.get("content-type") or "").split(";")[0].strip().lower()
        found = (
            fmt
            or sources.sniff(spooled.head)
            or sources.format_of_media(served)
            or sources.format_of_path(path)
        )
        if found is None or (found == "geojson" and bbox is None):
            # JSON (paged like any collection), or not a file we know: judged as JSON
            try:
                body = spooled.path.read_bytes()
            except FileNotFoundError:  # trimmed by a fetch beside this one: fetch again
                return self._fetch_collection(name, url, deadline)
            first = (body, spooled.headers, spooled.final)
            return self._fetch_collection(name, url, deadline, first=first)
        return sources.file_source(
            fmt=found, href=url, bbox=bbox, sha256=spooled.sha256, size=spooled.size
        )

    def _fetch_collection(
        self,
        name: str,
        url: str,
        deadline: float,
        first: tuple[bytes, httpx.Headers, str] | None = None,
    ) -> dict[str, Any]:
        """Return the FeatureCollection at ``url``, pages merged (``first``: page one, fetched)."""
        accept = "application/geo+json, application/json;q=0.9"
        features: list[Any] = []
        first_doc: dict[str, Any] | None = None
        used = 0
        seen: set[str] = set()
        next_url: str | None = url
        pages = 0
        while next_url:
            if next_url in seen:
                break
            seen.add(next_url)
            pages += 1
            if pages > self.max_pages:
                raise FetchError(
                    f"input '{name}': more than {self.max_pages} pages at {url}",
                    input_name=name,
                )
            if first is not None:
                body, headers, final = first
                first = None
            else:
                body, headers, final = self._get(
                    name, next_url, self.max_bytes - used, deadline, accept
                )
            used += len(body)
            try:
                doc = orjson.loads(body)
            except orjson.JSONDecodeError as err:
                raise FetchError(
                    f"input '{name}': {next_url} did not return JSON ({err})", input_name=name
                ) from None
            if isinstance(doc, dict) and doc.get("type") == "Feature":
                doc = {"type": "FeatureCollection", "features": [doc]}
            if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
                raise FetchError(
                    f"input '{name}': {next_url} did not return a GeoJSON FeatureCollection",
                    input_name=name,
                )
            if first_doc is None:
                first_doc = doc
                content_crs = headers.get("content-crs")
                if content_crs and "crs" not in doc:
                    first_doc["crs"] = {
                        "type": "name",
                        "properties": {"name": content_crs.strip().strip("<>")},
                    }
            features.extend(doc.get("features") or [])
            next_url = None
            for link in doc.get("links") or []:
                if isinstance(link, Mapping) and link.get("rel") == "next" and link.get("href"):
                    next_url = urljoin(final, str(link["href"]))
                    break
        assert first_doc is not None
        out = {
            k: v
            for k, v in first_doc.items()
            if k not in ("links", "numberReturned", "numberMatched", "timeStamp", "features")
        }
        out["features"] = features
        return out

    def fetch_value(self, name: str, ref: Mapping[str, Any]) -> Any:
        """Return the value of a non-geo input by reference: its JSON content.

        A GeoTIFF reference (by type, ``.tif`` URL or the served Content-Type) gives
        the raster dict as in :meth:`fetch`; any other media type than JSON is refused.
        """
        url = ref.get("href")
        if not isinstance(url, str) or not url:
            raise FetchError(f"input '{name}': 'href' must be a URL", input_name=name)
        media = str(ref.get("type") or "").split(";")[0].strip().lower()
        if media in TIFF_TYPES or (
            not media and urlsplit(url).path.lower().endswith((".tif", ".tiff"))
        ):
            return self.fetch(name, ref)
        if media and media not in JSON_TYPES:
            raise FetchError(
                f"input '{name}': media type '{media}' is not supported by reference "
                f"(use JSON: {', '.join(JSON_TYPES)})",
                input_name=name,
            )
        deadline = time.monotonic() + self.timeout_s
        body, headers, _ = self._get(
            name, url, self.max_bytes, deadline, "application/json, image/tiff;q=0.5"
        )
        served = str(headers.get("content-type") or "").split(";")[0].strip().lower()
        if served in TIFF_TYPES:  # an untyped reference to a raster
            return {
                "href": url,
                "type": served,
                "bytes": body,
                "sha256": hashlib.sha256(body).hexdigest(),
            }
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as err:
            raise FetchError(
                f"input '{name}': {url} did not return JSON ({err})", input_name=name
            ) from None

    def fetch_to(self, name: str, url: str, sink: BinaryIO) -> tuple[bytes, httpx.Headers, str]:
        """Stream the file at ``url`` into ``sink`` (same guard and limits); return headers, URL.

        What a worker's spool (:mod:`gsl_service.spool`) fetches a file by reference with.
        """
        accept = ", ".join(t for types in sources.MEDIA_TYPES.values() for t in types)
        deadline = time.monotonic() + self.timeout_s
        return self._get(name, url, self.max_bytes, deadline, accept, sink=sink)

    def fetch_raw(self, name: str, url: str, accept: str) -> tuple[bytes, str]:
        """Return the body of ``url`` unparsed and its served media type (same guard and limits)."""
        deadline = time.monotonic() + self.timeout_s
        body, headers, _ = self._get(name, url, self.max_bytes, deadline, accept)
        return body, str(headers.get("content-type") or "").split(";")[0].strip().lower()

    def resolve(
        self, inputs: Mapping[str, Any], geo: Collection[str] | None = None
    ) -> tuple[dict[str, Any], list[str]]:
        """Return the inputs with every href input fetched, and the names fetched.

        Qualified values (``{"value": ..., "mediaType": ...}``) are unwrapped first.
        An input given as a list whose items are all href objects (an OGC array of
        references) is fetched item by item.

        Parameters
        ----------
        inputs : Mapping
            The request's inputs.
        geo : collection of str, optional
            Names of the geo inputs: their references must be GeoJSON (paged
            FeatureCollections) or GeoTIFF; the references of other inputs are fetched
            as JSON values (:meth:`fetch_value`). ``None``: every reference is taken
            for a geo input.
        """
        out = unwrap_values(inputs)
        fetched: list[str] = []
        for name, value in list(out.items()):
            get = self.fetch if geo is None or name in geo else self.fetch_value
            if _is_href(value):
                out[name] = get(name, value)
                fetched.append(name)
            elif isinstance(value, list) and value and all(_is_href(v) for v in value):
                out[name] = [get(name, v) for v in value]
                fetched.append(name)
        return out, fetched


def has_href(inputs: Mapping[str, Any]) -> bool:
    """Return whether any input is given by reference (also inside a qualified value)."""
    values = unwrap_values(inputs).values()
    return any(
        _is_href(v) or (isinstance(v, list) and bool(v) and all(_is_href(x) for x in v))
        for v in values
    )
