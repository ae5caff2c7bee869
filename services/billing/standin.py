"""A local stand-in for Stripe: the part of its API permitwatch uses (customers, products,
prices, meters and meter events, Checkout and Customer Portal sessions, subscriptions),
the hosted Checkout and Portal pages a user clicks through, and signed webhooks sent the
way Stripe sends them. The local stack and the tests point the official SDK here; nothing
else in the code knows it is not Stripe.

What it does not do: take real cards (4242 4242 4242 4242 pays, 4000 0000 0000 0341 is
declined), prorate, or tax. Test controls under /_standin/ fail or recover a payment,
announce a trial's end, hold events and send them in any order, and send one again.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import secrets
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger("permitwatch.stripe-standin")
API_VERSION = "2026-10-28.endive"
MONTH = 30 * 86400
DECLINED = "4000000000000341"


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def parse_form(body: str) -> dict:
    """Stripe's bracketed form encoding (a[b][0][c]=v) into nested dicts and lists."""
    root: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


class StripeError(Exception):
    def __init__(self, status: int, kind: str, message: str, param: str | None = None):
        super().__init__(message)
        self.status, self.kind, self.message, self.param = status, kind, message, param

    def body(self) -> dict:
        return {"error": {"type": self.kind, "message": self.message, **({"param": self.param} if self.param else {})}}


@dataclass
class Delivery:
    event: dict
    payload: str
    attempts: int = 0
    status: int | None = None
    sent: bool = False


@dataclass
class State:
    objects: dict[str, dict] = field(default_factory=dict)  # every object by id
    lookup: dict[str, str] = field(default_factory=dict)  # price lookup key -> price id
    meter_events: dict[str, dict] = field(default_factory=dict)  # by identifier
    idempotency: dict[str, tuple[str, int, dict]] = field(default_factory=dict)  # key -> (request digest, status, answer)
    events: list[Delivery] = field(default_factory=list)


