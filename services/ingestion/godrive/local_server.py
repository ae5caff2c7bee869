"""A local GoDrive share server: the RRC file-share protocol, served from folders.

The local stack runs it so ingestion is exercised exactly as in production (page,
session cookie, ViewState, postback, redirect, download); tests drive its failure modes.
A share is a folder `<root>/<share id>/`; its files are listed newest first with their
modification time as "Modified On". Nothing here is used against the real RRC.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from services.ingestion.godrive.client import POSTBACK_PATH
from services.ingestion.godrive.page import format_modified, format_size

# The generated suffix of the name link; real deployments change it, so tests can too.
LINK_SUFFIX = "j_id_2f"
FAULTS = ("403", "expire", "html", "truncate", "page_changed")  # what `ShareState.faults` may hold


@dataclass
class _Session:
    view_states: dict[str, float] = field(default_factory=dict)  # token -> issued (monotonic)
    pending: Path | None = None
    share: str | None = None


@dataclass
class ShareState:
    root: Path
    page_rows: int = 250
    view_state_seconds: float = 300.0
    link_suffix: str = LINK_SUFFIX
    faults: deque = field(default_factory=deque)  # consumed one per request that can fail
    sessions: dict[str, _Session] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def files(self, share: str) -> list[Path]:
        folder = self.root / share
        if not folder.is_dir():
            return []
        files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        return sorted(files, key=lambda p: (-p.stat().st_mtime, p.name))

    def fault(self, *kinds: str) -> str | None:
        unknown = [f for f in self.faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
        with self.lock:
            if self.faults and self.faults[0] in kinds:
                return self.faults.popleft()
        return None


def _row(ri: int, path: Path, suffix: str) -> str:
    st = path.stat()
    link = f"fileTable:{ri}:{suffix}"
    return (f'<tr data-ri="{ri}" data-rk="{8000 + ri}" class="ui-widget-content FileItem" role="row">'
            f'<td class="ui-selection-column"><div class="ui-chkbox"><div class="ui-chkbox-box"></div></div></td>'
            f'<td class="ImageColumn"><img src="/webclient/images/file.png" alt=""/></td>'
            f'<td class="NameColumn"><a id="{link}" href="#" onclick="PrimeFaces.addSubmitParam(\'fileList\','
            f'{{\'{link}\':\'{link}\'}}).submit(\'fileList\');return false;">{html.escape(path.name)}</a></td>'
            f'<td class="ModifiedOnColumn">{format_modified(datetime.fromtimestamp(st.st_mtime, UTC))}</td>'
            f'<td class="SizeColumn">{format_size(st.st_size)}</td></tr>')


def _page(state: ShareState, share: str, view_state: str) -> str:
    files = state.files(share)
    rows = "".join(_row(i, p, state.link_suffix) for i, p in enumerate(files[: state.page_rows]))
    n = len(files)
    return f"""<!DOCTYPE html><html><head><title>RRC Web Client - GoDrive</title></head><body>
