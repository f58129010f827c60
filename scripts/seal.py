#!/usr/bin/env python3
"""seal.py - offline stand-in for `kubeseal --format yaml` (and the controller's cert).

pglint's fixtures need SealedSecrets whose ciphertext has the real sealed-secrets
format, so that checks such as `sealed-value-invalid` see what a user's repository
holds. kubeseal needs a running controller (or its cert) and cannot be installed in
every build environment; this script reimplements just enough of it:

  cert    write a self-signed X.509 certificate shaped like the one the
          sealed-secrets controller serves at /v1/cert.pem (`kubeseal --fetch-cert`):
          RSA (default 4096 bit, e = 65537), empty subject/issuer DN,
          KeyUsage critical = Encipher Only, BasicConstraints critical CA:TRUE,
          sha256WithRSAEncryption, 3650 days validity, random 128-bit serial.
          The private key is written only when --key-out is given.

  seal    print a SealedSecret exactly as `kubeseal --format yaml` (v0.32+) prints
          it for the equivalent input Secret: a leading `---`, keys sorted the way
          go-yaml sorts them, own metadata = name + namespace (+ scope annotation
          for non-strict scopes), the input's annotations/labels/name/namespace in
          spec.template.metadata, the input's type in spec.template.type, and one
          ciphertext per key in spec.encryptedData.

  unseal  decrypt a SealedSecret file with a private key (development aid: proves a
          fixture round-trips). Prints key names and plaintext lengths; --show also
          prints the values.

Ciphertext format (bitnami-labs/sealed-secrets pkg/crypto/crypto.go, HybridEncrypt):
  base64std( uint16be(k) || RSA-OAEP-SHA256(pub, session_key, label) ||
             AES-256-GCM(session_key, nonce = 12 zero bytes, plaintext) )
  with k = modulus size in bytes (512 for RSA-4096), a fresh 32-byte session key per
  value, and the OAEP label chosen by scope:
      strict          "<namespace>/<name>"
      namespace-wide  "<namespace>"
      cluster-wide    ""  (empty)

Only dependency: `cryptography` >= 42 (pip install cryptography).

Examples:
  python3 scripts/seal.py cert --out pub-cert.pem
  python3 scripts/seal.py seal --cert pub-cert.pem --name gitea-db-creds \\
      --namespace postgres --type kubernetes.io/basic-auth \\
      --annotation argocd.argoproj.io/sync-wave=0 --label cnpg.io/reload=true \\
      username=gitea_user password=s3cr3t > gitea-secrets-sealed.yaml
  python3 scripts/seal.py unseal --key /tmp/key.pem gitea-secrets-sealed.yaml

Known differences from kubeseal: no JSON output, one Secret per run, and plain
scalars that contain spaces are never folded onto several lines (go-yaml folds such
scalars past column 80). None of this matters for the values pglint deals with.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import os
import re
import struct
import sys
import unicodedata

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.x509.oid import ExtensionOID
except ImportError:  # pragma: no cover - environment problem, not a code path
    sys.exit("seal.py needs the 'cryptography' package: pip install cryptography")

SESSION_KEY_BYTES = 32
GCM_NONCE = b"\x00" * 12
GCM_TAG_BYTES = 16

SCOPE_NAMESPACE_WIDE = "sealedsecrets.bitnami.com/namespace-wide"
SCOPE_CLUSTER_WIDE = "sealedsecrets.bitnami.com/cluster-wide"
LAST_APPLIED = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubecfg.ksonnet.io/last-applied-configuration",
)

# DER of KeyUsage = {encipherOnly} exactly as Go's x509.marshalKeyUsage writes it
# (BIT STRING, 0 unused bits, 0x01). `cryptography` refuses to build a KeyUsage with
# encipher_only unless key_agreement is set, so the extension is added pre-encoded.
KEY_USAGE_ENCIPHER_ONLY_DER = bytes.fromhex("03020001")


# --------------------------------------------------------------------------- crypto


def oaep_label(namespace: str, name: str, scope: str) -> bytes:
    """sealedsecret_expansion.go EncryptionLabel()."""
    if scope == "cluster-wide":
        return b""
    if scope == "namespace-wide":
        return namespace.encode()
    return f"{namespace}/{name}".encode()


def _oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=label,
    )


def hybrid_encrypt(pub: rsa.RSAPublicKey, plaintext: bytes, label: bytes) -> bytes:
    """crypto.go HybridEncrypt(): returns the raw blob (not yet base64)."""
    session_key = os.urandom(SESSION_KEY_BYTES)
    rsa_ct = pub.encrypt(session_key, _oaep(label))
    body = AESGCM(session_key).encrypt(GCM_NONCE, plaintext, None)
    return struct.pack(">H", len(rsa_ct)) + rsa_ct + body


def hybrid_decrypt(key: rsa.RSAPrivateKey, blob: bytes, label: bytes) -> bytes:
    """crypto.go singleDecrypt()."""
    if len(blob) < 2:
        raise ValueError("SealedSecret data is too short")
    (k,) = struct.unpack(">H", blob[:2])
    if len(blob) < 2 + k:
        raise ValueError("SealedSecret data is too short")
    session_key = key.decrypt(blob[2 : 2 + k], _oaep(label))
    return AESGCM(session_key).decrypt(GCM_NONCE, blob[2 + k :], None)


def load_cert_public_key(path: str) -> rsa.RSAPublicKey:
    with open(path, "rb") as fh:
        pem = fh.read()
    # Only the public key and validity are read: `cryptography` raises ValueError when
    # it parses a KeyUsage of Encipher Only (the controller's), so never touch
    # cert.extensions here.
    cert = x509.load_pem_x509_certificates(pem)[0]  # kubeseal uses certs[0]
    pub = cert.public_key()
    if not isinstance(pub, rsa.RSAPublicKey):
        sys.exit(f"{path}: certificate key is not RSA (kubeseal refuses it too)")
    now = datetime.datetime.now(datetime.timezone.utc)
    if cert.not_valid_after_utc < now:
        sys.exit(
            f"{path}: failed to encrypt using an expired certificate on "
            f"{cert.not_valid_after_utc.isoformat()}"
        )
    return pub


def make_cert(bits: int, days: int, cn: str):
    """keys.go generatePrivateKeyAndCert() + SignKey()."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)] if cn else [])
    not_before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    serial = 0
    while serial == 0:  # rand.Int(r, 2^128); X.509 forbids 0
        serial = int.from_bytes(os.urandom(16), "big")
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_before + datetime.timedelta(days=days))
        .add_extension(
            x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, KEY_USAGE_ENCIPHER_ONLY_DER),
            critical=True,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        # Go's CreateCertificate adds a SubjectKeyId to CA certificates.
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    )
    return key, builder.sign(key, hashes.SHA256())


