"""A stand-in for the 5c platform on loopback, for the demo, tests and benchmarks.

>>> async with Simulator("demo", seed=1) as sim:
...     print(sim.base_url, sim.account)

It writes the wire formats with its own code (:mod:`fivec_tui.sim.wire`), never the client's
parsers, so that each checks the other.  aiohttp loads with :class:`Simulator`, not with the
package, so that reading a scenario stays cheap.

Requests are read as the platform (PHP) reads them, so that what public clients send
arrives as it does there:

- a folder URL (``/api/send/``, ``/api/query/``, ...) is its ``index.php``; without the
  trailing slash it is redirected (301) to it, as a web server's directory handling does;
- parameters are PHP's ``$_REQUEST``: the query string, then the body over it (POST wins
  for the same key, ``request_order = "GP"``); the body counts when it is a form or
  ``multipart/form-data`` (the vendor PHP demo posts an array with curl: multipart);
- ``password`` (plain, as the document's §11 examples send it) or ``password_md5`` (either
  case of hex), the md5 winning when both come;
- ``content`` is decoded twice: by the form (query, urlencoded or multipart), then once more
  with ``urldecode`` (``+`` is a space, ``%xx`` a byte), and the bytes read in the request's
  ``encode`` (GBK when absent).  So the vendor demo's multipart ``urlencode($content)``, a
  client that percent-encodes before form-encoding (as the document asks) and a raw GBK
  multipart field all arrive as meant, while a client that encodes only at the form level
  loses ``+`` to a space and ``%xx`` to the byte it names, as on the platform.  Content
  inside a JSON/XML ``data`` (and a batch) is URL-decoded once after the document is read;
  SOAP content (:mod:`.soap`) is plain text.

The evidence: §3.1 asks for ``content`` "使用 urlencode 编码后提交" and its examples put that
encoding in a query string; the vendor's PHP demo posts ``urlencode($content)`` in a curl
array (multipart, so no second form-level encoding) and is answered with the intended text;
other public PHP clients post raw GBK with a plain ``password`` to ``/api/send/``; the vendor
Java demo builds a GBK query string by hand (``URLEncoder.encode(content, "GBK")``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .scenario import Scenario, ScenarioError

if TYPE_CHECKING:
    from .simulator import DemoAccount, Simulator

__all__ = ["DemoAccount", "Scenario", "ScenarioError", "Simulator"]


def __getattr__(name: str):
    if name in ("Simulator", "DemoAccount"):
        from . import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
