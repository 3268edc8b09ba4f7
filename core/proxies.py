"""Where a request comes from, when only the proxies a deployment names may say so (no Streamlit).

Behind nginx every connection comes from nginx; nginx names the browser's address in ``X-Real-IP``
(``deploy/nginx``: its own ``$remote_addr``, never a header the browser sent). Anyone else could
write that header too, to dodge the login throttle or to frame another address, so it counts only
when the connection itself comes from an address in ``HUMAN_TOUCH_TRUSTED_PROXIES`` (addresses or
networks, comma separated; default loopback, where ``deploy/serve.sh`` runs nginx).

uvicorn, which serves ``st.App``, rewrites the peer from ``X-Forwarded-For`` by itself whenever the
peer is loopback, and a browser-supplied ``X-Forwarded-For`` survives nginx's
``$proxy_add_x_forwarded_for``: :func:`keep_real_peer` turns that off, so the peer Streamlit reports
is the real one and this module's rule is the only one.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys

_log = logging.getLogger(__name__)

DEFAULT_TRUSTED = "127.0.0.0/8, ::1"
LOOPBACK = "127.0.0.1"


def trusted_proxies() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks named by ``HUMAN_TOUCH_TRUSTED_PROXIES`` (default loopback); bad entries are skipped."""
    names = os.environ.get("HUMAN_TOUCH_TRUSTED_PROXIES", DEFAULT_TRUSTED).replace(",", " ").split()
    networks = []
    for name in names:
        try:
            networks.append(ipaddress.ip_network(name, strict=False))
        except ValueError:
            _log.warning("HUMAN_TOUCH_TRUSTED_PROXIES: %r is no address or network; ignored", name)
    return networks


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def is_trusted(peer: str | None) -> bool:
    """Whether ``peer`` (a connection's address) is one of the trusted proxies."""
    address = _address(peer)
    return address is not None and any(address in network for network in trusted_proxies())


def client_address(peer: str | None, real_ip_header: str | None) -> str:
    """The client's address: ``X-Real-IP`` when the peer is a trusted proxy and the header an address, else the peer.

    Parameters
    ----------
    peer : str or None
        The address of the TCP connection's other end ("unknown" when None).
    real_ip_header : str or None
        The request's ``X-Real-IP`` header, if any.
    """
    peer_address = _address(peer)
    if peer_address is None:
        return (peer or "unknown")[:64]
    forwarded = _address(real_ip_header)
    if forwarded is not None and is_trusted(peer):
        return str(forwarded)
    return str(peer_address)


def keep_real_peer() -> bool:
    """Stop the uvicorn server that is importing this app from taking the peer from ``X-Forwarded-For``.

    Call at import of the served module (``app.py`` imported as ``app``): uvicorn's ``Config.load``
    imports the app and only then wraps it in its ``ProxyHeadersMiddleware`` if ``proxy_headers``
    is set, which this turns off on that very config. uvicorn has no other hook; the environment
    variable ``FORWARDED_ALLOW_IPS`` is read before the import. True when a config was found.
    """
    try:
        from uvicorn.config import Config
    except ImportError:
        return False
    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, Config):
            candidate.proxy_headers = False
            return True
        frame = frame.f_back  # type: ignore[assignment]
    _log.warning("no uvicorn config found while importing the app: X-Forwarded-For may set the peer")
    return False