<form id="j_id_3e" action="{POSTBACK_PATH}" method="post"><input type="hidden" name="j_id_3e_SUBMIT" value="1"/>
<input type="hidden" name="javax.faces.ViewState" value="{view_state}"/></form>
<form id="fileList" name="fileList" action="{POSTBACK_PATH}" method="post" enctype="application/x-www-form-urlencoded">
<input type="hidden" name="fileList_SUBMIT" value="1"/>
<div id="fileTable" class="ui-datatable"><table role="grid"><thead><tr><th>Name</th><th>Modified On</th><th>Size</th></tr></thead>
<tbody id="fileTable_data" class="ui-datatable-data">{rows}</tbody></table>
<span class="ui-paginator-current">Showing {1 if n else 0} - {min(n, state.page_rows)} of {n}</span></div>
<script>PrimeFaces.cw("DataTable","widget_fileTable",{{id:"fileTable",paginator:{{rows:{state.page_rows},rowCount:{n},page:0}}}});</script>
<input type="hidden" name="javax.faces.ViewState" id="j_id__v_0:javax.faces.ViewState:1" value="{view_state}"/>
</form></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server_version = "GoAnywhere"
    protocol_version = "HTTP/1.1"
    state: ShareState

    def log_message(self, fmt, *args):  # requests are recorded in state.requests instead
        pass

    def _session(self, create: bool) -> tuple[str | None, _Session | None, bool]:
        cookie = self.headers.get("Cookie", "")
        sid = next((c.split("=", 1)[1] for c in (x.strip() for x in cookie.split(";")) if c.startswith("JSESSIONID=")), None)
        if sid and sid in self.state.sessions:
            return sid, self.state.sessions[sid], False
        if not create:
            return None, None, False
        sid = secrets.token_hex(16).upper()
        self.state.sessions[sid] = _Session()
        return sid, self.state.sessions[sid], True

    def _send(self, code: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.state
        st.requests.append(f"GET {self.path}")
        if st.fault("403"):
            return self._send(403, b"", "text/html")
        if self.path.startswith("/link/godrivedownload"):
            return self._download()
        if not self.path.startswith("/link/"):
            return self._send(404, b"not found", "text/plain")
        share = self.path[len("/link/"):].split("?")[0]
        if "/" in share or not (st.root / share).is_dir():
            return self._send(404, b"<html><body>Not Found</body></html>", "text/html")
        sid, session, new = self._session(create=True)
        token = secrets.token_urlsafe(24)
        session.view_states[token] = time.monotonic()
        session.share = share
        page = _page(st, share, token)
        if st.fault("page_changed"):
            page = page.replace('id="fileList"', 'id="fileListV2"')
        headers = {"Set-Cookie": f"JSESSIONID={sid}; Path=/; HttpOnly"} if new else {}
        self._send(200, page.encode(), "text/html;charset=UTF-8", headers)

    def do_POST(self):
        st = self.state
        st.requests.append(f"POST {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("latin-1"), keep_blank_values=True).items()}
        if st.fault("403"):
            return self._send(403, b"", "text/html")
        if self.path != POSTBACK_PATH:
            return self._send(404, b"not found", "text/plain")
        _, session, _ = self._session(create=False)
        token = form.get("javax.faces.ViewState", "")
        issued = session.view_states.get(token) if session else None
        share = session.share if session else None
        expired = st.fault("expire") is not None
        if session is None or issued is None or expired or time.monotonic() - issued > st.view_state_seconds or share is None:
            # JSF answers a stale view by rendering a page again, not with an error status.
            return self._send(200, b"<html><body>View expired. Your session has timed out.</body></html>", "text/html;charset=UTF-8")
        files = st.files(share)
        if self.headers.get("Faces-Request") == "partial/ajax" and form.get("fileTable_pagination") == "true":
            first, rows = int(form.get("fileTable_first", 0)), int(form.get("fileTable_rows", st.page_rows))
            body = "".join(_row(i, files[i], st.link_suffix) for i in range(first, min(len(files), first + rows)))
            new = secrets.token_urlsafe(24)
            session.view_states[new] = time.monotonic()
            xml = (f'<?xml version="1.0" encoding="UTF-8"?><partial-response><changes><update id="fileTable"><![CDATA[{body}]]></update>'
                   f'<update id="j_id__v_0:javax.faces.ViewState:1"><![CDATA[{new}]]></update></changes></partial-response>')
            return self._send(200, xml.encode(), "text/xml;charset=UTF-8")
        link = next((k for k in form if k.startswith("fileTable:") and form[k] == k and k.endswith(":" + st.link_suffix)), None)
        index = int(link.split(":")[1]) if link else -1
        if not 0 <= index < len(files):
            return self._send(200, b"<html><body>Nothing selected.</body></html>", "text/html;charset=UTF-8")
        session.pending = files[index]
        self.send_response(302)
        self.send_header("Location", "/link/godrivedownload")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _download(self):
        st = self.state
        _, session, _ = self._session(create=False)
        if session is None or session.pending is None:
            return self._send(200, b"<html><body>Your session has expired.</body></html>", "text/html;charset=UTF-8")
        path, session.pending = session.pending, None
        if st.fault("html"):
            return self._send(200, b"<html><body>An error occurred.</body></html>", "text/html;charset=UTF-8")
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/force-download")
        self.send_header("Content-Disposition", f'attachment;filename="{path.name}"')
        self.send_header("Content-Length", str(len(data)))
        if st.fault("truncate"):
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        self.end_headers()
        self.wfile.write(data)


class LocalGoDrive:
    """`with LocalGoDrive(root) as server:` serves `root/<share>/` at server.url."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0, **options):
        self.state = ShareState(Path(root), **options)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def __enter__(self) -> LocalGoDrive:
        self.thread = threading.Thread(target=self.serve_forever, name="local-godrive", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
