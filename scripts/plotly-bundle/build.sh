#!/usr/bin/env bash
# Build dashboard/vendor/plotly-ecomap.min.js: plotly.js with only the traces ecomap's dashboard draws
# (entry.js). The full plotly.min.js is 4.8 MB and the browser runs all of it on every page with a chart;
# this one is about a third of that. Run it when plotly (the Python package, which fixes the plotly.js
# version Dash expects) moves to another plotly.js minor version: set that version in package.json first.
# Needs Node.js and npm (the build only; the dashboard serves the file it makes).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../dashboard/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/entry.js" "$work/"
cd "$work"
npm install --no-audit --no-fund --ignore-scripts >/dev/null
# esbuild's own binary comes as an optional dependency, so --ignore-scripts is enough
version="$(node -p "require('plotly.js/package.json').version")"
mkdir -p "$out"
node_modules/.bin/esbuild entry.js --bundle --format=iife --global-name=Plotly --minify --target=es2016 \
  --define:global=window --define:define.amd=false --define:process.env.NODE_DEBUG=false \
  --loader:.css=empty --legal-comments=linked --outfile="$out/plotly-ecomap.min.js" --log-level=warning
{ printf '\nplotly.js %s:\n' "$version"; cat node_modules/plotly.js/LICENSE; } >> "$out/plotly-ecomap.min.js.LEGAL.txt"
printf '%s\n' "$version" > "$out/plotly-ecomap.version"
echo "built $out/plotly-ecomap.min.js (plotly.js $version, $(wc -c < "$out/plotly-ecomap.min.js") bytes)"
