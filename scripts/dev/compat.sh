#!/usr/bin/env bash
# Build the plugin for other Wireshark versions and run the golden tests with each version's tshark.
#
#   scripts/dev/compat.sh               # 4.0 (this machine), 4.4 (Debian trixie), 4.6 (Debian sid)
#   scripts/dev/compat.sh --build-only  # only fetch the 4.4/4.6 headers and build against them (CI)
#   scripts/dev/compat.sh trixie        # only some releases (host, trixie, sid)
#
# For each Debian release: downloads libwireshark-dev, libwsutil-dev and libwiretap-dev with a
# private apt sources list and state under the cache dir (the machine's own apt sources are never
# touched), unpacks them, builds the plugin against their headers (a target dir per release) into
# dist/<major.minor>/epan/ws_keepalive.so, then (unless --build-only) makes a minimal debootstrap
# chroot of the release with tshark (kept between runs), bind-mounts the repository at the same path
# inside it and runs the golden test binaries (built on the host) there with WSK_PLUGIN pointing at
# that release's plugin. Prints one line per version and exits non-zero unless every one passes.
#
# Needs root (debootstrap, chroot, mount) except with --build-only. Environment:
#   WSK_COMPAT_CACHE    cache dir (default: .cache/compat in the repository)
#   WSK_DEBIAN_MIRROR   Debian mirror URL (default: the one this machine's apt uses)
#   WSK_COMPAT_REFRESH  1: update the package lists even when less than a day old
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

BUILD_ONLY=0
RELEASES=()
for a in "$@"; do
  case "$a" in
    --build-only) BUILD_ONLY=1 ;;
    host | trixie | sid) RELEASES+=("$a") ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $a (see --help)" >&2; exit 2 ;;
  esac
