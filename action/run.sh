#!/usr/bin/env bash
# The logic of pglint's GitHub Action (action.yml passes its inputs as INPUT_* variables):
# install pglint, run it with GitHub annotations and the step summary, optionally write SARIF.
#
#   INPUT_VERSION            pglint version (default: the newest on PyPI; required for binary)
#   INPUT_INSTALL            `pip` (the wheel, into a virtualenv) or `binary` (a release archive,
#                            its SHA-256 checked)
#   INPUT_ARGS               pglint's arguments, without --format (default: `check`)
#   INPUT_WORKING_DIRECTORY  where to run it (default: .)
#   INPUT_SARIF_FILE         also write a SARIF report there, for upload-sarif (default: none)
#
# Outputs (GITHUB_OUTPUT): exit-code, and sarif-file when written. Exits with pglint's code.
# tests/distribution.rs runs this script with a fake GITHUB_* environment and the local wheel.
set -euo pipefail

version="${INPUT_VERSION:-}"
install="${INPUT_INSTALL:-pip}"
args="${INPUT_ARGS:-check}"
workdir="${INPUT_WORKING_DIRECTORY:-.}"
sarif="${INPUT_SARIF_FILE:-}"
repository="https://github.com/pglint/pglint"
tools="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/pglint-action"
output="${GITHUB_OUTPUT:-/dev/null}"

# Failing to install is exit 2, as pglint's own failures are: never mistaken for findings.
fail() {
  echo "::error::pglint action: $*" >&2
  exit 2
}

mkdir -p "$tools"
case "$install" in
  pip)
    python=python3
    command -v python3 > /dev/null || python=python # Windows runners
    "$python" -m venv "$tools/venv" || fail "cannot create a virtualenv"
    if [ -x "$tools/venv/bin/python" ]; then bin="$tools/venv/bin"; else bin="$tools/venv/Scripts"; fi
    spec="pglint${version:+==$version}"
    "$bin/python" -m pip install --quiet --disable-pip-version-check "$spec" \
      || fail "pip could not install $spec"
    pglint="$bin/pglint"
    ;;
  binary)
    [ -n "$version" ] || fail "install: binary needs a version"
    case "${RUNNER_OS:-Linux}/${RUNNER_ARCH:-X64}" in
      Linux/X64) target=x86_64-unknown-linux-musl ;;
      Linux/ARM64) target=aarch64-unknown-linux-musl ;;
      macOS/X64) target=x86_64-apple-darwin ;;
      macOS/ARM64) target=aarch64-apple-darwin ;;
      Windows/X64) target=x86_64-pc-windows-msvc ;;
      *) fail "no release binary for ${RUNNER_OS}/${RUNNER_ARCH}; use install: pip" ;;
    esac
    archive="pglint-$target.tar.gz"
    [ "$target" = x86_64-pc-windows-msvc ] && archive="pglint-$target.zip"
    url="$repository/releases/download/v$version/$archive"
    curl --fail --silent --show-error --location --output "$tools/$archive" "$url" \
      && curl --fail --silent --show-error --location --output "$tools/$archive.sha256" "$url.sha256" \
      || fail "cannot download $url"
    (cd "$tools" && sha256sum --check --status "$archive.sha256") \
      || fail "$archive does not match its published SHA-256"
    case "$archive" in
      *.zip) (cd "$tools" && unzip -q -o "$archive") ;;
      *) tar xzf "$tools/$archive" -C "$tools" ;;
    esac || fail "cannot unpack $archive"
    pglint="$tools/pglint-$target/pglint"
    ;;
  *) fail "install must be pip or binary, not $install" ;;
esac
"$pglint" --version || fail "the installed pglint does not run"

cd "$workdir"
read -r -a argv <<< "$args"
status=0
# Annotations, the full report in the log, and pglint's Markdown summary appended to
# $GITHUB_STEP_SUMMARY.
"$pglint" "${argv[@]}" --format github || status=$?
if [ -n "$sarif" ] && [ "$status" -ne 2 ]; then
  # A second run (tens of milliseconds) for the file; the summary is written once.
  GITHUB_STEP_SUMMARY="" "$pglint" "${argv[@]}" --format sarif --output "$sarif" --quiet > /dev/null || true
  echo "sarif-file=$sarif" >> "$output"
fi
echo "exit-code=$status" >> "$output"
exit "$status"
