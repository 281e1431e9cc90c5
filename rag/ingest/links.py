"""Download a link once, within limits, naming the reason when it cannot be had.

Written on httpx (streamed, so a page over the size limit is cut off, not read whole). The page's links
may not point at this machine or a private network (`allow_private=False`): the host's addresses are
checked before connecting and the address actually connected to after, so a name that resolves one
way and then another cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

MAX_BYTES = 20 * 2**20
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_REDIRECTS = 5
KINDS = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}
AGENT = "rag-vi/0.1 (+offline reader; fetches one page once)"


class FetchError(Exception):
    """The reason in English (`str()`) and in Vietnamese (`vi`)."""

    def __init__(self, reason: str, vi: str):
        super().__init__(reason)
        self.vi = vi


@dataclass
class Fetched:
    url: str  # after redirects
    data: bytes
    suffix: str  # what the server says it is: .html, .pdf, .docx


def _public(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise FetchError(
            f"the name {host} cannot be resolved ({exc.strerror})", f"không tìm thấy máy chủ {host}"
        ) from None
    return all(ipaddress.ip_address(i[4][0]).is_global for i in infos)


def fetch(url: str, *, allow_private: bool = True, max_bytes: int = MAX_BYTES) -> Fetched:
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(
                "only http:// and https:// links can be added", "chỉ nhận liên kết http:// hoặc https://"
            )
        if not allow_private and not _public(parts.hostname):
            raise FetchError(
                f"{parts.hostname} is a private or local address: refused",
                f"{parts.hostname} là địa chỉ nội bộ: không được tải",
            )
        try:
            with httpx.stream("GET", url, timeout=TIMEOUT, headers={"User-Agent": AGENT}) as r:
                if not allow_private:
                    peer = r.extensions["network_stream"].get_extra_info("server_addr")
                    if peer and not ipaddress.ip_address(peer[0]).is_global:
                        raise FetchError(
                            f"{parts.hostname} resolved to a private address: refused",
                            f"{parts.hostname} là địa chỉ nội bộ: không được tải",
                        )
                if r.is_redirect:
                    url = str(r.url.join(r.headers.get("location", "")))
                    continue
                if r.status_code >= 400:
                    raise FetchError(
                        f"the server answered {r.status_code} {r.reason_phrase}",
                        f"máy chủ trả lời {r.status_code} {r.reason_phrase}",
                    )
                ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
                if int(r.headers.get("content-length") or 0) > max_bytes:
                    raise FetchError(
                        f"too large ({int(r.headers['content-length']) / 2**20:.0f} MB)", "trang quá lớn"
                    )
                buf = bytearray()
                for chunk in r.iter_bytes():
                    buf += chunk
                    if len(buf) > max_bytes:
                        raise FetchError(f"too large (over {max_bytes / 2**20:.0f} MB)", "trang quá lớn")
                return Fetched(str(r.url), bytes(buf), KINDS.get(ctype, ""))
        except httpx.TimeoutException:
            raise FetchError("no answer in time", "máy chủ không trả lời kịp") from None
        except httpx.ConnectError as exc:
            raise FetchError(f"cannot connect ({exc})", "không kết nối được tới máy chủ") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"download failed ({type(exc).__name__}: {exc})", "tải về không thành") from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects", "chuyển hướng quá nhiều lần")