# ------------------------------------------------------ go-yaml (v2) style emitting
#
# kubeseal marshals to JSON, then sigs.k8s.io/yaml turns the JSON into YAML with its
# go-yaml v2 fork: maps become map[interface{}]interface{} and are emitted with keys
# sorted by go-yaml's keyList.Less, strings that would resolve to another YAML 1.1
# type are double-quoted, strings libyaml cannot write plain are single-quoted.

_BOOL_NULL = {
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
    "true", "True", "TRUE", "false", "False", "FALSE",
    "on", "On", "ON", "off", "Off", "OFF",
    "", "~", "null", "Null", "NULL",
    ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ".nan", ".NaN", ".NAN", "<<",
}
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_INT = re.compile(
    r"^[-+]?(0|[1-9][0-9]*|0[0-7]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[bB][01]+)$"
)
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?"
    r"([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?$"
)


def _resolves_to_non_string(s: str) -> bool:
    if s in _BOOL_NULL:
        return True
    plain = s.replace("_", "")
    return bool(
        _INT.match(plain) or _FLOAT.match(plain) or _BASE60.match(s) or _TIMESTAMP.match(s)
    )


def _plain_allowed(s: str) -> bool:
    """Approximation of libyaml's yaml_emitter_analyze_scalar (block context)."""
    if s == "" or s != s.strip(" ") or "\n" in s or "\t" in s:
        return False
    if s[0] in "#,[]{}&*!|>'\"%@`":
        return False
    if s[0] in "-?:" and (len(s) == 1 or s[1] == " "):
        return False
    if s.startswith(("---", "...")):
        return False
    if ": " in s or " #" in s or s.endswith(":"):
        return False
    for ch in s:
        if ord(ch) < 0x20 or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            return False
    return True


