#!/bin/sh
# Install ws-keepalive from a release tarball: the plugin built for the local Wireshark's
# major.minor, and the configuration profile "ws-keepalive". Needs a POSIX shell and tshark.
#
#   ./install.sh               personal plugin folder (Wireshark's own, from `tshark -G folders`)
#   ./install.sh --system      the global plugin folder (as root), and the profile as a global one
#   ./install.sh --uninstall [--system]   remove what install put there
#
# Options: --tshark PATH (default: tshark on PATH, or $TSHARK). A Wireshark whose major.minor has
# no plugin in this tarball gets a message naming the versions it has. Wireshark loads a plugin
# only into the major.minor it was built for.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
system=0
uninstall=0
tshark=${TSHARK:-tshark}
while [ $# -gt 0 ]; do
    case "$1" in
        --system) system=1 ;;
        --uninstall) uninstall=1 ;;
        --tshark) [ $# -ge 2 ] || { echo "install.sh: --tshark needs a path" >&2; exit 2; }; tshark=$2; shift ;;
        -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

say() { printf 'ws-keepalive: %s\n' "$*"; }
die() { printf 'ws-keepalive: %s\n' "$*" >&2; exit 1; }

command -v "$tshark" >/dev/null 2>&1 ||
    die "tshark not found (Debian/Ubuntu: apt install tshark; or give --tshark PATH)"

# "TShark (Wireshark) 4.4.13 (Git v4.4.13 packaged as ...)." -> 4.4
ver=$("$tshark" --version 2>/dev/null | sed -n '1s/^[^0-9]*\([0-9][0-9]*\)\.\([0-9][0-9]*\)\..*/\1.\2/p')
[ -n "$ver" ] || die "cannot tell the Wireshark version from '$tshark --version'"

have=""
for d in "$here"/plugins/*/epan/ws_keepalive.so; do
    [ -f "$d" ] || continue
    v=${d%/epan/ws_keepalive.so}
    have="$have, ${v##*/}"
done
have=${have#, }

# Wireshark's own folders (tshark -G folders: "Personal Plugins:<tab>$HOME/.local/lib/...").
folder() {
    "$tshark" -G folders 2>/dev/null | sed -n "s/^$1:[[:space:]]*//p" | head -n 1
}
if [ "$system" -eq 1 ]; then
    plugins=$(folder "Global Plugins")
    profiles=$(folder "Global configuration")/profiles
else
    plugins=$(folder "Personal Plugins")
    profiles=$(folder "Personal configuration")/profiles
fi
[ -n "$plugins" ] || die "tshark -G folders names no plugin folder"
dest="$plugins/epan"
profile="$profiles/ws-keepalive"

if [ "$uninstall" -eq 1 ]; then
    removed=0
    if [ -f "$dest/ws_keepalive.so" ]; then
        rm -f "$dest/ws_keepalive.so"
        say "removed $dest/ws_keepalive.so"
        removed=1
    fi
    if [ -d "$profile" ]; then
        # Only the files this tarball installs; a profile the user added files to is kept.
        for f in "$here"/profiles/ws-keepalive/*; do
            rm -f "$profile/${f##*/}"
        done
        if rmdir "$profile" 2>/dev/null; then
            say "removed the profile $profile"
        else
            say "kept $profile: it holds files of yours ($(ls "$profile" | tr '\n' ' '))"
        fi
        removed=1
    fi
    [ "$removed" -eq 1 ] || say "nothing to remove for Wireshark $ver (${plugins})"
    exit 0
fi

so="$here/plugins/$ver/epan/ws_keepalive.so"
if [ ! -f "$so" ]; then
    die "this tarball has the plugin for Wireshark $have; your tshark is Wireshark $ver.
A plugin loads only into the Wireshark major.minor it was built for. To build one for $ver,
get the source and run scripts/run.sh there (it needs Rust and libwireshark-dev $ver; see
README.md, \"Two commands\")."
fi

if [ -f "$here/SHA256SUMS" ] && command -v sha256sum >/dev/null 2>&1; then
    (cd "$here" && sha256sum -c --quiet SHA256SUMS) || die "SHA256SUMS does not match the files: the tarball is damaged"
fi

if [ "$system" -eq 0 ] && [ "$(id -u)" -eq 0 ]; then
    say "note: you are root; Wireshark ignores personal plugins when it runs as root."
    say "      Run this as the user who runs Wireshark, or use --system."
fi

mkdir -p "$dest" "$profile"
cp "$so" "$dest/ws_keepalive.so.tmp"
chmod 0644 "$dest/ws_keepalive.so.tmp"
mv -f "$dest/ws_keepalive.so.tmp" "$dest/ws_keepalive.so"
say "installed $dest/ws_keepalive.so (Wireshark $ver)"
for f in "$here"/profiles/ws-keepalive/*; do
    cp "$f" "$profile/"
    chmod 0644 "$profile/${f##*/}"
done
say "installed the profile $profile (GUI: Edit > Configuration Profiles; tshark -C ws-keepalive)"

if "$tshark" -G plugins 2>/dev/null | grep -q 'ws_keepalive\.so'; then
    say "tshark -G plugins lists ws_keepalive.so"
elif [ "$system" -eq 0 ] && [ "$(id -u)" -eq 0 ]; then
    say "tshark (as root) does not load it from the personal folder, as said above"
else
    die "tshark -G plugins does not list ws_keepalive.so after installing it"
fi
