#!/usr/bin/env python3
"""Requests for spec_check.sh: every endpoint, account, page and error case
of klaviyo-sandbox, sent through a Prism validating proxy (--errors), so any
response (or request) that does not match Klaviyo's OpenAPI spec fails.

The few requests Prism answers itself (no revision header, an unknown path)
go straight to the sandbox and are checked against the spec's ClientError
schema by check_error_shape() below.

Prism 5 does not check every schema (it let custom-metric attributes without
their required members pass), so every body is also checked by a small
validator of our own against the same reduced spec (Validator below: $ref,
type, nullable, required, properties, additionalProperties, items, enum,
oneOf/anyOf/allOf, format date-time and uri).

Usage: spec_check.py PRISM_URL SANDBOX_URL REDUCED_SPEC
Prints one line per check and "N passed, N failed" at the end; exits 1 on
any failure.
"""
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

REVISION = "2026-07-15"
KEYS = {
    "shopify": "pk_sbxshopify0000000000000000000001",
    "woocommerce": "pk_sbxwoocommerce000000000000000002",
    "custom": "pk_sbxcustom00000000000000000000003",
    "empty": "pk_sbxempty000000000000000000000004",
    "noscope": "pk_sbxnoscope0000000000000000000005",
    "manylists": "pk_sbxmanylists00000000000000000006",
}
TIMEOUT = 30

passed = 0
failed = 0
validator = None

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?"
                       r"(Z|[+-]\d{2}:\d{2})$", re.I)
URI = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#\s]+(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?"
                 r"(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$", re.I)


