#!/usr/bin/env python3
"""breaking_proxy.py: an HTTPS proxy in front of a real tigress-relay that breaks ONE relay
requirement on purpose, so that the conformance suite can show tigress-conformance reports
exactly that check as FAIL (conformance/run-conformance-tests.sh).

  breaking_proxy.py --upstream https://127.0.0.1:PORT --ca CA.pem --cert CERT --key KEY \
                    --fault NAME

It listens on 127.0.0.1 (a free port), prints "listening on https://127.0.0.1:PORT" (flushed),
forwards every request to the upstream relay and rewrites the upstream's base URL in response
bodies to its own, so a correct relay behind it still passes every check. --fault none breaks
nothing. The faults, and the check that must catch each:

  no-echo             drop the Mailbox-Request-ID echo from every response          R10
  dup-create-200      answer a duplicate Create (201) with 200                      R11
  third-claim-delete  a third claim's Delete of a bound mailbox is carried out     R21
                      (re-sent with the Initiator's claim)
  non-v4-id           mailbox ids in urlLink become version-1 UUIDs (mapped back)   R5
  preview-script      the preview page gains a <script> element                     R31
  preview-quote       the preview page un-escapes &quot;                            X-preview-escaping
  no-413              a body over 64 KiB is answered 400 instead of 413             R42
  ignore-inm          If-None-Match and Prefer are dropped from requests            X-longpoll
  expiration-shift    a secure read's expiration is one hour later than stored      R19
  plain-http          plain HTTP on the same port is forwarded too                  R1
  html-no-charset     the preview's Content-Type loses its charset=utf-8            R40
  double-bind         a read refused while another claim was binding is answered   R20
                      (re-read with the Initiator's claim): racing readers all win
  dedupe-off-update   a repeated Update gets a fresh Request-ID upstream            R12
  dedupe-off-relinquish  a repeated Relinquish gets a fresh Request-ID upstream     R13
  dedupe-ignores-claim   a Create repeating another claim's Request-ID gets that   R14
                      claim's 201
  claim-unchecked     a Create without a valid claim gets a random one upstream     R8
  fill-missing        a Create body's missing required members are filled in       R7
  preview-unknown-200 the preview of an id never created is a 200 page              R30
  mangle-long-data    a read's payload.data of 1000+ characters has one changed     R34
  unversioned-routes  a request on /m or /v2/m is forwarded as /v1/m                R3
  attestation-400     a Create carrying Mailbox-Device-Attestation is answered 400  R9
"""
import argparse
import http.client
import json
import re
import socket
import socketserver
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

FAULTS = ("none", "no-echo", "dup-create-200", "third-claim-delete", "non-v4-id",
          "preview-script", "preview-quote", "no-413", "ignore-inm", "expiration-shift",
          "plain-http", "html-no-charset", "double-bind", "dedupe-off-update",
          "dedupe-off-relinquish", "dedupe-ignores-claim", "claim-unchecked", "fill-missing",
          "preview-unknown-200", "mangle-long-data", "unversioned-routes", "attestation-400")
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection",
       "upgrade", "te", "trailer"}
ID_RE = re.compile(r"^/v1/m/([^/?]+)$")

ARGS = None
UP_CTX = None
LOCK = threading.Lock()
PARTIES = {}            # mailbox id -> {"ini": claim, "rec": claim or None, "bound_at": seq}
SEQ = [0]               # requests seen so far (arrival order)
LAST_RID = {}           # (method, claim) -> the last Request-ID seen (dedupe-off-*)
CREATED = {}            # Request-ID -> (claim, 200 body) of a Create (dedupe-ignores-claim)
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{12}$")


def to_fake(i):
    """non-v4-id: a v4 id as the client sees it (version nibble 1)."""
    return i[:14] + "1" + i[15:] if len(i) == 36 and i[14] == "4" else i


