#!/usr/bin/env bash
# The timeline screenshots the book and README show (docs/src/images/*.png): B17's stale read
# in alluxio-defaults (seed 205, the README's walkthrough), the same zoomed on its violation,
# and seed 589, the swarm seed with the most events among seeds 1 to 1,000 when it was chosen.
# Needs Chromium (apt-get install -y chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
ftsim() { cargo run --quiet --release -- "$@"; }
shot() { # shot PAGE PNG [#t=FROM,TO]
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1600,1000 \
    --screenshot="$2" "file://$1${3:-}" 2>/dev/null
}
ftsim run --seed 205 --preset alluxio-defaults --bug stale-read-after-lost-leadership \
  --timeline "$out/seed-205.html" > /dev/null || true
ftsim run --seed 589 --timeline "$out/seed-589.html" > /dev/null
shot "$out/seed-205.html" docs/src/images/timeline-stale-read-seed-205.png
shot "$out/seed-205.html" docs/src/images/timeline-stale-read-seed-205-zoomed.png "#t=363900,364200"
shot "$out/seed-589.html" docs/src/images/timeline-swarm-seed-589.png
rm -r "$out"
