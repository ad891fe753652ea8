#!/usr/bin/env bash
# Build dist/ii-desktop.app (arm64) and dist/ii-desktop-VERSION.dmg on macOS, from the
# spec shared with Linux (packaging/ii-desktop.spec). Run it through `make package`.
#
# Optional, read from the environment (each step is skipped with a note when unset):
#   II_DESKTOP_SIGN_IDENTITY   a "Developer ID Application: ..." identity for codesign
#   II_DESKTOP_NOTARY_PROFILE  a keychain profile made with `xcrun notarytool store-credentials`
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${VENV:-.venv}/bin

if [ "$(uname -s)" != Darwin ] || [ "$(uname -m)" != arm64 ]; then
    echo "This script builds the macOS app and needs a Mac with Apple silicon." >&2
    exit 1
fi
if ! "$BIN/python" -c 'import PyInstaller' 2>/dev/null; then
    echo "PyInstaller is not installed in $BIN; run 'make package', which installs it." >&2
    exit 1
fi

version=$("$BIN/python" -c 'import sys; sys.path.insert(0, "packaging"); import bundle_info, pathlib; print(bundle_info.read_version(pathlib.Path(".")))')
app=dist/ii-desktop.app
dmg=dist/ii-desktop-$version.dmg

# The committed .icns is the one the app uses; regenerate it when the SVG changed.
if [ resources/icons/ii-desktop.svg -nt resources/icons/ii-desktop.icns ]; then
    "$BIN/python" packaging/make_icons.py
fi

started=$(date +%s)
"$BIN/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/ii-desktop.spec
echo "built $app in $(($(date +%s) - started)) s"

# mlx finds its Metal kernels next to its library; without them every model load fails.
if ! find "$app" -name mlx.metallib | grep -q .; then
    echo "The app lacks mlx.metallib, so models would not load; check that mlx is installed in $BIN." >&2
    exit 1
fi
"$app/Contents/MacOS/ii-desktop" --version

if [ -n "${II_DESKTOP_SIGN_IDENTITY:-}" ]; then
    codesign --force --deep --timestamp --options runtime \
        --entitlements packaging/macos/entitlements.plist \
        --sign "$II_DESKTOP_SIGN_IDENTITY" "$app"
    codesign --verify --deep --strict --verbose=2 "$app"
else
    echo "Not signing: set II_DESKTOP_SIGN_IDENTITY to a Developer ID identity to sign the app."
fi

rm -f "$dmg"
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "ii-desktop $version" -srcfolder "$staging" -fs HFS+ \
    -format UDZO -ov "$dmg"
if [ -n "${II_DESKTOP_SIGN_IDENTITY:-}" ]; then
    codesign --force --timestamp --sign "$II_DESKTOP_SIGN_IDENTITY" "$dmg"
fi

if [ -n "${II_DESKTOP_NOTARY_PROFILE:-}" ] && [ -n "${II_DESKTOP_SIGN_IDENTITY:-}" ]; then
    xcrun notarytool submit "$dmg" --keychain-profile "$II_DESKTOP_NOTARY_PROFILE" --wait
    xcrun stapler staple "$dmg"
    xcrun stapler staple "$app"
elif [ -n "${II_DESKTOP_NOTARY_PROFILE:-}" ]; then
    echo "Not notarizing: Apple notarizes only signed apps; set II_DESKTOP_SIGN_IDENTITY too."
else
    echo "Not notarizing: set II_DESKTOP_NOTARY_PROFILE to a notarytool keychain profile to notarize."
fi

echo "app size: $(du -sh "$app" | cut -f1); disk image: $(du -h "$dmg" | cut -f1) ($dmg)"
