#!/usr/bin/env bash
# Runs every property test (trait Category=Property) for SECONDS each with new random seeds, instead of
# the fixed seed set ./scripts/test.sh runs. A failure names the property, its seed and the case; replay
# it with DATAPATH_FUZZ_SEED=N (and the same --filter). DATAPATH_FUZZ_ALL=1 with no SECONDS runs the fixed
# set and reports every failure, not only the first.
#   usage: scripts/fuzz.sh SECONDS [dotnet test options...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]] || [ "$1" -le 0 ]; then
  echo "usage: scripts/fuzz.sh SECONDS [dotnet test options...]   (SECONDS: a positive whole number, per property)" >&2
  exit 1
fi
seconds=$1; shift
export DATAPATH_FUZZ_SECONDS=$seconds
dotnet test Datapath.sln -c Release --filter "Category=Property" --logger "console;verbosity=normal" "$@" \
  | grep -E "cases in|fails for seed|Passed!|Failed!|error" || true
exit "${PIPESTATUS[0]}"
