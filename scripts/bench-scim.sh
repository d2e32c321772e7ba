#!/usr/bin/env bash
# SCIM's cost (docs/PERFORMANCE.md): seeds USERS users through the API on
# a fresh embedded store (scripts/bench.sh, whose variables apply), then
# measures the trivial handler and scim-find — the
# GET /scim/v2/Users?filter=userName eq "…" an identity provider sends
# before every creation, for random seeded users — DURATION each, and
# scim-prov: SCIM_USERS users provisioned through SCIM (that lookup, then
# POST /scim/v2/Users, each) with CONNS connections.
#
#   USERS=100000 bash scripts/bench-scim.sh
#   USERS=1000000 DURATION=15s bash scripts/bench-scim.sh   # seeding takes minutes
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/bench.sh -scenarios trivial,scim-find,scim-prov -scim-users "${SCIM_USERS:-10000}" "$@"