done
if [ ${#RELEASES[@]} -eq 0 ]; then
  if [ "$BUILD_ONLY" -eq 1 ]; then RELEASES=(trixie sid); else RELEASES=(host trixie sid); fi
fi

CACHE="${WSK_COMPAT_CACHE:-$ROOT/.cache/compat}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
DEV_PKGS=(libwireshark-dev libwsutil-dev libwiretap-dev)
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"

# The Debian mirror this machine's apt already uses (no host name is written in the repository).
mirror() {
  if [ -n "${WSK_DEBIAN_MIRROR:-}" ]; then echo "${WSK_DEBIAN_MIRROR%/}"; return; fi
  local m
  m="$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' 2>/dev/null |
    grep -v -e security -e updates | grep -E '/debian/?$' | head -n1 || true)"
  if [ -z "$m" ]; then
    m="$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null | grep -v security | head -n1 || true)"
  fi
  [ -n "$m" ] || { echo "no Debian mirror found: set WSK_DEBIAN_MIRROR" >&2; exit 1; }
  echo "${m%/}"
}

apt_opts() { # release
  local d="$CACHE/$1/apt"
  echo "-q -o Dir::Etc::sourcelist=$d/sources.list -o Dir::Etc::sourceparts=- \
-o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache -o APT::Get::List-Cleanup=0 \
-o Acquire::Languages=none -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false \
-o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false \
-o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false \
-o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false \
-o Debug::NoLocking=1"
}

# Fetch and unpack the release's Wireshark dev headers; prints the include dir.
fetch_headers() { # release
  local rel="$1" d="$CACHE/$1" opts
  opts="$(apt_opts "$rel")"
  mkdir -p "$d/apt/lists/partial" "$d/apt/cache/archives/partial" "$d/debs"
  echo "deb [signed-by=$KEYRING] $(mirror) $rel main" >"$d/apt/sources.list"
  local stamp="$d/apt/updated"
  if [ "${WSK_COMPAT_REFRESH:-0}" = 1 ] || [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
    say "$rel: updating the package lists"
    # shellcheck disable=SC2086
    apt-get $opts update >"$d/apt/update.log" 2>&1 || { cat "$d/apt/update.log" >&2; return 1; }
    touch "$stamp"
  fi
  local want=() p v
  for p in "${DEV_PKGS[@]}"; do
    # shellcheck disable=SC2086
    v="$(apt-cache $opts show "$p/$rel" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)"
    [ -n "$v" ] || { echo "$rel: $p not found" >&2; return 1; }
    want+=("$p=$v")
  done
  local key="${want[*]}"
  if [ "$(cat "$d/dev.stamp" 2>/dev/null)" != "$key" ]; then
    say "$rel: fetching ${want[*]}"
    rm -rf "$d/debs" "$d/dev"
    mkdir -p "$d/debs" "$d/dev"
    # apt's sandbox user cannot write into the cache dir; -o APT::Sandbox::User=root keeps apt quiet.
    # shellcheck disable=SC2086
    (cd "$d/debs" && apt-get $opts -o APT::Sandbox::User=root download "${want[@]}" >/dev/null)
    local deb
    for deb in "$d"/debs/*.deb; do dpkg-deb -x "$deb" "$d/dev"; done
    echo "$key" >"$d/dev.stamp"
  fi
  echo "$d/dev/usr/include/wireshark"
}

# major.minor of the headers in an include dir.
header_version() {
  awk '/#define WIRESHARK_VERSION_MAJOR/{ma=$3} /#define WIRESHARK_VERSION_MINOR/{mi=$3}
       END{print ma "." mi}' "$1/ws_version.h"
}

# Build against the include dir; puts the .so into dist/<ver>/epan/. Log in $CACHE/<rel>/build.log.
build_for() { # release include-dir
  local rel="$1" inc="$2" ver log="$CACHE/$1/build.log"
  ver="$(header_version "$inc")"
  say "$rel: building the plugin against Wireshark $ver headers"
  if ! (cd "$ROOT" && WIRESHARK_INCLUDE_DIR="$inc" CARGO_TARGET_DIR="$CACHE/$rel/target" \
    cargo build --release --lib) >"$log" 2>&1; then
    grep -E '^(error|warning: unused)' -A12 "$log" | head -n 60 >&2
    echo "$rel: build failed (log: $log)" >&2
    return 1
  fi
  mkdir -p "$ROOT/dist/$ver/epan"
  install -m 0755 "$CACHE/$rel/target/release/libws_keepalive.so" "$ROOT/dist/$ver/epan/ws_keepalive.so"
}

# ---- chroots ---------------------------------------------------------------------------------

MOUNTS=()
cleanup() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null || true
  done
  MOUNTS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mount_bind() { # src dst
  mkdir -p "$2"
  mount --bind "$1" "$2"
  MOUNTS+=("$2")
}

# A minimal chroot of the release with tshark, made once and kept in the cache.
# Packages the tests need inside the chroot (scripts/ws-messages needs python3); bump the marker
# when this list changes so cached chroots get them.
CHROOT_PKGS=(tshark pkgconf python3)
CHROOT_MARK=.wsk-ready-2

make_chroot() { # release
  local rel="$1" c="$CACHE/$1/chroot"
  if [ -f "$c/$CHROOT_MARK" ]; then return 0; fi
  if [ -f "$c/.wsk-ready" ]; then
    say "$rel: adding ${CHROOT_PKGS[*]} to the cached chroot"
    (
      mount -t proc proc "$c/proc"
      trap 'umount "$c/proc" || umount -l "$c/proc"' EXIT
      chroot "$c" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${CHROOT_PKGS[@]}"
      chroot "$c" apt-get clean
    ) >>"$CACHE/$rel/debootstrap.log" 2>&1 || { tail -n 20 "$CACHE/$rel/debootstrap.log" >&2; return 1; }
    touch "$c/$CHROOT_MARK"
    return 0
  fi
  command -v debootstrap >/dev/null || {
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  rm -rf "$c"
  say "$rel: debootstrap (minbase), once; log: $CACHE/$rel/debootstrap.log"
  debootstrap --variant=minbase --keyring="$KEYRING" "$rel" "$c" "$(mirror)" \
    >"$CACHE/$rel/debootstrap.log" 2>&1 || { tail -n 20 "$CACHE/$rel/debootstrap.log" >&2; return 1; }
  cp /etc/resolv.conf "$c/etc/resolv.conf" 2>/dev/null || true
  # Where util-linux no longer ships setpriv, a package of its own does.
  local extra=() opts
  opts="$(apt_opts "$rel")"
  # shellcheck disable=SC2086
  if apt-cache $opts show setpriv >/dev/null 2>&1; then extra+=(setpriv); fi
  say "$rel: installing tshark ${extra[*]} pkgconf in the chroot"
  (
    mount -t proc proc "$c/proc"
    trap 'umount "$c/proc" || umount -l "$c/proc"' EXIT
    echo "wireshark-common wireshark-common/install-setuid boolean false" |
      chroot "$c" debconf-set-selections
    chroot "$c" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    chroot "$c" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${CHROOT_PKGS[@]}" "${extra[@]}"
    chroot "$c" apt-get clean
  ) >>"$CACHE/$rel/debootstrap.log" 2>&1 || { tail -n 20 "$CACHE/$rel/debootstrap.log" >&2; return 1; }
  touch "$c/.wsk-ready" "$c/$CHROOT_MARK"
}

# The golden test binaries (integration tests), built on the host; they do not link Wireshark.
TEST_BINS=()
build_tests() {
  say "building the golden test binaries"
  local json
  json="$(cd "$ROOT" && cargo test --release --tests --no-run --message-format=json 2>/dev/null)" || {
    (cd "$ROOT" && cargo test --release --tests --no-run) >&2 || true
    return 1
  }
  mapfile -t TEST_BINS < <(printf '%s\n' "$json" |
    python3 -c '
import json, sys
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["executable"])')
  [ ${#TEST_BINS[@]} -gt 0 ]
}

# Run a command as root inside the chroot (or on the host for "host") with a clean environment.
in_env() { # release cmd...
  local rel="$1"; shift
  local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
    LANG=C.UTF-8 TZ=UTC "WSK_PLUGIN=$SO" "WSK_WS_VERSION=$VER" WSK_REQUIRE_TSHARK=1)
  if [ "$rel" = host ]; then
    env -i "${envs[@]}" PATH="$PATH" "$@"
  else
    chroot "$CACHE/$rel/chroot" env -i "${envs[@]}" "$@"
  fi
}

# Does tshark (as nobody, from a HOME holding the plugin) list it? Prints ok or the error.
check_loaded() { # release
  local rel="$1" home=/tmp/wsk-compat-home root_dir=""
  [ "$rel" = host ] || root_dir="$CACHE/$rel/chroot"
  rm -rf "$root_dir$home"
  mkdir -p "$root_dir$home/.local/lib/wireshark/plugins/$VER/epan"
  install -m 0644 "$SO" "$root_dir$home/.local/lib/wireshark/plugins/$VER/epan/ws_keepalive.so"
  chown -R nobody:nogroup "$root_dir$home" 2>/dev/null || chmod -R a+rwX "$root_dir$home"
  local out
  out="$(in_env "$rel" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env HOME="$home" tshark -G plugins 2>&1)" || true
  rm -rf "$root_dir$home"
  if grep -q 'ws_keepalive\.so' <<<"$out"; then
    echo ok
  else
    echo "$out" | grep -i -m1 -e keepalive -e plugin -e error || echo "not listed"
  fi
}

# Run every test binary; sets PASSED, TOTAL and appends failures to $CACHE/<rel>/failures.txt.
run_tests() { # release
  local rel="$1" bin log="$CACHE/$1/tests.log" fail="$CACHE/$1/failures.txt"
  PASSED=0 TOTAL=0
  : >"$log"; : >"$fail"
  for bin in "${TEST_BINS[@]}"; do
    local out rc=0
    out="$(cd "$ROOT" && in_env "$rel" "$bin" --test-threads=2 2>&1)" || rc=$?
    printf '### %s (exit %s)\n%s\n' "${bin##*/}" "$rc" "$out" >>"$log"
    local p f
    p="$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' <<<"$out" | tail -n1)"
    f="$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' <<<"$out" | tail -n1)"
    if [ -z "$p" ]; then # crashed before the summary
      echo "${bin##*/}: no summary (exit $rc)" >>"$fail"
      TOTAL=$((TOTAL + 1))
      continue
    fi
    PASSED=$((PASSED + p))
    TOTAL=$((TOTAL + p + f))
    # "---- name stdout ----" then the panic message: keep the test name and the message's first line.
    awk -v b="${bin##*/}" '
      /^---- .* stdout ----$/ { name=$2; want=1; next }
      want && /panicked at/ { getline msg; print b "::" name ": " msg; want=0 }' <<<"$out" >>"$fail"
  done
}

# ---- main ------------------------------------------------------------------------------------

if [ "$BUILD_ONLY" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "compat.sh needs root (debootstrap, chroot, mount); --build-only does not" >&2
  exit 1
fi
command -v cargo >/dev/null || { echo "cargo not found" >&2; exit 1; }

START=$SECONDS
MATRIX=()
ALL_OK=1
if [ "$BUILD_ONLY" -eq 0 ]; then
  build_tests || { echo "the test binaries do not build" >&2; exit 1; }
fi
for rel in "${RELEASES[@]}"; do
  t0=$SECONDS
  build=fail loaded=- tests=-
  mkdir -p "$CACHE/$rel"
  if [ "$rel" = host ]; then
    ensure_deps
    VER="$(ws_version)"
    SO="$(build_plugin 2>"$CACHE/host-build.log")" && build=ok || cat "$CACHE/host-build.log" >&2
  else
    if inc="$(fetch_headers "$rel")"; then
      VER="$(header_version "$inc")"
      SO="$ROOT/dist/$VER/epan/ws_keepalive.so"
      build_for "$rel" "$inc" && build=ok
    else
      VER="?"
      build="fail(headers)"
    fi
  fi
  if [ "$build" = ok ] && [ "$BUILD_ONLY" -eq 0 ]; then
    if [ "$rel" = host ] || make_chroot "$rel"; then
      if [ "$rel" != host ]; then
        c="$CACHE/$rel/chroot"
        mount -t proc proc "$c/proc" && MOUNTS+=("$c/proc")
        mount_bind /dev "$c/dev"
        mount_bind "$ROOT" "$c$ROOT"
        tgt="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
          python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
        case "$tgt/" in "$ROOT"/*) ;; *) mount_bind "$tgt" "$c$tgt" ;; esac
        # The tests read the version with `pkg-config --modversion wireshark`; the chroot has no
        # libwireshark-dev, so give pkgconf the release's own wireshark.pc (without its Requires,
        # whose glib .pc files are not there). WSK_WS_VERSION says the same.
        mkdir -p "$c/usr/local/lib/pkgconfig"
        find "$CACHE/$rel/dev" -name wireshark.pc -exec grep -v '^Requires' {} \; \
          >"$c/usr/local/lib/pkgconfig/wireshark.pc"
      fi
      loaded="$(check_loaded "$rel")"
      run_tests "$rel"
      tests="$PASSED/$TOTAL"
      [ "$rel" = host ] || cleanup
    else
      loaded="fail(chroot)"
    fi
  fi
  line="$(printf '%-4s %-7s build=%s' "$VER" "$rel" "$build")"
  if [ "$BUILD_ONLY" -eq 0 ]; then
    line+="  loaded=$loaded  tests=$tests"
    [ "$build" = ok ] && [ "$loaded" = ok ] && [ "$PASSED" -eq "$TOTAL" ] && [ "$TOTAL" -gt 0 ] || ALL_OK=0
  else
    [ "$build" = ok ] || ALL_OK=0
  fi
  line+="  ($((SECONDS - t0))s)"
  MATRIX+=("$line")
done

echo
echo "Wireshark compatibility ($((SECONDS - START))s):"
printf '  %s\n' "${MATRIX[@]}"
if [ "$BUILD_ONLY" -eq 0 ]; then
  for rel in "${RELEASES[@]}"; do
    f="$CACHE/$rel/failures.txt"
    if [ -s "$f" ]; then
      echo "failures ($rel):"
      sed 's/^/  /' "$f"
    fi
  done
fi
[ "$ALL_OK" -eq 1 ]