class Validator:
    """Just enough of OpenAPI 3.0 schema validation for these responses."""

    def __init__(self, spec):
        self.spec = spec

    def resolve(self, s):
        seen = 0
        while isinstance(s, dict) and "$ref" in s and seen < 50:
            node = self.spec
            for part in s["$ref"][2:].split("/"):
                node = node[part]
            s = node
            seen += 1
        return s

    def response_schema(self, path, method, status, ctype):
        op = self.spec["paths"][path][method.lower()]
        resp = op["responses"].get(str(status)) or \
            op["responses"].get("%dXX" % (status // 100))
        if resp is None:
            return None, "status %d is not in the spec" % status
        resp = self.resolve(resp)
        content = resp.get("content", {})
        media = ctype.split(";")[0].strip().lower()
        if media not in content:
            return None, "content type %r is not in the spec (%s)" % (
                media, ", ".join(content))
        return content[media]["schema"], None

    @staticmethod
    def open_object(s):
        """An object schema any object matches: no required members,
        no enums, additional members allowed."""
        return (s.get("type") == "object" and not s.get("required") and
                s.get("additionalProperties") is not False and
                not any("enum" in p for p in s.get("properties", {})
                        .values()))

    def check(self, s, v, where, errs, required=True):
        # "nullable" beside a $ref counts, as Prism and Klaviyo read it
        # (segment "definition": {"$ref": ..., "nullable": true}).
        if v is None and isinstance(s, dict) and s.get("nullable"):
            return
        s = self.resolve(s)
        if len(errs) > 20:
            return
        if v is None:
            if not s.get("nullable"):
                errs.append("%s: null is not allowed" % where)
            return
        for key, want in (("oneOf", 1), ("anyOf", 0)):
            if key in s:
                ok = []
                for sub in s[key]:
                    e = []
                    self.check(sub, v, where, e, required)
                    if not e:
                        ok.append(self.resolve(sub))
                # The spec's campaign send_options and tracking_options
                # are oneOfs of open objects no value can match exactly
                # once; Prism lets them pass, and so do we.
                ambiguous = len(ok) > 1 and all(self.open_object(o)
                                                 for o in ok)
                if (want == 1 and len(ok) != 1 and not ambiguous) or \
                        (want == 0 and not ok):
                    errs.append("%s: matches %d of %s" % (where, len(ok),
                                                          key))
                return
        for sub in s.get("allOf", []):
            self.check(sub, v, where, errs, required)
        t = s.get("type")
        types = {"object": dict, "array": list, "string": str,
                 "boolean": bool}
        if t in types and not isinstance(v, types[t]):
            errs.append("%s: %r is not %s" % (where, v, t))
            return
        if t == "integer" and (isinstance(v, bool) or not isinstance(v, int)):
            errs.append("%s: %r is not an integer" % (where, v))
            return
        if t == "number" and (isinstance(v, bool) or
                              not isinstance(v, (int, float))):
            errs.append("%s: %r is not a number" % (where, v))
            return
        if "enum" in s and v not in s["enum"]:
            errs.append("%s: %r is not one of %s" % (where, v, s["enum"]))
        if isinstance(v, str):
            fmt = s.get("format")
            if fmt == "date-time" and not DATE_TIME.match(v):
                errs.append("%s: %r is not an RFC 3339 date-time" %
                            (where, v))
            if fmt == "uri" and not URI.match(v):
                errs.append("%s: %r is not a URI" % (where, v))
        if isinstance(v, dict):
            props = s.get("properties", {})
            if required:
                for r in s.get("required", []):
                    if r not in v:
                        errs.append("%s: required %r is missing" %
                                    (where, r))
            for k, val in v.items():
                if k in props:
                    self.check(props[k], val, where + "." + k, errs,
                               required)
                elif s.get("additionalProperties") is False:
                    errs.append("%s: %r is not allowed" % (where, k))
                elif isinstance(s.get("additionalProperties"), dict):
                    self.check(s["additionalProperties"], val,
                               where + "." + k, errs, required)
        if isinstance(v, list) and "items" in s:
            for i, val in enumerate(v):
                self.check(s["items"], val, "%s[%d]" % (where, i), errs,
                           required)


def own_check(path, method, status, headers, body, required=True):
    """None when the answer matches the spec, else why not."""
    schema, why = validator.response_schema(
        path, method, status, headers.get("content-type", ""))
    if why:
        return why
    try:
        doc = json.loads(body)
    except ValueError as e:
        return "not JSON: %s" % e
    errs = []
    validator.check(schema, doc, "body", errs, required)
    return "; ".join(errs[:5]) if errs else None


def report(ok, what, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what + (": " + why if why else ""))


def request(url, key=None, revision=REVISION, headers=None, method="GET",
            body=None):
    h = {"Accept": "application/vnd.api+json"}
    if key is not None:
        h["Authorization"] = "Klaviyo-API-Key " + key
    if revision is not None:
        h["revision"] = revision
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else \
            json.dumps(body).encode()
        h["Content-Type"] = "application/vnd.api+json"
        if method == "GET":
            method = "POST"
    h.update(headers or {})
    req = urllib.request.Request(url, headers=h, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def control(sandbox, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(sandbox + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        return json.loads(r.read())


def check_error_shape(body):
    """The spec's ClientError/ServerError: errors[] of id, code, title,
    detail (strings), optional source {pointer, parameter} (strings)."""
    try:
        doc = json.loads(body)
    except ValueError as e:
        return "not JSON: %s" % e
    if not isinstance(doc, dict) or not isinstance(doc.get("errors"), list):
        return "no errors[] array"
    if not doc["errors"]:
        return "errors[] is empty"
    for e in doc["errors"]:
        for f in ("id", "code", "title", "detail"):
            if not isinstance(e.get(f), str):
                return "errors[].%s is missing or not a string" % f
        src = e.get("source")
        if src is not None:
            if not isinstance(src, dict):
                return "errors[].source is not an object"
            for f in ("pointer", "parameter"):
                if f in src and not isinstance(src[f], str):
                    return "errors[].source.%s is not a string" % f
    return None


def via_prism(prism, path, key, expect, what, sparse=False, op=None, **kw):
    """One request through Prism; returns the parsed body or None.
    sparse: a sparse fieldset was asked for, so required attributes may
    be missing (the spec's schemas do not allow for sparse fieldsets).
    op: the spec's path when it has a parameter (/api/webhooks/{id})."""
    status, headers, body = request(prism + path, key, **kw)
    viol = headers.get("sl-violations")
    ctype = headers.get("content-type", "")
    if viol:
        report(False, what, "sl-violations: " + viol[:800])
        return None
    if "problem+json" in ctype:
        report(False, what, "prism error %d: %s" % (status, body[:800]))
        return None
    if status != expect:
        report(False, what, "status %d, expected %d: %s" %
               (status, expect, body[:300]))
        return None
    if status >= 400:
        why = check_error_shape(body)
        if why:
            report(False, what, why)
            return None
    method = kw.get("method") or (
        "POST" if kw.get("body") is not None else "GET")
    if status == 204:
        why = "a 204 with a body" if body else None
    else:
        why = own_check(op or urllib.parse.urlsplit(path).path, method,
                        status, headers, body, required=not sparse)
    if why:
        report(False, what, "own validator: " + why)
        return None
    report(True, what)
    try:
        return json.loads(body)
    except ValueError:
        return None


def prism_path(prism, url):
    """Links name the sandbox's origin (Prism forwards Host); keep the
    path and query and send them through Prism again."""
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def follow(prism, sandbox, path, key, what):
    pages = 0
    items = []
    while path is not None and pages < 100:
        control(sandbox, "DELETE", "/__sandbox/ratelimits")
        doc = via_prism(prism, path, key, 200,
                        "%s page %d" % (what, pages + 1))
        if doc is None:
            return None, None
        pages += 1
        items.extend(doc["data"])
        nxt = doc.get("links", {}).get("next")
        path = prism_path(prism, nxt) if nxt else None
    return pages, items


def reset(sandbox):
    control(sandbox, "DELETE", "/__sandbox/ratelimits")


def pages_of(n, size):
    return max(1, (n + size - 1) // size)


def check_lists(prism, sandbox, name, key, tot):
    """The new collections: pages, counts, includes, filters, sorts."""
    q = urllib.parse.quote
    for ch, n in (("email", tot["campaigns_email"]),
                  ("sms", tot["campaigns_sms"]),
                  ("mobile_push", tot["campaigns_mobile_push"])):
        path = "/api/campaigns?filter=" + q("equals(messages.channel,'%s')"
                                            % ch)
        pages, items = follow(prism, sandbox, path, key,
                              "GET /api/campaigns %s (%s)" % (ch, name))
        if pages is not None:
            report(pages == pages_of(n, 100) and len(items) == n,
                   "%s: %d %s campaigns in %d pages" %
                   (name, n, ch, pages_of(n, 100)),
                   "got %d in %d" % (len(items), pages))
    for coll, size, n in (("flows", 50, tot["flows"]),
                          ("segments", 10, tot["segments"]),
                          ("forms", 20, tot["forms"])):
        pages, items = follow(prism, sandbox, "/api/" + coll, key,
                              "GET /api/%s (%s)" % (coll, name))
        if pages is not None:
            report(pages == pages_of(n, size) and len(items) == n,
                   "%s: %d %s in %d pages" % (name, n, coll,
                                              pages_of(n, size)),
                   "got %d in %d" % (len(items), pages))
    pages, items = follow(prism, sandbox, "/api/events?page%5Bsize%5D=1000",
                          key, "GET /api/events (%s)" % name)
    if pages is not None:
        n = tot["orders"]
        report(pages == pages_of(n, 1000) and len(items) == n,
               "%s: %d events in %d pages of 1000" %
               (name, n, pages_of(n, 1000)),
               "got %d in %d" % (len(items), pages))


def report_bodies(metric):
    """One valid body per report endpoint (and a few variants)."""
    conv = {"conversion_metric_id": metric} if metric else {}
    msg_stats = ["recipients", "delivered", "opens_unique", "clicks_unique",
                 "conversions", "conversion_uniques", "conversion_value",
                 "open_rate", "click_rate", "average_order_value",
                 "revenue_per_recipient", "text_message_spend"]
    return [
        ("/api/campaign-values-reports", {"data": {
            "type": "campaign-values-report", "attributes": dict(
                statistics=msg_stats, timeframe={"key": "last_12_months"},
                **conv)}}),
        ("/api/campaign-values-reports", {"data": {
            "type": "campaign-values-report", "attributes": dict(
                statistics=["recipients", "conversion_value"],
                timeframe={"start": "2025-01-01T00:00:00+00:00",
                           "end": "2025-12-31T00:00:00+00:00"},
                group_by=["campaign_id", "campaign_message_id",
                          "send_channel", "campaign_message_name"],
                filter='contains-any(send_channel,["email","sms"])',
                **conv)}}),
        ("/api/flow-values-reports", {"data": {
            "type": "flow-values-report", "attributes": dict(
                statistics=msg_stats, timeframe={"key": "last_90_days"},
                **conv)}}),
        ("/api/flow-series-reports", {"data": {
            "type": "flow-series-report", "attributes": dict(
                statistics=["recipients", "conversion_value", "open_rate"],
                timeframe={"key": "last_30_days"}, interval="daily",
                group_by=["flow_id", "flow_message_id", "flow_name"],
                **conv)}}),
        ("/api/flow-series-reports", {"data": {
            "type": "flow-series-report", "attributes": dict(
                statistics=["recipients"], timeframe={"key": "last_week"},
                interval="hourly", **conv)}}),
        ("/api/form-values-reports", {"data": {
            "type": "form-values-report", "attributes": {
                "statistics": ["viewed_form", "viewed_form_uniques",
                               "submits", "submit_rate"],
                "timeframe": {"key": "last_365_days"},
                "group_by": ["form_id", "form_version_id"]}}}),
        ("/api/form-series-reports", {"data": {
            "type": "form-series-report", "attributes": {
                "statistics": ["viewed_form", "submits", "submit_rate"],
                "timeframe": {"key": "last_12_months"},
                "interval": "weekly"}}}),
        ("/api/segment-values-reports", {"data": {
            "type": "segment-values-report", "attributes": {
                "statistics": ["total_members", "members_added",
                               "members_removed", "net_members_changed"],
                "timeframe": {"key": "last_30_days"}}}}),
        ("/api/segment-series-reports", {"data": {
            "type": "segment-series-report", "attributes": {
                "statistics": ["total_members", "net_members_changed"],
                "timeframe": {"key": "this_year"},
                "interval": "monthly"}}}),
    ]


def check_reports(prism, sandbox, name, key, metric):
    for path, body in report_bodies(metric):
        if not metric and "conversion_metric_id" not in json.dumps(body) \
                and ("campaign" in path or "flow" in path):
            continue
        what = "POST %s %s (%s)" % (path, json.dumps(
            body["data"]["attributes"]["timeframe"]), name)
        pages = 0
        url = path
        while url is not None and pages < 10:
            reset(sandbox)
            doc = via_prism(prism, url, key, 200, "%s page %d" %
                            (what, pages + 1), body=body)
            if doc is None:
                break
            pages += 1
            at = doc["data"]["attributes"]
            if "date_times" in at:
                n = len(at["date_times"])
                bad = [r for r in at["results"] for v in
                       r["statistics"].values() if len(v) != n]
                report(not bad, "%s: series aligned with %d date_times" %
                       (what, n))
            nxt = doc.get("links", {}).get("next")
            url = prism_path(prism, nxt) if nxt else None


def check_report_errors(prism, sandbox, key, metric):
    """Each violation is a 400 with errors[] pointing at it (sent to the
    sandbox directly: Prism answers invalid bodies itself with 422)."""
    base = {"statistics": ["recipients"], "timeframe": {"key":
            "last_30_days"}, "conversion_metric_id": metric}
    cases = [
        ("/api/campaign-values-reports", None, "/data"),
        ("/api/campaign-values-reports", b"{not json", "/"),
        ("/api/campaign-values-reports", {"data": {"type": "campaign",
         "attributes": base}}, "/data/type"),
        ("/api/campaign-values-reports", {"data": {
         "type": "campaign-values-report", "attributes": dict(
             base, statistics=["opens", "nope"])}},
         "/data/attributes/statistics/1"),
        ("/api/campaign-values-reports", {"data": {
         "type": "campaign-values-report", "attributes": {
             "statistics": ["opens"], "timeframe": {"key": "last_30_days"}}}},
         "/data/attributes/conversion_metric_id"),
        ("/api/campaign-values-reports", {"data": {
         "type": "campaign-values-report", "attributes": dict(
             base, conversion_metric_id="XXXXXX")}},
         "/data/attributes/conversion_metric_id"),
        ("/api/campaign-values-reports", {"data": {
         "type": "campaign-values-report", "attributes": dict(
             base, timeframe={"start": "2024-01-01T00:00:00+00:00",
                              "end": "2025-06-01T00:00:00+00:00"})}},
         "/data/attributes/timeframe"),
        ("/api/campaign-values-reports", {"data": {
         "type": "campaign-values-report", "attributes": dict(
             base, group_by=["send_channel"])}},
         "/data/attributes/group_by"),
        ("/api/campaign-values-reports", {"data": {
         "type": "campaign-values-report", "attributes": dict(
             base, filter='contains-any(send_channel,["fax"])')}},
         "/data/attributes/filter"),
        ("/api/flow-series-reports", {"data": {
         "type": "flow-series-report", "attributes": dict(
             base, interval="daily", timeframe={"key": "last_90_days"})}},
         "/data/attributes/timeframe"),
        ("/api/flow-series-reports", {"data": {
         "type": "flow-series-report", "attributes": base}},
         "/data/attributes/interval"),
        ("/api/form-values-reports", {"data": {
         "type": "form-values-report", "attributes": base}},
         "/data/attributes/conversion_metric_id"),
        ("/api/form-series-reports", {"data": {
         "type": "form-series-report", "attributes": {
             "statistics": ["submits"], "timeframe": {"key": "this_year"},
             "interval": "monthly", "group_by": ["form_version_id"]}}},
         "/data/attributes/group_by"),
        ("/api/segment-values-reports", {"data": {
         "type": "segment-values-report", "attributes": {
             "statistics": ["total_members"], "timeframe": {
                 "start": "2023-05-01T00:00:00", "end":
                 "2023-07-01T00:00:00"}}}},
         "/data/attributes/timeframe"),
        ("/api/segment-series-reports", {"data": {
         "type": "segment-series-report", "attributes": {
             "statistics": ["total_members"], "timeframe": {"key":
                                                             "last_week"},
             "interval": "hourly", "group_by": ["segment_id"]}}},
         "/data/attributes/group_by"),
    ]
    for path, body, pointer in cases:
        reset(sandbox)
        if body is None:
            status, headers, raw = request(sandbox + path, key,
                                           method="POST")
        else:
            status, headers, raw = request(sandbox + path, key, body=body)
        why = None
        if status != 400:
            why = "status %d: %s" % (status, raw[:300])
        else:
            why = check_error_shape(raw) or own_check(
                path, "POST", status, headers, raw)
            if why is None:
                ptrs = [e.get("source", {}).get("pointer") for e in
                        json.loads(raw)["errors"]]
                if pointer not in ptrs:
                    why = "no error at %s: %s" % (pointer, ptrs)
        report(why is None, "direct: POST %s with an error at %s is 400" %
               (path, pointer), why or "")
    # group_by before revision 2025-10-15, through Prism.
    reset(sandbox)
    via_prism(prism, "/api/campaign-values-reports", key, 400,
              "group_by with revision 2025-07-15 is 400", revision=
              "2025-07-15", body={"data": {
                  "type": "campaign-values-report", "attributes": dict(
                      base, group_by=["campaign_id",
                                      "campaign_message_id"])}})
    reset(sandbox)
    via_prism(prism, "/api/campaign-values-reports", key, 200,
              "no group_by with revision 2025-07-15 is 200", revision=
              "2025-07-15", body={"data": {
                  "type": "campaign-values-report", "attributes": base}})
    reset(sandbox)
    via_prism(prism, "/api/campaign-values-reports?page_cursor=bogus", key,
              400, "a bad page_cursor is 400", body={"data": {
                  "type": "campaign-values-report", "attributes": base}})
    # A third report within a (scaled) minute is a 429 with Retry-After.
    reset(sandbox)
    got = None
    body = {"data": {"type": "segment-values-report", "attributes": {
        "statistics": ["total_members"], "timeframe": {"key": "today"}}}}
    for i in range(10):
        status, headers, raw = request(prism + "/api/segment-values-reports",
                                       key, body=body)
        if status == 429:
            got = (headers, raw)
            break
    if got is None:
        report(False, "429 after exhausting /api/segment-values-reports")
    else:
        why = got[0].get("sl-violations") or check_error_shape(got[1])
        if not why and not got[0].get("retry-after"):
            why = "no Retry-After"
        report(not why, "a report's 429 has Retry-After through prism",
               why or "")


def check_webhooks(prism, sandbox):
    """The Webhooks API through Prism: topics, create, list, get, patch,
    delete, their errors; bodies Prism itself would refuse (422) go
    straight to the sandbox and are checked against ClientError."""
    k = KEYS["shopify"]
    po = "event:shopify.placed_order"
    one = "/api/webhooks/{id}"
    control(sandbox, "DELETE", "/__sandbox/webhooks")

    def new(name, url, topics, key=k, expect=201, what=None):
        reset(sandbox)
        return via_prism(prism, "/api/webhooks", key, expect,
                         what or "POST /api/webhooks (%s) is %d" %
                         (name, expect), body={"data": {
                             "type": "webhook",
                             "attributes": {"name": name, "endpoint_url": url,
                                            "secret_key": "s3cret"},
                             "relationships": {"webhook-topics": {"data": [
                                 {"type": "webhook-topic", "id": t}
                                 for t in topics]}}}})

    reset(sandbox)
    topics = via_prism(prism, "/api/webhook-topics", k, 200,
                       "GET /api/webhook-topics")
    ids = [t["id"] for t in topics["data"]] if topics else []
    report(po in ids and "event:klaviyo.received_email" in ids,
           "webhook topics include placed_order and received_email")
    reset(sandbox)
    via_prism(prism, "/api/webhook-topics/event%3Ashopify.placed_order", k,
              200, "GET /api/webhook-topics/{id}",
              op="/api/webhook-topics/{id}")
    reset(sandbox)
    via_prism(prism, "/api/webhook-topics/event%3Ashopify.nothing", k, 404,
              "GET /api/webhook-topics/{unknown} is 404",
              op="/api/webhook-topics/{id}")
    doc = new("kc", "https://hooks.example/kc/abc",
              [po, "event:klaviyo.opened_email"])
    wid = doc["data"]["id"] if doc else "none"
    path = "/api/webhooks/" + wid
    reset(sandbox)
    via_prism(prism, "/api/webhooks?include=webhook-topics", k, 200,
              "GET /api/webhooks?include=webhook-topics")
    reset(sandbox)
    via_prism(prism, path + "?include=webhook-topics", k, 200,
              "GET /api/webhooks/{id}", op=one)
    reset(sandbox)
    via_prism(prism, path, k, 200, "PATCH /api/webhooks/{id}", op=one,
              method="PATCH", body={"data": {
                  "type": "webhook", "id": wid,
                  "attributes": {"name": "kc2", "enabled": False,
                                 "description": None},
                  "relationships": {"webhook-topics": {"data": [
                      {"type": "webhook-topic", "id": po}]}}}})
    new("dup", "https://hooks.example/kc/abc", [po], expect=409,
        what="POST a webhook with the same endpoint_url is 409")
    new("topic", "https://hooks.example/kc/other", ["event:shopify.nothing"],
        expect=400, what="POST a webhook with an unknown topic is 400")
    new("http", "http://hooks.example/kc/x", [po], expect=400,
        what="POST a webhook with an http:// endpoint_url is 400")
    new("scope", "https://hooks.example/kc/y", [po], key=KEYS["noscope"],
        expect=403, what="POST /api/webhooks without webhooks:write is 403")
    reset(sandbox)
    via_prism(prism, "/api/webhooks", KEYS["noscope"], 403,
              "GET /api/webhooks without webhooks:read is 403")
    control(sandbox, "POST", "/__sandbox/accounts/ms2AAo/webhooks-access",
            {"enabled": False})
    reset(sandbox)
    via_prism(prism, "/api/webhooks", k, 403,
              "GET /api/webhooks without webhook access is 403")
    control(sandbox, "POST", "/__sandbox/accounts/ms2AAo/webhooks-access",
            {"enabled": True})
    reset(sandbox)
    via_prism(prism, path, k, 204, "DELETE /api/webhooks/{id} is 204", op=one,
              method="DELETE")
    reset(sandbox)
    via_prism(prism, path, k, 404, "GET /api/webhooks/{deleted} is 404",
              op=one)
    reset(sandbox)
    got = None
    # Driftwood's topics are few: Prism validates them fast enough to
    # reach 15 a (scaled) minute.
    for i in range(60):
        status, headers, body = request(prism + "/api/webhook-topics",
                                        KEYS["empty"])
        if status == 429:
            got = (headers, body)
            break
    why = "no 429" if got is None else (
        got[0].get("sl-violations") or check_error_shape(got[1]) or
        (None if got[0].get("retry-after") else "no Retry-After"))
    report(not why, "GET /api/webhook-topics 429 through prism", why or "")
    # Bodies the schema refuses: straight to the sandbox.
    for body, what in [
            (b"{not json", "a body that is not JSON"),
            ({"data": {"type": "webhook", "attributes": {
                "endpoint_url": "https://a.example/", "secret_key": "k"},
                "relationships": {"webhook-topics": {"data": []}}}},
             "a webhook without a name"),
            ({"data": {"type": "webhook", "attributes": {
                "name": "n", "endpoint_url": "https://a.example/"},
                "relationships": {"webhook-topics": {"data": [
                    {"type": "webhook-topic", "id": po}]}}}},
             "a webhook without a secret_key")]:
        reset(sandbox)
        status, headers, raw = request(sandbox + "/api/webhooks", k,
                                       body=body)
        why = ("status %d" % status) if status != 400 else \
            check_error_shape(raw) or own_check(
                "/api/webhooks", "POST", status, headers, raw)
        report(why is None, "direct: POST %s is 400" % what, why or "")
    # A created event is an event like the store's (no webhook: no send).
    control(sandbox, "POST", "/__sandbox/accounts/3tf5XC/events",
            {"metric": "Placed Order", "value": 49.99, "order_id": "SPEC-1",
             "properties": {"Items": ["a", "b"]}})
    reset(sandbox)
    via_prism(prism, "/api/events?sort=-datetime&page%5Bsize%5D=5"
              "&include=metric,profile,attributions", KEYS["custom"], 200,
              "GET /api/events with a created event")
    control(sandbox, "DELETE", "/__sandbox/webhooks")


def main():
    global validator
    prism, sandbox = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/")
    with open(sys.argv[3]) as f:
        validator = Validator(json.load(f))
    control(sandbox, "DELETE", "/__sandbox/faults")

    expected_pages = {
        "shopify": (3, 2), "woocommerce": (1, 1), "custom": (1, 1),
        "empty": (1, 1), "manylists": (1, 14),
    }
    stores = {a["key"]: a["store"] for a in
              control(sandbox, "GET", "/__sandbox/accounts")["accounts"]}
    for name, key in KEYS.items():
        control(sandbox, "DELETE", "/__sandbox/ratelimits")
        via_prism(prism, "/api/accounts", key, 200,
                  "GET /api/accounts (%s)" % name)
        if name == "noscope":
            for p in ("/api/metrics", "/api/custom-metrics", "/api/lists",
                      "/api/campaigns?filter=" + urllib.parse.quote(
                          "equals(messages.channel,'email')"),
                      "/api/flows", "/api/segments", "/api/forms",
                      "/api/events"):
                reset(sandbox)
                via_prism(prism, p, key, 403,
                          "GET %s without the scope (%s) is 403" %
                          (p, name))
            reset(sandbox)
            via_prism(prism, "/api/segment-values-reports", key, 403,
                      "POST a report without the scope (%s) is 403" % name,
                      body={"data": {"type": "segment-values-report",
                                     "attributes": {
                                         "statistics": ["total_members"],
                                         "timeframe": {"key": "today"}}}})
            continue
        check_lists(prism, sandbox, name, key, stores[key]["totals"])
        check_reports(prism, sandbox, name, key,
                      stores[key]["placed_order_metric"])
        mp, _ = follow(prism, sandbox, "/api/metrics", key,
                       "GET /api/metrics (%s)" % name)
        lp, _ = follow(prism, sandbox, "/api/lists", key,
                       "GET /api/lists (%s)" % name)
        exp = expected_pages[name]
        report(mp == exp[0], "%s: %s pages of metrics" % (name, exp[0]),
               "got %s" % mp)
        report(lp == exp[1], "%s: %s pages of lists" % (name, exp[1]),
               "got %s" % lp)
        control(sandbox, "DELETE", "/__sandbox/ratelimits")
        via_prism(prism, "/api/custom-metrics", key, 200,
                  "GET /api/custom-metrics (%s)" % name)
        via_prism(prism, "/api/custom-metrics?include=metrics", key, 200,
                  "GET /api/custom-metrics?include=metrics (%s)" % name)

    k = KEYS["shopify"]
    control(sandbox, "DELETE", "/__sandbox/ratelimits")
    q = urllib.parse.quote
    sparse_cases = [
        "/api/accounts?fields%5Baccount%5D=" +
        q("contact_information.organization_name,timezone"),
        "/api/metrics?fields%5Bmetric%5D=name,integration",
        "/api/lists?include=tags,flow-triggers&fields%5Blist%5D=name",
    ]
    for path in sparse_cases:
        control(sandbox, "DELETE", "/__sandbox/ratelimits")
        status, headers, body = request(prism + path, k)
        # Prism flags the missing required attributes (rightly, by the
        # spec: it has no room for sparse fieldsets) and, with --errors,
        # answers 500; every other rule must hold.
        viol = json.loads(headers.get("sl-violations") or "[]")
        other = [v for v in viol if v.get("code") != "required"]
        why = None
        if status not in (200, 500) or (status == 500 and not viol):
            why = "status %d: %s" % (status, body[:300])
        elif other:
            why = "sl-violations: " + json.dumps(other)[:800]
        else:
            control(sandbox, "DELETE", "/__sandbox/ratelimits")
            status, headers, body = request(sandbox + path, k)
            why = own_check(urllib.parse.urlsplit(path).path, "GET",
                            status, headers, body, required=False)
        report(why is None, "GET %s (sparse fieldset)" % path, why or "")
    cases = [
        ("/api/metrics?filter=" + q("equals(integration.name,'Shopify')"),
         200),
        ("/api/metrics?filter=" +
         q("equals(integration.category,'eCommerce')"), 200),
        ("/api/metrics?include=flow-triggers", 200),
        ("/api/lists?page%5Bsize%5D=3&sort=-name", 200),
        ("/api/lists?include=tags,flow-triggers", 200),
        ("/api/lists?filter=" + q("any(name,['Newsletter','VIP Customers'])"),
         200),
        ("/api/lists?filter=" +
         q("greater-than(updated,2023-01-01T00:00:00+00:00)"), 200),
        ("/api/metrics?page%5Bcursor%5D=not-a-cursor", 400),
        ("/api/metrics?page%5Bsize%5D=50", 400),
        ("/api/metrics?filter=" + q("equals(name,'Placed Order')"), 400),
        ("/api/lists?page%5Bsize%5D=10", 200),
    ]
    for path, expect in cases:
        control(sandbox, "DELETE", "/__sandbox/ratelimits")
        via_prism(prism, path, k, expect, "GET %s is %d" % (path, expect))
    # The new collections: filters, sorts, includes, sparse events.
    for path, expect in [
            ("/api/campaigns?filter=" + q("equals(messages.channel,'email')")
             + "&include=campaign-messages,tags&sort=-updated_at", 200),
            ("/api/campaigns?filter=" + q(
                "and(equals(messages.channel,'sms'),greater-or-equal("
                "updated_at,2025-06-01T00:00:00+00:00))") +
             "&page%5Bsize%5D=5&sort=name", 200),
            ("/api/campaigns?filter=" + q(
                "equals(messages.channel,'email'),equals(status,'Draft')"),
             200),
            ("/api/campaigns?filter=" + q(
                "equals(messages.channel,'email'),equals(archived,true)"),
             200),
            ("/api/campaigns?filter=" + q("equals(status,'Sent')"), 400),
            ("/api/campaigns?filter=" + q("equals(messages.channel,'fax')"),
             400),
            ("/api/campaigns?filter=" + q("equals(messages.channel,'email')")
             + "&page%5Bsize%5D=101", 400),
            ("/api/flows?include=flow-actions,tags&sort=-name&filter=" +
             q("equals(status,'live')"), 200),
            ("/api/flows?filter=" + q("contains(name,'Welcome')") +
             "&page%5Bsize%5D=51", 400),
            ("/api/segments?include=flow-triggers,tags&filter=" +
             q("equals(is_active,true)"), 200),
            ("/api/forms?page%5Bsize%5D=100&sort=-updated_at&filter=" +
             q("equals(status,'live')"), 200),
            ("/api/events?filter=" + q("and(equals(metric_id,'bWFrb5'),"
             "greater-or-equal(datetime,2025-06-01T00:00:00+00:00),"
             "less-than(datetime,2025-07-01T00:00:00+00:00))") +
             "&sort=-datetime&include=metric,profile,attributions", 200),
            ("/api/events?page%5Bsize%5D=1001", 400),
    ]:
        reset(sandbox)
        via_prism(prism, path, k, expect, "GET %s is %d" % (path, expect))
    reset(sandbox)
    via_prism(prism, "/api/events?page%5Bsize%5D=3&fields%5Bevent%5D="
              "datetime,event_properties", k, 200,
              "GET /api/events with a sparse fieldset", sparse=True)
    check_report_errors(prism, sandbox, k, stores[k]["placed_order_metric"])
    check_webhooks(prism, sandbox)

    control(sandbox, "DELETE", "/__sandbox/ratelimits")
    via_prism(prism, "/api/custom-metrics?include=metrics&fields%5Bmetric%5D"
              "=name&fields%5Bcustom-metric%5D=name,definition."
              "aggregation_method", KEYS["custom"], 200,
              "GET /api/custom-metrics with sparse fieldsets", sparse=True)

    # Errors the sandbox makes, through Prism.
    via_prism(prism, "/api/metrics", "pk_unknown0000000000000000000000000",
              401, "unknown key is 401")
    via_prism(prism, "/api/metrics", None, 401, "Bearer token is 401",
              headers={"Authorization": "Bearer abc.def"})
    via_prism(prism, "/api/metrics", k, 400, "revision 2026-02-30 is 400",
              revision="2026-02-30")
    via_prism(prism, "/api/metrics", k, 400, "revision 2031-01-15 is 400",
              revision="2031-01-15")
    via_prism(prism, "/api/accounts", k, 406, "Accept: text/html is 406",
              headers={"Accept": "text/html"})
    control(sandbox, "DELETE", "/__sandbox/ratelimits")
    got429 = None
    for i in range(60):
        status, headers, body = request(prism + "/api/accounts", k)
        if status == 429:
            got429 = (headers, body)
            break
    if got429 is None:
        report(False, "429 after exhausting /api/accounts")
    else:
        headers, body = got429
        why = headers.get("sl-violations") or check_error_shape(body)
        if not why and not headers.get("retry-after"):
            why = "no Retry-After"
        report(not why, "429 with Retry-After through prism", why or "")
    control(sandbox, "DELETE", "/__sandbox/ratelimits")
    control(sandbox, "POST", "/__sandbox/faults",
            {"fault": "status", "status": 503, "count": 1})
    via_prism(prism, "/api/metrics", k, 503, "injected 503 has the "
              "ServerError shape")

    # Answers Prism gives itself; checked straight at the sandbox.
    for path, key, rev, expect, what in [
            ("/api/metrics", k, None, 400, "no revision header is 400"),
            ("/api/metrics", None, REVISION, 401, "no Authorization is 401"),
            ("/api/nothing-here", k, REVISION, 404, "unknown path is 404"),
            ("/api/lists?page%5Bsize%5D=11", k, REVISION, 400,
             "page[size]=11 on /api/lists is 400"),
            ("/api/campaigns", k, REVISION, 400,
             "/api/campaigns without the channel filter is 400"),
            ("/api/forms?sort=name", k, REVISION, 400,
             "sort=name on /api/forms is 400"),
            ("/api/events?sort=value", k, REVISION, 400,
             "sort=value on /api/events is 400"),
    ]:
        control(sandbox, "DELETE", "/__sandbox/ratelimits")
        status, headers, body = request(sandbox + path, key, revision=rev)
        why = None
        if status != expect:
            why = "status %d, expected %d" % (status, expect)
        elif "application/vnd.api+json" not in headers.get(
                "content-type", ""):
            why = "content type " + headers.get("content-type", "")
        else:
            why = check_error_shape(body)
        if why is None and path != "/api/nothing-here":
            why = own_check(urllib.parse.urlsplit(path).path, "GET", status,
                            headers, body)
        report(why is None, "direct: " + what, why or "")

    # Negative controls: Prism must notice what is wrong on purpose.
    for fault in ("html", "content_type", "malformed"):
        control(sandbox, "DELETE", "/__sandbox/ratelimits")
        control(sandbox, "POST", "/__sandbox/faults",
                {"fault": fault, "count": 1})
        status, headers, body = request(prism + "/api/lists", k)
        caught = status == 500 and "problem+json" in headers.get(
            "content-type", "")
        report(caught, "prism rejects the %s fault (validator is live)" %
               fault, "status %d" % status)
    control(sandbox, "DELETE", "/__sandbox/faults")

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
