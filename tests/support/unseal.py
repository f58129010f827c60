"""Decrypts sealed-secrets values with Python's `cryptography`: an implementation of the
documented format (shared/spec/domain/sealed-value-format.md) independent of pglint's Rust one.

usage: unseal.py PRIVATE_KEY_PEM LABEL VALUE...
Prints each plaintext as hex, one per line (hex: a test compares it, nothing is shown).
"""

import base64
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def unseal(key, label, text):
    blob = base64.b64decode(text, validate=True)
    rsa_len = int.from_bytes(blob[:2], "big")
    session_key = key.decrypt(
        blob[2 : 2 + rsa_len],
        padding.OAEP(
            mgf=padding.MGF1(algorithm=hashes.SHA256()),
            algorithm=hashes.SHA256(),
            label=label.encode() or None,
        ),
    )
    return AESGCM(session_key).decrypt(b"\0" * 12, blob[2 + rsa_len :], None)


def main():
    key_path, label, *values = sys.argv[1:]
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    for value in values:
        print(unseal(key, label, value).hex())


if __name__ == "__main__":
    main()