class StripeStandIn:
    def __init__(self, *, api_key: str, webhook_secret: str, webhook_url: str | None, port: int = 0, state_file: Path | None = None,
                 public_url: str | None = None):
        self.api_key, self.webhook_secret, self.webhook_url = api_key, webhook_secret, webhook_url
        self.state_file, self.state, self.lock = state_file, State(), threading.RLock()
        self.hold = False  # events wait in the list until sent by /_standin/events/{id}/send
        self._load()
        self._queue: list[Delivery] = []
        self._wake = threading.Condition()
        self._stop = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                log.debug(fmt, *args)

            def do_GET(self):
                stand_in._dispatch(self, "GET")

            def do_POST(self):
                stand_in._dispatch(self, "POST")

            def do_DELETE(self):
                stand_in._dispatch(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = public_url or f"http://127.0.0.1:{self.server.server_address[1]}"
        self._threads: list[threading.Thread] = []

    # ---- running ----------------------------------------------------------------------------
    def start(self) -> StripeStandIn:
        self._threads = [threading.Thread(target=self.server.serve_forever, daemon=True, name="stripe-standin"),
                         threading.Thread(target=self._sender, daemon=True, name="stripe-standin-webhooks")]
        for t in self._threads:
            t.start()
        return self

    def serve_forever(self) -> None:
        threading.Thread(target=self._sender, daemon=True, name="stripe-standin-webhooks").start()
        self.server.serve_forever()

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        self.server.shutdown()
        self.server.server_close()

    def _load(self) -> None:
        if self.state_file and self.state_file.exists():
            raw = json.loads(self.state_file.read_text())
            self.state = State(raw["objects"], raw["lookup"], raw["meter_events"], {})

    def _save(self) -> None:
        if self.state_file:
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"objects": self.state.objects, "lookup": self.state.lookup, "meter_events": self.state.meter_events}))
            tmp.replace(self.state_file)

    # ---- HTTP -------------------------------------------------------------------------------
    def _dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length).decode() if length else ""
        params = parse_form(body if method == "POST" else parts.query)
        path = parts.path.rstrip("/")
        try:
            if path.startswith("/v1/"):
                self._authorize(h)
                status, answer = self._api(h, method, path, params, body)
                self._send(h, status, json.dumps(answer), "application/json", {"Request-Id": _id("req")})
            elif path.startswith("/_standin/"):
                self._send(h, 200, json.dumps(self._control(method, path, params)), "application/json")
            else:
                status, page, location = self._page(method, path, params)
                self._send(h, status, page, "text/html; charset=utf-8", {"Location": location} if location else {})
        except StripeError as exc:
            self._send(h, exc.status, json.dumps(exc.body()), "application/json")
        except Exception:  # noqa: BLE001 -- an emulator bug must answer, not hang the client
            log.exception("stand-in failed on %s %s", method, path)
            self._send(h, 500, json.dumps({"error": {"type": "api_error", "message": "stand-in error"}}), "application/json")

    def _authorize(self, h) -> None:
        if h.headers.get("Authorization") != f"Bearer {self.api_key}":
            raise StripeError(401, "invalid_request_error", "Invalid API Key provided")

    @staticmethod
    def _send(h, status: int, text: str, media: str, headers: dict | None = None) -> None:
        data = text.encode()
        h.send_response(status)
        h.send_header("Content-Type", media)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _api(self, h, method: str, path: str, params: dict, body: str) -> tuple[int, dict]:
        key = h.headers.get("Idempotency-Key")
        if method == "POST" and key:
            digest = hashlib.sha256(f"{path}?{body}".encode()).hexdigest()
            with self.lock:
                seen = self.state.idempotency.get(key)
            if seen is not None:
                if seen[0] != digest:
                    raise StripeError(400, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters "
                                                                 "they were first used with.")
                return seen[1], seen[2]
        with self.lock:
            status, answer = 200, self._route(method, path, params)
            if method == "POST" and key:
                self.state.idempotency[key] = (digest, status, answer)
            self._save()
        return status, answer

    def _route(self, method: str, path: str, p: dict) -> dict:
        seg = path.split("/")[2:]
        if seg == ["customers"] and method == "POST":
            return self._new("cus", "customer", {"email": p.get("email"), "name": p.get("name"), "metadata": p.get("metadata") or {}})
        if seg[:1] == ["customers"] and len(seg) == 2 and method == "GET":
            return self._get(seg[1], "customer")
        if seg == ["products"] and method == "POST":
            return self._new("prod", "product", {"name": p.get("name"), "description": p.get("description"), "active": True})
        if seg == ["prices"] and method == "POST":
            return self._new_price(p)
        if seg == ["prices"] and method == "GET":
            keys = p.get("lookup_keys") or []
            keys = keys if isinstance(keys, list) else [keys]
            data = [self.state.objects[self.state.lookup[k]] for k in keys if k in self.state.lookup]
            return {"object": "list", "data": data, "has_more": False, "url": "/v1/prices"}
        if seg == ["billing", "meters"] and method == "GET":
            data = [o for o in self.state.objects.values() if o["object"] == "billing.meter"]
            return {"object": "list", "data": data, "has_more": False, "url": "/v1/billing/meters"}
        if seg == ["billing", "meters"] and method == "POST":
            return self._new("mtr", "billing.meter", {"display_name": p.get("display_name"), "event_name": p.get("event_name"),
                                                      "status": "active", "default_aggregation": p.get("default_aggregation")})
        if seg == ["billing", "meter_events"] and method == "POST":
            return self._meter_event(p)
        if seg == ["checkout", "sessions"] and method == "POST":
            return self._new_checkout(p)
        if seg[:2] == ["checkout", "sessions"] and len(seg) == 3 and method == "GET":
            return self._get(seg[2], "checkout.session")
        if seg == ["billing_portal", "sessions"] and method == "POST":
            customer = self._get(p.get("customer") or "", "customer", param="customer")
            sid = _id("bps")
            return self._put({"id": sid, "object": "billing_portal.session", "customer": customer["id"], "return_url": p.get("return_url"),
                              "url": f"{self.url}/portal/{sid}", "created": int(time.time())})
        if seg[:1] == ["subscriptions"] and len(seg) == 2 and method == "GET":
            return self._get(seg[1], "subscription")
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})")

    # ---- objects ----------------------------------------------------------------------------
    def _put(self, obj: dict) -> dict:
        self.state.objects[obj["id"]] = obj
        return obj

    def _new(self, prefix: str, kind: str, fields: dict) -> dict:
        return self._put({"id": _id(prefix), "object": kind, "created": int(time.time()), "livemode": False, **fields})

    def _get(self, oid: str, kind: str, param: str = "id") -> dict:
        obj = self.state.objects.get(oid)
        if obj is None or obj["object"] != kind:
            raise StripeError(404, "invalid_request_error", f"No such {kind.split('.')[-1]}: '{oid}'", param)
        return obj

    def _new_price(self, p: dict) -> dict:
        self._get(p.get("product") or "", "product", param="product")
        key = p.get("lookup_key")
        if key and key in self.state.lookup:
            raise StripeError(400, "invalid_request_error", f"A price with lookup key {key} already exists", "lookup_key")
        recurring = p.get("recurring") or {}
        price = self._new("price", "price", {
            "product": p["product"], "currency": p.get("currency", "usd"), "lookup_key": key, "active": True,
            "unit_amount": int(p["unit_amount"]) if p.get("unit_amount") else None,
            "unit_amount_decimal": p.get("unit_amount_decimal") or p.get("unit_amount"),
            "recurring": {"interval": recurring.get("interval", "month"), "usage_type": recurring.get("usage_type", "licensed"),
                          "meter": recurring.get("meter")}, "type": "recurring"})
        if key:
            self.state.lookup[key] = price["id"]
        return price

    def _meter_event(self, p: dict) -> dict:
        name, payload = p.get("event_name"), p.get("payload") or {}
        if not any(o["object"] == "billing.meter" and o["event_name"] == name for o in self.state.objects.values()):
            raise StripeError(400, "invalid_request_error", f"No active meter found for event name '{name}'", "event_name")
        self._get(payload.get("stripe_customer_id") or "", "customer", param="payload[stripe_customer_id]")
        ident = p.get("identifier") or _id("mev")
        if ident in self.state.meter_events:  # one event per identifier
            return self.state.meter_events[ident]
        event = {"object": "billing.meter_event", "event_name": name, "identifier": ident, "payload": payload,
                 "timestamp": int(p.get("timestamp") or time.time()), "created": int(time.time()), "livemode": False}
        self.state.meter_events[ident] = event
        return event

    def _new_checkout(self, p: dict) -> dict:
        if p.get("mode") != "subscription":
            raise StripeError(400, "invalid_request_error", "this stand-in only sells subscriptions", "mode")
        customer = self._get(p.get("customer") or "", "customer", param="customer")
        items = p.get("line_items") or []
        if not items:
            raise StripeError(400, "invalid_request_error", "line_items is required", "line_items")
        for i, item in enumerate(items):
            price = self._get(item.get("price") or "", "price", param=f"line_items[{i}][price]")
            metered = price["recurring"]["usage_type"] == "metered"
            if metered and item.get("quantity"):
                raise StripeError(400, "invalid_request_error", "quantity is not allowed for metered prices", f"line_items[{i}][quantity]")
        sub = p.get("subscription_data") or {}
        if sub.get("trial_end") and int(sub["trial_end"]) < time.time() + 48 * 3600 - 60:
            raise StripeError(400, "invalid_request_error", "trial_end must be at least 48 hours in the future", "subscription_data[trial_end]")
        sid = _id("cs_test")
        return self._put({"id": sid, "object": "checkout.session", "mode": "subscription", "status": "open", "payment_status": "unpaid",
                          "customer": customer["id"], "client_reference_id": p.get("client_reference_id"), "line_items": items,
                          "subscription_data": sub, "success_url": p.get("success_url"), "cancel_url": p.get("cancel_url"),
                          "metadata": p.get("metadata") or {}, "subscription": None, "url": f"{self.url}/checkout/{sid}",
                          "created": int(time.time()), "livemode": False})

    def _subscription_from(self, cs: dict) -> dict:
        now = int(time.time())
        trial_end = int(cs["subscription_data"]["trial_end"]) if cs["subscription_data"].get("trial_end") else None
        period_end = trial_end or now + MONTH
        items = [{"id": _id("si"), "object": "subscription_item", "price": self.state.objects[i["price"]],
                  **({"quantity": int(i["quantity"])} if i.get("quantity") else {}),
                  "current_period_start": now, "current_period_end": period_end} for i in cs["line_items"]]
        return self._put({"id": _id("sub"), "object": "subscription", "customer": cs["customer"], "status": "trialing" if trial_end else "active",
                          "cancel_at_period_end": False, "canceled_at": None, "trial_end": trial_end, "created": now,
                          "metadata": cs["subscription_data"].get("metadata") or {},
                          "items": {"object": "list", "data": items, "has_more": False}, "livemode": False})

    def _invoice(self, sub: dict, paid: bool) -> dict:
        amount = 0 if sub["status"] == "trialing" else sum(
            int(i["price"]["unit_amount"] or 0) * int(i.get("quantity") or 0) for i in sub["items"]["data"])
        return self._new("in", "invoice", {"customer": sub["customer"], "status": "paid" if paid else "open",
                                           "amount_due": amount, "amount_paid": amount if paid else 0, "currency": "usd",
                                           "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub["id"]}}})

    def _set_items(self, sub: dict, wanted: dict[str, int]) -> None:
        """wanted: price id -> quantity (0 removes it); metered items stay."""
        items = [i for i in sub["items"]["data"] if i["price"]["recurring"]["usage_type"] == "metered"]
        end = sub["items"]["data"][0]["current_period_end"]
        for price_id, qty in wanted.items():
            if qty > 0:
                items.append({"id": _id("si"), "object": "subscription_item", "price": self.state.objects[price_id], "quantity": qty,
                              "current_period_start": int(time.time()), "current_period_end": end})
        sub["items"]["data"] = sorted(items, key=lambda i: i["price"]["recurring"]["usage_type"] == "metered")

    # ---- events ----------------------------------------------------------------------------
    def emit(self, kind: str, obj: dict) -> dict:
        event = {"id": _id("evt"), "object": "event", "api_version": API_VERSION, "created": int(time.time()), "type": kind,
                 "data": {"object": json.loads(json.dumps(obj))}, "livemode": False, "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None}}
        d = Delivery(event, json.dumps(event))
        self.state.events.append(d)
        if not self.hold:
            self._enqueue(d)
        return event

    def _enqueue(self, d: Delivery) -> None:
        with self._wake:
            self._queue.append(d)
            self._wake.notify_all()

    def sign(self, payload: str, ts: int | None = None) -> str:
        ts = ts or int(time.time())
        mac = hmac.new(self.webhook_secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
        return f"t={ts},v1={mac}"

    def _sender(self) -> None:
        """Sends in order, one at a time, retrying a failed delivery a few times."""
        while not self._stop.is_set():
            with self._wake:
                self._wake.wait_for(lambda: self._queue or self._stop.is_set(), timeout=1)
                if not self._queue:
                    continue
                d = self._queue.pop(0)
            self.deliver(d)

    def deliver(self, d: Delivery, tries: int = 5) -> int | None:
        for n in range(tries):
            d.attempts += 1
            try:
                req = urllib.request.Request(self.webhook_url or "", data=d.payload.encode(), method="POST",
                                             headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": self.sign(d.payload),
                                                      "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
                with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 -- the configured receiver
                    d.status, d.sent = r.status, True
                    return d.status
            except urllib.error.HTTPError as exc:
                d.status = exc.code
                if exc.code < 500 and exc.code != 429:
                    return d.status
            except (OSError, ValueError) as exc:
                log.warning("webhook %s to %s failed: %s", d.event["id"], self.webhook_url, exc)
            if self._stop.wait(min(0.5 * 2 ** n, 5)):
                break
        return d.status

    # ---- test controls ------------------------------------------------------------------------
    def _control(self, method: str, path: str, p: dict) -> dict:
        seg = path.split("/")[2:]
        with self.lock:
            if seg == ["events"]:
                return {"data": [{"id": d.event["id"], "type": d.event["type"], "sent": d.sent, "status": d.status} for d in self.state.events]}
            if seg == ["hold"] and method == "POST":
                self.hold = p.get("on", "true") == "true"
                return {"hold": self.hold}
            if seg[:1] == ["events"] and len(seg) == 3 and method == "POST":
                d = next((d for d in self.state.events if d.event["id"] == seg[1]), None)
                if d is None:
                    raise StripeError(404, "invalid_request_error", f"No such event: '{seg[1]}'")
            if seg[:1] == ["meter_events"]:
                return {"data": list(self.state.meter_events.values())}
        if seg[:1] == ["events"] and len(seg) == 3 and seg[2] == "send" and method == "POST":
            return {"status": self.deliver(d, tries=1)}  # outside the lock: the receiver may call us back
        if seg[:1] == ["subscriptions"] and len(seg) == 3 and method == "POST":
            with self.lock:
                sub = self._get(seg[1], "subscription")
                if seg[2] == "payment_failed":
                    sub["status"] = "past_due"
                    self.emit("invoice.payment_failed", self._invoice(sub, paid=False))
                    self.emit("customer.subscription.updated", sub)
                elif seg[2] == "payment_succeeded":
                    sub["status"] = "active"
                    self.emit("invoice.paid", self._invoice(sub, paid=True))
                    self.emit("customer.subscription.updated", sub)
                elif seg[2] == "trial_will_end":
                    self.emit("customer.subscription.trial_will_end", sub)
                else:
                    raise StripeError(404, "invalid_request_error", f"no control {seg[2]}")
                self._save()
                return sub
        raise StripeError(404, "invalid_request_error", f"no control at {path}")

    # ---- hosted pages ---------------------------------------------------------------------------
    def _page(self, method: str, path: str, p: dict) -> tuple[int, str, str | None]:
        seg = path.split("/")[1:]
        with self.lock:
            if seg[:1] == ["checkout"] and len(seg) >= 2:
                cs = self._get(seg[1], "checkout.session")
                if method == "POST" and seg[2:] == ["pay"]:
                    return self._pay(cs, p)
                return 200, self._checkout_page(cs), None
            if seg[:1] == ["portal"] and len(seg) >= 2:
                ps = self._get(seg[1], "billing_portal.session")
                if method == "POST" and seg[2:] == ["change"]:
                    self._portal_change(ps, p)
                    self._save()
                    return 303, "", f"/portal/{ps['id']}"
                return 200, self._portal_page(ps), None
        raise StripeError(404, "invalid_request_error", "no such page")

    def _pay(self, cs: dict, p: dict) -> tuple[int, str, str | None]:
        if cs["status"] != "open":
            return 303, "", cs["success_url"]
        if p.get("card", "").replace(" ", "") == DECLINED:
            return 402, self._checkout_page(cs, error="Your card was declined. Try another card."), None
        sub = self._subscription_from(cs)
        cs.update(status="complete", payment_status="paid", subscription=sub["id"])
        invoice = self._invoice(sub, paid=True)
        self.emit("customer.subscription.created", sub)
        self.emit("checkout.session.completed", cs)
        self.emit("invoice.paid", invoice)
        self._save()
        return 303, "", cs["success_url"].replace("{CHECKOUT_SESSION_ID}", cs["id"])

    def _subscription_of(self, customer: str) -> dict | None:
        subs = [o for o in self.state.objects.values() if o["object"] == "subscription" and o["customer"] == customer]
        live = [s for s in subs if s["status"] != "canceled"]
        return max(live or subs, key=lambda s: s["created"]) if subs else None

    def _portal_change(self, ps: dict, p: dict) -> None:
        sub = self._subscription_of(ps["customer"])
        if sub is None or sub["status"] == "canceled":
            return
        action = p.get("action")
        held = {i["price"]["id"]: int(i.get("quantity") or 0) for i in sub["items"]["data"] if i["price"]["recurring"]["usage_type"] != "metered"}
        if action == "switch" and p.get("price") in self.state.objects:
            plans = {pid for pid in held if self.state.objects[pid]["lookup_key"].endswith(("basic_monthly", "pro_monthly"))}
            wanted = {pid: q for pid, q in held.items() if pid not in plans} | {p["price"]: 1}
            if not self.state.objects[p["price"]]["lookup_key"].endswith("pro_monthly"):  # the API pack goes with Pro only
                wanted = {pid: q for pid, q in wanted.items() if "api_pack" not in (self.state.objects[pid]["lookup_key"] or "")}
            self._set_items(sub, wanted)
        elif action == "quantity" and p.get("price") in self.state.objects:
            self._set_items(sub, held | {p["price"]: max(0, min(20, int(p.get("quantity") or 0)))})
        elif action == "cancel":
            sub["cancel_at_period_end"] = True
        elif action == "renew":
            sub["cancel_at_period_end"] = False
        elif action == "cancel_now":
            sub.update(status="canceled", canceled_at=int(time.time()), cancel_at_period_end=False)
            self.emit("customer.subscription.deleted", sub)
            return
        else:
            return
        self.emit("customer.subscription.updated", sub)

    # ---- page markup ----------------------------------------------------------------------------
    @staticmethod
    def _frame(title: str, body: str) -> str:
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{html.escape(title)}</title><link rel="icon" href="data:,"><style>
body{{font-family:system-ui,sans-serif;margin:0;background:#f6f9fc;color:#1a1f36}}main{{max-width:520px;margin:0 auto;padding:24px 16px}}
.card{{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:20px;margin:16px 0}}
.test{{background:#ffde92;color:#5b3e00;font-size:13px;padding:4px 8px;border-radius:4px;display:inline-block}}
table{{width:100%;border-collapse:collapse}}td{{padding:6px 0}}td.r{{text-align:right}}
label{{display:block;margin:12px 0 4px;font-size:14px}}input{{width:100%;box-sizing:border-box;padding:10px;font-size:16px;
border:1px solid #c4cdd5;border-radius:6px}}
button{{background:#635bff;color:#fff;border:0;border-radius:6px;padding:12px 16px;font-size:16px;cursor:pointer;margin-top:12px}}
button.quiet{{background:#fff;color:#635bff;border:1px solid #635bff}}.error{{color:#c0123c}}form.inline{{display:inline}}
</style></head><body><main><span class="test">Test mode: local Stripe stand-in</span>{body}</main></body></html>"""

    def _lines(self, items: list[dict]) -> tuple[str, int]:
        rows, total = [], 0
        for i in items:
            price = self.state.objects[i["price"]] if isinstance(i["price"], str) else i["price"]
            product = self.state.objects[price["product"]]
            if price["recurring"]["usage_type"] == "metered":
                rows.append(f"<tr><td>{html.escape(product['name'])}</td><td class=r>{float(price['unit_amount_decimal']):g}¢ each, if used</td></tr>")
                continue
            qty = int(i.get("quantity") or 1)
            total += price["unit_amount"] * qty
            label = f"{html.escape(product['name'])}{f' × {qty}' if qty > 1 else ''}"
            rows.append(f"<tr><td>{label}</td><td class=r>${price['unit_amount'] * qty / 100:,.2f} / month</td></tr>")
        return "".join(rows), total

    def _checkout_page(self, cs: dict, error: str | None = None) -> str:
        rows, total = self._lines(cs["line_items"])
        customer = self.state.objects[cs["customer"]]
        trial = cs["subscription_data"].get("trial_end")
        first = (f"<p>Free until {time.strftime('%B %d, %Y', time.gmtime(int(trial)))}; then ${total / 100:,.2f} a month.</p>" if trial
                 else f"<p>${total / 100:,.2f} today, then monthly.</p>")
        if cs["status"] != "open":
            return self._frame("Checkout", "<div class=card><h1>This checkout is complete</h1></div>")
        err = f"<p class=error role=alert>{html.escape(error)}</p>" if error else ""
        return self._frame("Subscribe to permitwatch", f"""<div class=card><h1>Subscribe to permitwatch</h1><table>{rows}</table>{first}</div>
<form class=card method=post action="/checkout/{cs['id']}/pay">{err}
<label for=email>E-mail</label><input id=email name=email value="{html.escape(customer.get('email') or '')}" autocomplete=email>
<label for=card>Card number</label><input id=card name=card value="4242 4242 4242 4242" inputmode=numeric autocomplete=cc-number>
<button type=submit id=pay>Subscribe</button></form>
<p><a href="{html.escape(cs['cancel_url'] or '/')}">← Back to permitwatch</a></p>""")

    def _portal_page(self, ps: dict) -> str:
        sub = self._subscription_of(ps["customer"])
        back = f"<p><a id=return href=\"{html.escape(ps['return_url'] or '/')}\">← Return to permitwatch</a></p>"
        if sub is None or sub["status"] == "canceled":
            return self._frame("Billing", f"<div class=card><h1>No active subscription</h1></div>{back}")
        rows, total = self._lines(sub["items"]["data"])
        end = time.strftime("%B %d, %Y", time.gmtime(sub["items"]["data"][0]["current_period_end"]))

        def form(label: str, action: str, extra: str = "", quiet: bool = True) -> str:
            return (f"<form class=inline method=post action=\"/portal/{ps['id']}/change\"><input type=hidden name=action value={action}>{extra}"
                    f"<button {'class=quiet ' if quiet else ''}type=submit>{html.escape(label)}</button></form> ")

        held = {i["price"]["id"]: int(i.get("quantity") or 0) for i in sub["items"]["data"]}
        plans = [o for o in self.state.objects.values() if o["object"] == "price" and (o["lookup_key"] or "").endswith(("basic_monthly", "pro_monthly"))]
        switch = "".join(form(f"Switch to {self.state.objects[pr['product']]['name']}", "switch", f"<input type=hidden name=price value={pr['id']}>")
                         for pr in plans if pr["id"] not in held)
        packs = [o for o in self.state.objects.values() if o["object"] == "price" and "_pack_" in (o["lookup_key"] or "")]
        adds = "".join(
            f"<p>{html.escape(self.state.objects[pr['product']]['name'])}: {held.get(pr['id'], 0)} "
            + form("+1", "quantity", f"<input type=hidden name=price value={pr['id']}><input type=hidden name=quantity value={held.get(pr['id'], 0) + 1}>")
            + (form("−1", "quantity", f"<input type=hidden name=price value={pr['id']}><input type=hidden name=quantity value={held[pr['id']] - 1}>")
               if held.get(pr["id"]) else "") + "</p>" for pr in packs)
        state = {"active": "Active", "trialing": "Trial", "past_due": "Payment failed"}.get(sub["status"], sub["status"])
        ending = (f"<p>Cancels on {end}.</p>" + form("Renew", "renew", quiet=False)) if sub["cancel_at_period_end"] else \
            (f"<p>Renews on {end}.</p>" + form("Cancel subscription", "cancel"))
        return self._frame("Manage billing", f"""<div class=card><h1>Your subscription</h1><p>Status: {state}</p><table>{rows}</table>
<p>${total / 100:,.2f} a month</p>{ending}</div><div class=card><h2>Change plan</h2>{switch or '<p>—</p>'}</div>
<div class=card><h2>Add-ons</h2>{adds}</div><div class=card>{form('Cancel now', 'cancel_now')}</div>{back}""")
