#!/usr/bin/env bash
# Measures Go's golang.org/x/sync/singleflight in the .NET suite's scenarios (a), (c) and (d), then, unless
# --go-only is given, runs the .NET suite's matching classes right after it, so both land in one run.
#   benchmarks/go/run.sh              # Go, then the .NET scenarios (a), (c), (d): about 15 minutes
#   benchmarks/go/run.sh --go-only    # Go only: about 30 seconds
# Installs Debian's golang-go and golang-golang-x-sync-dev when missing (needs root and apt).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sync_src=/usr/share/gocode/src/golang.org/x/sync/singleflight

if ! command -v go >/dev/null 2>&1 || [ ! -d "$sync_src" ]; then
  echo "installing golang-go and golang-golang-x-sync-dev..." >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-golang-x-sync-dev; } >/dev/null
fi

# Debian ships x/sync as source under /usr/share/gocode: build in GOPATH mode, in a scratch GOPATH.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/gobench"
cp "$here/singleflight_bench_test.go" "$work/src/gobench/"

echo "== $(go version); x/sync from $(dpkg-query -W -f='${Package} ${Version}' golang-golang-x-sync-dev 2>/dev/null || echo "$sync_src")"
echo "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$work/src/gobench" && GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="$work/cache" \
  go test -run '^$' -bench . -benchtime 2s -count 3)

if [ "${1:-}" != "--go-only" ]; then
  echo "== .NET: scenarios (a) uncontended, (c) stampede, (d) many keys; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  cd "$root"
  dotnet run -c Release --project benchmarks/SingleFlight.Benchmarks -- \
    --filter '*UncontendedSyncBenchmarks*' '*StampedeBenchmarks*' '*ManyKeysBenchmarks*'
fi