def to_real(i):
    return i[:14] + "4" + i[15:] if len(i) == 36 and i[14] == "1" else i


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # quiet
        pass

    def _upstream(self, method, path, headers, body):
        host, port = ARGS.upstream_host, ARGS.upstream_port
        conn = http.client.HTTPSConnection(host, port, context=UP_CTX, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read() if method != "HEAD" else b""
            return r.status, [(k, v) for k, v in r.getheaders()], data
        finally:
            conn.close()

    def _handle(self):
        fault = ARGS.fault
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else None
        path = self.path
        m = ID_RE.match(path)
        mid = m.group(1) if m else None
        if fault == "non-v4-id" and mid is not None:
            mid = to_real(mid)
            path = "/v1/m/" + mid
        if fault == "unversioned-routes" and re.match(r"^/(m|v2/m)(/|$)", path):
            path = "/v1/m" + path.split("/m", 1)[1]
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and
                   k.lower() != "host"}
        if fault == "ignore-inm":
            headers = {k: v for k, v in headers.items()
                       if k.lower() not in ("if-none-match", "prefer")}
        claim = self.headers.get("Mailbox-Device-Claim")
        rid = self.headers.get("Mailbox-Request-ID")
        is_create = self.command == "POST" and path == "/v1/m"
        with LOCK:
            SEQ[0] += 1
            arrived = SEQ[0]
        if fault in ("dedupe-off-update", "dedupe-off-relinquish") and rid is not None:
            meth = "PUT" if fault == "dedupe-off-update" else "PATCH"
            if self.command == meth:
                with LOCK:
                    repeat = LAST_RID.get((meth, claim)) == rid
                    LAST_RID[(meth, claim)] = rid
                if repeat:
                    headers["Mailbox-Request-ID"] = rid + "-again"
        if fault == "claim-unchecked" and is_create and not UUID_RE.match(claim or ""):
            headers["Mailbox-Device-Claim"] = str(uuid.uuid4())
        if fault == "fill-missing" and is_create and body:
            try:
                j = json.loads(body)
            except ValueError:
                j = None
            if isinstance(j, dict):
                p = j.setdefault("payload", {})
                d = j.setdefault("displayInformation", {})
                if isinstance(p, dict) and isinstance(d, dict):
                    need = [k for k in ("type", "data") if k not in p] + \
                           [k for k in ("title", "description", "imageURL") if k not in d]
                    if need:
                        p.setdefault("type", "XSALSA20_POLY1305")
                        p.setdefault("data", "")
                        for k in ("title", "description", "imageURL"):
                            d.setdefault(k, "")
                        body = json.dumps(j).encode()
        dup_other = None
        if fault == "dedupe-ignores-claim" and is_create and rid is not None:
            with LOCK:
                prev = CREATED.get(rid)
            if prev is not None and prev[0] != claim:
                dup_other = prev[1]

        if dup_other is not None:
            status, data = 201, dup_other
            rh = [("Content-Type", "application/json"), ("Mailbox-Request-ID", rid)]
        elif fault == "attestation-400" and is_create and \
                self.headers.get("Mailbox-Device-Attestation") is not None:
            status, rh = 400, [("Content-Type", "application/json")]
            if rid is not None:
                rh.append(("Mailbox-Request-ID", rid))
            data = b'{"error":"invalid_headers","message":"attestation not understood"}'
        elif fault == "no-413" and n > 65536:
            status, rh = 400, [("Content-Type", "application/json")]
            if rid is not None:
                rh.append(("Mailbox-Request-ID", rid))
            data = b'{"error":"invalid_body","message":"too big"}'
        else:
            status, rh, data = self._upstream(self.command, path, headers, body)

        if fault in ("dedupe-off-update", "dedupe-off-relinquish"):
            rh = [(k, rid if k.lower() == "mailbox-request-id" else v) for k, v in rh]
        # party bookkeeping (third-claim-delete, double-bind, preview-unknown-200)
        if is_create and status == 200 and dup_other is None:
            try:
                link = json.loads(data)["urlLink"]
                with LOCK:
                    PARTIES[link.rsplit("/", 1)[1]] = {"ini": claim, "rec": None,
                                                       "bound_at": None}
                    if rid is not None:
                        CREATED[rid] = (claim, data)
            except (ValueError, KeyError, TypeError):
                pass
        elif mid is not None and status == 200 and self.command in ("POST", "PATCH"):
            with LOCK:
                p = PARTIES.get(mid)
                binding = (p is not None and claim != p["ini"] and self.command == "POST"
                           and p["rec"] is None)
            if binding and fault == "double-bind":
                time.sleep(0.3)     # let every racing reader reach the proxy first
            with LOCK:
                if p is not None and claim != p["ini"]:
                    if self.command == "PATCH":
                        p["rec"] = None
                    elif p["rec"] is None:
                        p["rec"], p["bound_at"] = claim, SEQ[0]
        if (fault == "double-bind" and self.command == "POST" and mid is not None
                and status == 401):
            p = {}
            for _ in range(40):     # a racing loser: wait for the winner to be recorded
                with LOCK:
                    p = dict(PARTIES.get(mid) or {})
                if not p or p.get("bound_at") is not None:
                    break
                time.sleep(0.05)
            if p and claim != p["ini"] and p.get("bound_at") is not None \
                    and arrived < p["bound_at"]:
                headers["Mailbox-Device-Claim"] = p["ini"]
                status, rh, data = self._upstream("POST", path, headers, None)
        if (fault == "preview-unknown-200" and self.command == "GET" and status == 404
                and mid not in PARTIES):
            status, data = 200, b"<!DOCTYPE html><html><body><p>Hello</p></body></html>"
            rh = [(k, "text/html; charset=utf-8" if k.lower() == "content-type" else v)
                  for k, v in rh]
        if (fault == "third-claim-delete" and self.command == "DELETE" and status == 401
                and mid is not None):
            with LOCK:
                p = dict(PARTIES.get(mid) or {})
            if p.get("rec") and claim not in (p.get("ini"), p.get("rec")):
                headers["Mailbox-Device-Claim"] = p["ini"]
                status, rh, data = self._upstream("DELETE", path, headers, None)

        if fault == "dup-create-200" and self.command == "POST" and path == "/v1/m" \
                and status == 201:
            status = 200
        ctype = next((v for k, v in rh if k.lower() == "content-type"), "")
        if data:
            data = data.replace(ARGS.upstream.encode(), ARGS.public.encode())
        if fault == "non-v4-id" and data:
            data = re.sub(rb"/v1/m/([0-9a-f-]{36})",
                          lambda mm: b"/v1/m/" + to_fake(mm.group(1).decode()).encode(), data)
        is_preview = self.command == "GET" and mid is not None and status == 200
        if fault == "preview-script" and is_preview:
            data = data.replace(b"</body>", b"<script>alert(1)</script></body>")
        if fault == "preview-quote" and is_preview:
            data = data.replace(b"&quot;", b'"')
        if fault == "html-no-charset" and is_preview:
            rh = [(k, "text/html" if k.lower() == "content-type" else v) for k, v in rh]
        if fault == "expiration-shift" and self.command == "POST" and mid is not None \
                and status == 200 and ctype.startswith("application/json"):
            def later(mm):
                t = time.strptime(mm.group(1).decode(), "%Y-%m-%dT%H:%M:%SZ")
                s = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(
                    __import__("calendar").timegm(t) + 3600))
                return b'"expiration":"' + s.encode() + b'"'
            data = re.sub(rb'"expiration":\s*"([^"]+)"', later, data)
        if fault == "mangle-long-data" and self.command == "POST" and mid is not None \
                and status == 200:
            data = re.sub(rb'("data":\s*")([^"])([^"]{999,}")',
                          lambda mm: mm.group(1) + (b"B" if mm.group(2) == b"A" else b"A")
                          + mm.group(3), data)
        if fault == "no-echo":
            rh = [(k, v) for k, v in rh if k.lower() != "mailbox-request-id"]

        self.send_response(status)
        for k, v in rh:
            if k.lower() not in HOP and k.lower() not in ("date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    tls = None

    def finish_request(self, request, client_address):
        # In the connection's thread: TLS when the client starts a handshake (0x16); plain HTTP
        # is dropped unless the plain-http fault is on.
        try:
            request.settimeout(30)
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first == b"\x16":
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        elif ARGS.fault != "plain-http":
            return
        try:
            Handler(request, client_address, self)
        except (OSError, ssl.SSLError):
            pass


def main():
    global ARGS, UP_CTX
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--fault", default="none", choices=FAULTS)
    ARGS = ap.parse_args()
    hp = ARGS.upstream.split("://", 1)[1].rstrip("/")
    ARGS.upstream = ARGS.upstream.rstrip("/")
    ARGS.upstream_host, ARGS.upstream_port = hp.rsplit(":", 1)[0], int(hp.rsplit(":", 1)[1])
    UP_CTX = ssl.create_default_context(cafile=ARGS.ca)
    srv = Server(("127.0.0.1", 0), Handler, bind_and_activate=True)
    srv.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.tls.load_cert_chain(ARGS.cert, ARGS.key)
    ARGS.public = "https://127.0.0.1:%d" % srv.server_address[1]
    print("listening on " + ARGS.public, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