def yaml_scalar(s: str) -> str:
    if _resolves_to_non_string(s):
        return _double_quoted(s)
    if _plain_allowed(s):
        return s
    if "\n" not in s and all(ord(c) >= 0x20 for c in s):
        return "'" + s.replace("'", "''") + "'"
    return _double_quoted(s)


def _double_quoted(s: str) -> str:
    out = []
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append(f"\\x{ord(ch):02X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _go_yaml_less(a: str, b: str) -> bool:
    """go-yaml v2 sorter.go keyList.Less for two string keys."""
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        al, bl = a[i].isalpha(), b[i].isalpha()
        if al and bl:
            return a[i] < b[i]
        if al or bl:
            return bl
        an = bn = 0
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return a[i] < b[i]
    return len(a) < len(b)


def _sorted_keys(d: dict) -> list:
    import functools

    def cmp(x, y):
        if _go_yaml_less(x, y):
            return -1
        if _go_yaml_less(y, x):
            return 1
        return 0

    return sorted(d, key=functools.cmp_to_key(cmp))


def emit_yaml(obj: dict, indent: int = 0) -> str:
    """Block-style YAML for nested dicts of strings (and None -> null)."""
    lines = []
    pad = "  " * indent
    for k in _sorted_keys(obj):
        v = obj[k]
        key = yaml_scalar(k)
        if isinstance(v, dict):
            if v:
                lines.append(f"{pad}{key}:")
                lines.append(emit_yaml(v, indent + 1))
            else:
                lines.append(f"{pad}{key}: {{}}")
        elif v is None:
            lines.append(f"{pad}{key}: null")
        else:
            lines.append(f"{pad}{key}: {yaml_scalar(v)}")
    return "\n".join(lines)


# ------------------------------------------------------------------------ commands


def _pairs(items, what):
    out = {}
    for item in items or []:
        if "=" not in item:
            sys.exit(f"{what} {item!r}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        if not k:
            sys.exit(f"{what} {item!r}: empty key")
        out[k] = v
    return out


def cmd_cert(args) -> None:
    key, cert = make_cert(args.bits, args.days, args.cn)
    with open(args.out, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    if args.key_out:
        fd = os.open(args.key_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.TraditionalOpenSSL,
                    serialization.NoEncryption(),
                )
            )
    print(
        f"wrote {args.out} (RSA-{args.bits}, {args.days} days)"
        + (f" and private key {args.key_out}" if args.key_out else "; private key discarded"),
        file=sys.stderr,
    )


def build_sealed_secret(args, pub: rsa.RSAPublicKey) -> dict:
    data = _pairs(args.data, "data")
    for item in args.from_file or []:
        if "=" not in item:
            sys.exit(f"--from-file {item!r}: expected KEY=PATH")
        k, path = item.split("=", 1)
        with open(path, "rb") as fh:
            data[k] = fh.read()
    if not data and not args.allow_empty_data:
        sys.exit("secret.data is empty in input Secret, assuming this is an error and aborting")
    annotations = _pairs(args.annotation, "--annotation")
    labels = _pairs(args.label, "--label")
    for k in LAST_APPLIED:  # StripLastAppliedAnnotations
        annotations.pop(k, None)

    # scope: --scope wins; otherwise read the input's scope annotations (as kubeseal)
    scope = args.scope
    if scope is None:
        if annotations.get(SCOPE_CLUSTER_WIDE) == "true":
            scope = "cluster-wide"
        elif annotations.get(SCOPE_NAMESPACE_WIDE) == "true":
            scope = "namespace-wide"
        else:
            scope = "strict"
    if scope != "cluster-wide" and not args.namespace:
        sys.exit("secret must declare a namespace (use --namespace or --scope cluster-wide)")
    # UpdateScopeAnnotations: the chosen scope's annotation, the other one removed
    annotations.pop(SCOPE_CLUSTER_WIDE, None)
    annotations.pop(SCOPE_NAMESPACE_WIDE, None)
    own_annotations = {}
    if scope == "cluster-wide":
        own_annotations[SCOPE_CLUSTER_WIDE] = "true"
    elif scope == "namespace-wide":
        own_annotations[SCOPE_NAMESPACE_WIDE] = "true"
    annotations.update(own_annotations)

    label = oaep_label(args.namespace or "", args.name, scope)
    encrypted = {}
    for k, v in data.items():
        raw = v if isinstance(v, bytes) else v.encode()
        encrypted[k] = base64.b64encode(hybrid_encrypt(pub, raw, label)).decode()

    def meta(extra: dict) -> dict:
        m = {"name": args.name}
        if args.namespace:
            m["namespace"] = args.namespace
        if args.legacy_creation_timestamp:
            m["creationTimestamp"] = None
        m.update(extra)
        return m

    tmpl_meta = {}
    if annotations:
        tmpl_meta["annotations"] = annotations
    if labels:
        tmpl_meta["labels"] = labels
    template = {"metadata": meta(tmpl_meta)}
    if args.type:
        template["type"] = args.type
    own = {"annotations": own_annotations} if own_annotations else {}
    return {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": meta(own),
        "spec": {"encryptedData": encrypted, "template": template},
    }


def cmd_seal(args) -> None:
    pub = load_cert_public_key(args.cert)
    doc = build_sealed_secret(args, pub)
    text = "---\n" + emit_yaml(doc) + "\n"
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def _scalar_value(line: str) -> str:
    v = line.split(":", 1)[1].strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        v = v[1:-1]
    return v


def _read_sealed_secrets(path: str):
    """Yield (name, namespace, own_annotations, encryptedData) per SealedSecret.

    Uses PyYAML when it is installed; otherwise a small reader for the fixed layout
    kubeseal (and this script) writes."""
    text = open(path).read()
    try:
        import yaml  # type: ignore
    except ImportError:
        yaml = None
    if yaml is not None:
        for doc in yaml.safe_load_all(text):
            if not isinstance(doc, dict) or doc.get("kind") != "SealedSecret":
                continue
            meta = doc.get("metadata") or {}
            yield (
                meta.get("name"),
                meta.get("namespace"),
                meta.get("annotations") or {},
                (doc.get("spec") or {}).get("encryptedData") or {},
            )
        return
    for doc in text.split("\n---"):
        name = namespace = None
        annotations: dict = {}
        values: dict = {}
        section = None
        for line in doc.splitlines():
            stripped = line.strip()
            if line.startswith("metadata:"):
                section = "meta"
            elif line.startswith("spec:"):
                section = "spec"
            elif section in ("meta", "meta-ann") and line.startswith("  annotations:"):
                section = "meta-ann"
            elif section in ("meta", "meta-ann") and line.startswith("  name:"):
                name, section = _scalar_value(line), "meta"
            elif section in ("meta", "meta-ann") and line.startswith("  namespace:"):
                namespace, section = _scalar_value(line), "meta"
            elif section == "meta-ann" and line.startswith("    ") and ":" in stripped:
                annotations[stripped.split(":", 1)[0]] = _scalar_value(line)
            elif section in ("meta", "meta-ann") and line.startswith("  "):
                section = "meta"
            elif line.startswith("  encryptedData:"):
                section = "enc"
            elif section == "enc" and line.startswith("    ") and ":" in stripped:
                values[stripped.split(":", 1)[0]] = _scalar_value(line)
            elif section == "enc" and not line.startswith("    "):
                section = "spec"
        if name is not None:
            yield name, namespace, annotations, values


def cmd_unseal(args) -> None:
    """Decrypt every `spec.encryptedData` value of the SealedSecrets in a file."""
    with open(args.key, "rb") as fh:
        key = serialization.load_pem_private_key(fh.read(), password=None)
    k_bytes = key.key_size // 8
    failed = False
    for name, namespace, annotations, values in _read_sealed_secrets(args.file):
        # the label comes from the SealedSecret's OWN metadata, as in Unseal()
        if annotations.get(SCOPE_CLUSTER_WIDE) == "true":
            scope = "cluster-wide"
        elif annotations.get(SCOPE_NAMESPACE_WIDE) == "true":
            scope = "namespace-wide"
        else:
            scope = "strict"
        label = oaep_label(namespace or "", name, scope)
        print(f"{namespace}/{name} ({scope}, OAEP label {label.decode()!r})")
        for item, b64 in values.items():
            try:
                blob = base64.b64decode(str(b64), validate=True)
                (k,) = struct.unpack(">H", blob[:2])
                plain = hybrid_decrypt(key, blob, label)
            except (ValueError, InvalidTag, struct.error) as exc:
                failed = True
                print(f"  {item}: FAILED ({type(exc).__name__}: {exc or 'bad tag'})")
                continue
            ok = k == k_bytes and len(blob) == 2 + k + len(plain) + GCM_TAG_BYTES
            failed |= not ok
            shown = f" = {plain.decode(errors='replace')!r}" if args.show else ""
            print(
                f"  {item}: prefix {blob[:2].hex()} (k={k}), {len(blob)} bytes, "
                f"{len(plain)}-byte plaintext{shown}{'' if ok else '  LAYOUT MISMATCH'}"
            )
    sys.exit(1 if failed else 0)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        description="Offline kubeseal stand-in for pglint fixtures.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:" + __doc__.split("Examples:", 1)[1].split("Known differences", 1)[0].rstrip(),
    )
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("cert", help="write a controller-like self-signed certificate")
    c.add_argument("--out", required=True, help="PEM certificate to write")
    c.add_argument("--bits", type=int, default=4096, help="RSA key size (default 4096)")
    c.add_argument("--days", type=int, default=3650, help="validity (default 3650)")
    c.add_argument("--cn", default="", help="subject/issuer CN (controller --my-cn; default empty)")
    c.add_argument("--key-out", help="also write the private key (PEM, mode 0600)")
    c.set_defaults(func=cmd_cert)

    s = sub.add_parser("seal", help="print kubeseal-identical SealedSecret YAML")
    s.add_argument("--cert", required=True, help="controller certificate (PEM)")
    s.add_argument("--name", required=True, help="Secret name")
    s.add_argument("--namespace", help="Secret namespace (required unless cluster-wide)")
    s.add_argument("--type", help="Secret type, e.g. kubernetes.io/basic-auth")
    s.add_argument("--annotation", action="append", metavar="K=V", help="input Secret annotation")
    s.add_argument("--label", action="append", metavar="K=V", help="input Secret label")
    s.add_argument(
        "--scope",
        choices=["strict", "namespace-wide", "cluster-wide"],
        help="like kubeseal --scope (default: from the scope annotations, else strict)",
    )
    s.add_argument("--from-file", action="append", metavar="KEY=PATH", help="value read from a file")
    s.add_argument("--allow-empty-data", action="store_true", help="like kubeseal --allow-empty-data")
    s.add_argument(
        "--legacy-creation-timestamp",
        action="store_true",
        help="emit `creationTimestamp: null` in both metadata blocks, as kubeseal <= 0.31 does",
    )
    s.add_argument("--out", help="write to this file instead of stdout")
    s.add_argument("data", nargs="*", metavar="KEY=VALUE", help="stringData entries")
    s.set_defaults(func=cmd_seal)

    u = sub.add_parser("unseal", help="decrypt a SealedSecret file with the private key")
    u.add_argument("--key", required=True, help="private key (PEM) from `cert --key-out`")
    u.add_argument("--show", action="store_true", help="also print plaintext values")
    u.add_argument("file")
    u.set_defaults(func=cmd_unseal)

    args = p.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
