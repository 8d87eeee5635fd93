#!/usr/bin/env bash
# The seed lab on real traffic (docs/lab.md). Needs root.
#   sudo scripts/lab.sh up [--dir DIR] [--prefix P]     # namespaces frontend, backend1, backend2; two datapath workers
#   sudo ip netns exec frontend curl -s http://10.222.2.34/
#   sudo scripts/lab.sh down [--dir DIR]
# A thin wrapper over `datapath lab up|down`: builds the CLI (Release) when needed, installs the
# tools the lab uses (iproute2, python3, curl) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "lab.sh needs root (network namespaces, TAP devices): run it with sudo" >&2; exit 2; }
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || { apt-get update -qq; apt-get install -y -qq "${need[@]}" >/dev/null; }
fi
DLL=src/Cli/bin/Release/net10.0/datapath.dll
if [ ! -f "$DLL" ] || [ -n "$(find src -name '*.cs' -newer "$DLL" -print -quit)" ]; then
  dotnet build -c Release src/Cli >/dev/null
fi
exec dotnet "$DLL" lab "$@"
