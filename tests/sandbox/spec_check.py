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

    def check(self, s, v, where, errs, required=True):
        s = self.resolve(s)
        if len(errs) > 20:
            return
        if v is None:
            if not s.get("nullable"):
                errs.append("%s: null is not allowed" % where)
            return
        for key, want in (("oneOf", 1), ("anyOf", 0)):
            if key in s:
                ok = 0
                for sub in s[key]:
                    e = []
                    self.check(sub, v, where, e, required)
                    ok += not e
                if (want == 1 and ok != 1) or (want == 0 and ok == 0):
                    errs.append("%s: matches %d of %s" % (where, ok, key))
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


def request(url, key=None, revision=REVISION, headers=None, method="GET"):
    h = {"Accept": "application/vnd.api+json"}
    if key is not None:
        h["Authorization"] = "Klaviyo-API-Key " + key
    if revision is not None:
        h["revision"] = revision
    h.update(headers or {})
    req = urllib.request.Request(url, headers=h, method=method)
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


def via_prism(prism, path, key, expect, what, sparse=False, **kw):
    """One request through Prism; returns the parsed body or None.
    sparse: a sparse fieldset was asked for, so required attributes may
    be missing (the spec's schemas do not allow for sparse fieldsets)."""
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
    why = own_check(urllib.parse.urlsplit(path).path, "GET", status,
                    headers, body, required=not sparse)
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
    for name, key in KEYS.items():
        control(sandbox, "DELETE", "/__sandbox/ratelimits")
        via_prism(prism, "/api/accounts", key, 200,
                  "GET /api/accounts (%s)" % name)
        if name == "noscope":
            for p in ("/api/metrics", "/api/custom-metrics", "/api/lists"):
                via_prism(prism, p, key, 403,
                          "GET %s without the scope (%s) is 403" %
                          (p, name))
            continue
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
        if why is None and path.startswith("/api/metrics"):
            why = own_check("/api/metrics", "GET", status, headers, body)
        if why is None and path.startswith("/api/lists"):
            why = own_check("/api/lists", "GET", status, headers, body)
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
