#!/usr/bin/env bash
# Build dist/ii-desktop/ from packaging/ii-desktop.spec (the spec the macOS app uses) and
# prove the bundle runs headless: --help, a tiny model built and checked, one generation
# with mlx, and the window rendered offscreen. Run it through `make package`.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${VENV:-.venv}/bin

if ! "$BIN/python" -c 'import PyInstaller' 2>/dev/null; then
    echo "PyInstaller is not installed in $BIN; run 'make package', which installs it." >&2
    exit 1
fi

started=$(date +%s)
"$BIN/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/ii-desktop.spec
built=$(date +%s)
echo "built dist/ii-desktop in $((built - started)) s"

app=dist/ii-desktop/ii-desktop
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export II_DESKTOP_DATA_DIR="$scratch/data"

echo "== ii-desktop --help"
"$app" --help | head -n 3
echo "== ii-desktop --version"
"$app" --version
echo "== ii-desktop dev tiny-model"
"$app" dev tiny-model "$scratch/tiny"
echo "== ii-desktop model check"
"$app" model check "$scratch/tiny"
echo "== ii-desktop bench engine (loads the model and generates)"
"$app" bench engine --model "$scratch/tiny" --rounds 1 --tokens 8
echo "== ii-desktop dev screenshot (Qt offscreen)"
QT_QPA_PLATFORM=offscreen "$app" dev screenshot --scenario first-run "$scratch/shot.png"
test -s "$scratch/shot.png"

echo "smoke test passed in $(($(date +%s) - built)) s"
echo "bundle size: $(du -sh dist/ii-desktop | cut -f1) ($(find dist/ii-desktop -type f | wc -l) files)"
