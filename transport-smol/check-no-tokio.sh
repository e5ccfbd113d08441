#!/bin/sh
# livechat-smol must not depend on tokio, directly or through anything it uses.
# `cargo tree -i tokio` over normal (non-dev, non-build) edges prints the path to tokio
# when there is one and "nothing to print" / an error when there is none. livechat-sim is
# a dev-dependency (tests and examples only), so tokio may appear there, never here.
#
#   cargo tree -p livechat-smol -e normal -i tokio          # must find nothing
#   cargo tree -p livechat-smol -e normal --all-features -i tokio   # nor with native-roots
#
# Deliberately not a `#[test]`: it is a property of the manifest, checked in CI by this script.
set -eu
cd "$(dirname "$0")/.."
for features in "" "--all-features" "--no-default-features"; do
    # shellcheck disable=SC2086
    out=$(cargo tree -p livechat-smol -e normal $features -i tokio 2>&1 || true)
    if printf '%s\n' "$out" | grep -q '^tokio v'; then
        printf 'tokio is in livechat-smol'"'"'s dependency tree (%s):\n%s\n' "${features:-default features}" "$out" >&2
        exit 1
    fi
done
echo "livechat-smol: no tokio in the normal dependency tree"
