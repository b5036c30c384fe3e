#!/usr/bin/env python3
"""Cut the operations the sandbox serves out of Klaviyo's OpenAPI spec.

Prism needs about 70 s to load the whole stable.json; the operations
below (GET collections, POST reports and the Webhooks API), with every component they
reference, load in a few seconds.  Usage: reduce_spec.py STABLE_JSON > reduced.json
"""
import json
import sys

# path -> methods the sandbox serves (sandbox_endpoints.c).
OPERATIONS = {
    "/api/accounts": ["get"],
    "/api/metrics": ["get"],
    "/api/custom-metrics": ["get"],
    "/api/lists": ["get"],
    "/api/campaigns": ["get"],
    "/api/flows": ["get"],
    "/api/segments": ["get"],
    "/api/forms": ["get"],
    "/api/events": ["get"],
    "/api/campaign-values-reports": ["post"],
    "/api/flow-values-reports": ["post"],
    "/api/flow-series-reports": ["post"],
    "/api/form-values-reports": ["post"],
    "/api/form-series-reports": ["post"],
    "/api/segment-values-reports": ["post"],
    "/api/segment-series-reports": ["post"],
    "/api/webhook-topics": ["get"],
    "/api/webhook-topics/{id}": ["get"],
    "/api/webhooks": ["get", "post"],
    "/api/webhooks/{id}": ["get", "patch", "delete"],
}


def refs(node, out):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            out.add(ref)
        for v in node.values():
            refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def lookup(spec, ref):
    node = spec
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    paths = {}
    for path, methods in OPERATIONS.items():
        item = spec["paths"][path]
        paths[path] = {m: item[m] for m in methods}
        if "parameters" in item:
            paths[path]["parameters"] = item["parameters"]
    out = {k: v for k, v in spec.items() if k not in ("paths", "components")}
    out["paths"] = paths
    todo = set()
    refs(paths, todo)
    done = set()
    comps = {}
    while todo:
        ref = todo.pop()
        if ref in done:
            continue
        done.add(ref)
        _, section, kind, name = ref.split("/", 3)
        node = lookup(spec, ref)
        comps.setdefault(kind, {})[name] = node
        refs(node, todo)
    comps["securitySchemes"] = spec["components"].get("securitySchemes", {})
    out["components"] = comps
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
