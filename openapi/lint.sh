#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# lint.sh lints an OpenAPI document with Redocly CLI and the repository's
# redocly.yaml. It exits non-zero when the document has errors; warnings
# are printed but do not fail it. The first run downloads the CLI.
#
# Usage: openapi/lint.sh path/to/openapi.json
set -eu
if [ "$#" -ne 1 ]; then
	echo "usage: $0 openapi.json" >&2
	exit 2
fi
repo=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
REDOCLY_TELEMETRY=off exec npx --yes @redocly/cli@2.77.0 lint --config "$repo/redocly.yaml" "$1"
