"""Compares `kubectl kustomize DIR` (YAML on stdin) with `pglint render DIR --format json`
(the file named by argv[1]): the same objects (kind, namespace, name) in the same order, the
same annotations and labels, and the same values of the fields pglint reads. Prints each difference; exit 1 if any.

PyYAML reads kustomize's output: kustomize quotes every string a YAML 1.1 reader could take
for something else, so the types read here are the ones the API server receives."""
import json
import sys

import yaml


# pglint never keeps this annotation's value: it may hold a whole Secret.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def masked(annotations):
    annotations = dict(annotations or {})
    if LAST_APPLIED in annotations:
        annotations[LAST_APPLIED] = "(not kept)"
    return annotations


def fields(obj):
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Database":
        return {
            "owner": spec.get("owner"),
            "cluster": (spec.get("cluster") or {}).get("name"),
            "name": spec.get("name"),
        }
    if kind == "Cluster":
        roles = ((spec.get("managed") or {}).get("roles")) or []
        return {
            "roles": [
                {
                    "name": r.get("name"),
                    "login": r.get("login"),
                    "passwordSecret": (r.get("passwordSecret") or {}).get("name"),
                }
                for r in roles
                if isinstance(r, dict)
            ]
        }
    if kind == "SealedSecret":
        template = spec.get("template")
        meta = (template or {}).get("metadata") or {}
        return {
            "encryptedData": sorted((spec.get("encryptedData") or {}).keys()),
            "template": None
            if template is None
            else {
                "name": meta.get("name"),
                "namespace": meta.get("namespace"),
                "type": template.get("type"),
                "annotations": masked(meta.get("annotations")),
                "labels": meta.get("labels") or {},
            },
        }
    if kind == "Secret":
        keys = list((obj.get("data") or {}).keys()) + list((obj.get("stringData") or {}).keys())
        return {"type": obj.get("type"), "keys": sorted(keys)}
    return {}


def normalise(kind, value):
    if kind == "SealedSecret" and value.get("encryptedData") is not None:
        value = dict(value, encryptedData=sorted(value["encryptedData"]))
    if kind == "SealedSecret" and value.get("template"):
        template = value["template"]
        value = dict(value, template=dict(template, annotations=masked(template.get("annotations"))))
    if kind == "Secret":
        value = dict(value, keys=sorted(value.get("keys") or []))
    return value


def main():
    want = [o for o in yaml.safe_load_all(sys.stdin) if isinstance(o, dict)]
    with open(sys.argv[1]) as f:
        got = json.load(f)["objects"]
    key = lambda kind, ns, name: (kind, ns, name)
    wanted = {}
    for o in want:
        meta = o.get("metadata") or {}
        wanted[key(o.get("kind"), meta.get("namespace"), meta.get("name"))] = o
    have = {key(o["kind"], o["namespace"], o["name"]): o for o in got}
    problems = []
    for k in sorted(set(wanted) - set(have), key=str):
        problems.append(f"missing {k}")
    for k in sorted(set(have) - set(wanted), key=str):
        problems.append(f"extra {k}")
    order_wanted = [k for k in wanted if k in have]
    order_have = [k for k in have if k in wanted]
    if order_wanted != order_have:
        problems.append(f"order: kustomize {order_wanted} pglint {order_have}")
    for k in sorted(set(wanted) & set(have), key=str):
        o, g = wanted[k], have[k]
        meta = o.get("metadata") or {}
        for field in ("annotations", "labels"):
            mine, theirs = meta.get(field) or {}, g[field]
            if field == "annotations":
                mine, theirs = masked(mine), masked(theirs)
            if mine != theirs:
                problems.append(f"{k} {field}: kustomize {mine} pglint {theirs}")
        if g.get("apiVersion") != o.get("apiVersion"):
            problems.append(f"{k} apiVersion: kustomize {o.get('apiVersion')} pglint {g.get('apiVersion')}")
        w, h = normalise(k[0], fields(o)), normalise(k[0], g.get("fields") or {})
        if w != h:
            problems.append(f"{k} fields: kustomize {w} pglint {h}")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


main()
