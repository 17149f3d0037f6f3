#!/usr/bin/env bash
# Publishes this sample with Native AOT for linux-x64 and runs the native binary: the generated code of methods with
# trimming annotations must publish without a trim or AOT warning and behave the same as under the JIT.
# Too slow for every CI run (the solution's build already compiles this project with the trim and AOT analyzers on).
# Needs clang (or gcc) and zlib's development files: apt-get install -y clang zlib1g-dev.
set -euo pipefail

cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

out="$(mktemp -d)"
log="$out/publish.log"
trap 'rm -rf "$out"' EXIT

# NativeAot=true sets PublishAot in the project (see AotConsumer.csproj). The SDK picks the ILCompiler package's version.
start=$(date +%s)
if ! dotnet publish -c Release -r linux-x64 -p:NativeAot=true -o "$out/bin" >"$log" 2>&1; then
  cat "$log"
  echo "publish failed" >&2
  exit 1
fi
end=$(date +%s)

# Warnings are errors in this repository's builds, ILC's (IL2xxx, IL3xxx) included; check the log anyway.
if grep -E "warning (IL|CS)[0-9]+" "$log"; then
  echo "publish had warnings" >&2
  exit 1
fi

echo "published with Native AOT in $((end - start)) s: $(du -h "$out/bin/AotConsumer" | cut -f1) native binary"
"$out/bin/AotConsumer"
