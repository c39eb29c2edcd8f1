#!/bin/sh
# Rebuild public_portal/static/js/vendor/noble-curves.min.js from the pinned npm
# packages in package.json / package-lock.json (see docs/spec/portal-js.md).
#
# Installs into a throw-away temporary directory (never into the repository),
# bundles entry.mjs with esbuild into ONE minified ES module, copies the
# licence next to it and prints the bundle's SHA-256 (record it in the doc).
# Usage: public_portal/vendor/build-noble.sh        (needs node + npm)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../static/js/vendor"
work=$(mktemp -d "${TMPDIR:-/tmp}/fairdraw-noble.XXXXXX")
trap 'rm -rf "$work"' EXIT

cp "$here/package.json" "$here/package-lock.json" "$here/entry.mjs" "$work/"
(cd "$work" && npm ci --no-audit --no-fund --ignore-scripts=false >/dev/null)

curves=$(node -p "require('$work/node_modules/@noble/curves/package.json').version")
hashes=$(node -p "require('$work/node_modules/@noble/hashes/package.json').version")

mkdir -p "$out"
(cd "$work" && ./node_modules/.bin/esbuild entry.mjs \
    --bundle --format=esm --minify --target=es2022 --platform=neutral \
    --legal-comments=none \
    "--banner:js=/*! @noble/curves $curves + @noble/hashes $hashes (MIT, Paul Miller) - bundled by public_portal/vendor/build-noble.sh; see LICENSE.noble */" \
    --outfile="$out/noble-curves.min.js")

{
  echo "@noble/curves $curves and @noble/hashes $hashes, bundled into noble-curves.min.js."
  echo
  echo "==== @noble/curves LICENSE ===="
  cat "$work/node_modules/@noble/curves/LICENSE"
  echo
  echo "==== @noble/hashes LICENSE ===="
  cat "$work/node_modules/@noble/hashes/LICENSE"
} > "$out/LICENSE.noble"

if command -v sha256sum >/dev/null 2>&1; then
  sha256sum "$out/noble-curves.min.js"
else
  shasum -a 256 "$out/noble-curves.min.js"
fi
