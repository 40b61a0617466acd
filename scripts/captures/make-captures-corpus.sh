#!/usr/bin/env bash
# Make the recall and false-claim corpus captures (documented in tests/captures/CORPUS.md):
# WebSocket between peers of three more libraries (ws_gorilla, ws_tungstenite, ws_aiohttp) and
# real non-WebSocket programs (neg_h2c, neg_grpc, neg_mysql, neg_imap,
# neg_rtmp, neg_thrift, neg_msgpack_rpc, neg_game, neg_git, neg_rsync, neg_lookalike_8105,
# neg_random_bulk).
#
#   sudo scripts/captures/make-captures-corpus.sh                 # all scenarios
#   sudo scripts/captures/make-captures-corpus.sh neg_git ...     # a subset
#
# Same method as scripts/captures/make-captures-more.sh, with its own namespaces: wsk-c-cli (10.81.0.1)
# and wsk-c-srv (10.81.0.2), veth pair wsk-c-c / wsk-c-s (scripts/lib/netns.sh: MTU 1500, offloads off, no
# IPv6, static ARP; dumpcap on the client side).
# Needs (Debian 12 packages): golang-go golang-github-gorilla-websocket-dev python3-aiohttp
# python3-h2 python3-thrift python3-msgpack nghttp2-server nghttp2-client mariadb-server
# mariadb-client dovecot-imapd ffmpeg git; cargo for the tungstenite peer (crates.io).
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/scripts/lib/netns.sh"
CP="$PEERS/corpus_peers.py"

ALL_SCENARIOS=(ws_gorilla ws_tungstenite ws_aiohttp neg_h2c neg_grpc neg_mysql neg_imap
  neg_rtmp neg_thrift neg_msgpack_rpc neg_game neg_git neg_rsync neg_lookalike_8105 neg_random_bulk)

need_tools ip ethtool dumpcap tshark capinfos ss timeout
harness_init
SERVER_LOG="$TMP/server.log"
truth_empty() { write_truth "$1" /dev/null; }

# Python pair: server and client of corpus_peers.py.
py_pair() { # NAME PORT MODE
  start_server "$2" "$PY" "$CP" "$3-server" "$SRV_IP" "$2"
  capture_start "$OUT/$1.pcapng"
  run_client "$PY" "$CP" "$3-client" "$SRV_IP" "$2"
  wait_server
  capture_stop
}

# ------------------------------------------------------------------ WebSocket
sc_ws_gorilla() {
  local bin="$TMP/go-ws"
  (cd "$PEERS/go-ws" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$TMP/gocache" go build -o "$bin" .)
  start_server 9101 "$bin" server "$SRV_IP:9101"
  capture_start "$OUT/ws_gorilla.pcapng"
  run_client "$bin" client "ws://$SRV_IP:9101/"
  wait_server
  capture_stop
}
sc_ws_tungstenite() {
  (cd "$PEERS/rust-ws" && cargo build --release --quiet)
  local bin="$PEERS/rust-ws/target/release/wsk-rust-ws-peer"
  start_server 9102 "$bin" server "$SRV_IP:9102"
  capture_start "$OUT/ws_tungstenite.pcapng"
  run_client "$bin" client "ws://$SRV_IP:9102/"
  wait_server
  capture_stop
}
sc_ws_aiohttp() { py_pair ws_aiohttp 9103 aiohttp; }

# ------------------------------------------------------------------ not WebSocket
sc_neg_h2c() {
  mkdir -p "$TMP/www"; head -c 300000 /dev/urandom >"$TMP/www/blob.bin"
  seq 1 5000 >"$TMP/www/numbers.txt"; echo '<html><body>wsk</body></html>' >"$TMP/www/index.html"
  head -c 40000 /dev/urandom >"$TMP/upload.bin"
  start_server 9110 nghttpd --no-tls -d "$TMP/www" 9110
  capture_start "$OUT/neg_h2c.pcapng"
  # One connection (HTTP/2 with prior knowledge), several streams, an upload.
  run_client nghttp -n -a "http://$SRV_IP:9110/index.html" "http://$SRV_IP:9110/blob.bin" \
    "http://$SRV_IP:9110/numbers.txt" >/dev/null
  run_client nghttp -n -d "$TMP/upload.bin" "http://$SRV_IP:9110/index.html" >/dev/null
  capture_stop; stop_server; truth_empty neg_h2c
}
sc_neg_rsync() {
  local d="$TMP/rsync" i
  mkdir -p "$d/data/sub" "$d/dest"
  for i in 1 2 3 4 5 6; do
    head -c $((i * 9000)) /dev/urandom >"$d/data/r$i.bin"
    seq 1 $((i * 2000)) >"$d/data/sub/n$i.txt"
  done
  printf 'use chroot = no\nuid = root\ngid = root\npid file = %s/pid\n[data]\npath = %s/data\nread only = yes\n' \
    "$d" "$d" >"$d/rsyncd.conf"
  start_server 873 rsync --daemon --no-detach --address="$SRV_IP" --port=873 --config="$d/rsyncd.conf"
  capture_start "$OUT/neg_rsync.pcapng"
  run_client rsync -a "rsync://$SRV_IP:873/data/" "$d/dest/"
  capture_stop; stop_server; truth_empty neg_rsync
}
sc_neg_grpc() { py_pair neg_grpc 50051 grpc; truth_empty neg_grpc; }
sc_neg_thrift() { py_pair neg_thrift 9090 thrift; truth_empty neg_thrift; }
sc_neg_msgpack_rpc() { py_pair neg_msgpack_rpc 18800 msgpack; truth_empty neg_msgpack_rpc; }
sc_neg_game() { py_pair neg_game 25565 game; truth_empty neg_game; }
sc_neg_lookalike_8105() { py_pair neg_lookalike_8105 9120 lookalike; truth_empty neg_lookalike_8105; }
sc_neg_random_bulk() { py_pair neg_random_bulk 9121 randbulk; truth_empty neg_random_bulk; }

sc_neg_mysql() {
  local d="$TMP/mysql"
  mkdir -p "$d"
  mariadb-install-db --no-defaults --datadir="$d/data" --user=root --auth-root-authentication-method=normal >/dev/null 2>&1
  start_server 3306 mariadbd --no-defaults --datadir="$d/data" --socket="$d/sock" --pid-file="$d/pid" \
    --port=3306 --bind-address="$SRV_IP" --user=root --skip-grant-tables --skip-name-resolve --log-error="$d/err"
  capture_start "$OUT/neg_mysql.pcapng"
  run_client mariadb --no-defaults --skip-ssl -h "$SRV_IP" -P 3306 -u root -e "
    CREATE DATABASE wsk; USE wsk;
    CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(64), blob_col BLOB);
    INSERT INTO t VALUES (1,'one',REPEAT('a',3000)),(2,'two',RANDOM_BYTES(1024)),(3,'three',NULL);
    INSERT INTO t SELECT seq+3, CONCAT('row',seq), RANDOM_BYTES(200) FROM seq_1_to_200;
    SELECT * FROM t; SELECT COUNT(*), SUM(id) FROM t; SELECT name FROM t WHERE id < 50;
    UPDATE t SET name='changed' WHERE id % 7 = 0; DELETE FROM t WHERE id > 150; SELECT * FROM t WHERE id < 20;
    DROP DATABASE wsk;" >/dev/null
  capture_stop; stop_server; truth_empty neg_mysql
}

sc_neg_imap() {
  local d="$TMP/dovecot"
  mkdir -p "$d/run" "$d/home"
  chown nobody:nogroup "$d/home"
  cat >"$d/dovecot.conf" <<EOF
protocols = imap
listen = $SRV_IP
base_dir = $d/run
log_path = $d/log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = static
  args = password=wsk-pass
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$d/home/%u
}
mail_location = maildir:~/Maildir
EOF
  start_server 143 dovecot -F -c "$d/dovecot.conf"
  capture_start "$OUT/neg_imap.pcapng"
  run_client "$PY" "$CP" imap-client "$SRV_IP" 143
  capture_stop; stop_server; truth_empty neg_imap
}

sc_neg_rtmp() {
  start_server 1935 ffmpeg -nostdin -loglevel error -listen 1 -i "rtmp://$SRV_IP:1935/live/wsk" -f null -
  capture_start "$OUT/neg_rtmp.pcapng"
  run_client ffmpeg -nostdin -loglevel error -re -f lavfi -i "testsrc=size=320x240:rate=15" \
    -f lavfi -i "sine=frequency=440:sample_rate=22050" -t 2 -c:v flv1 -b:v 150k -c:a pcm_s16le \
    -f flv "rtmp://$SRV_IP:1935/live/wsk"
  wait_server
  capture_stop; truth_empty neg_rtmp
}

sc_neg_git() {
  local d="$TMP/git"
  mkdir -p "$d/src"
  (cd "$d/src" && git init -q && git config user.email w@wsk.invalid && git config user.name wsk &&
    for i in 1 2 3 4 5; do head -c 20000 /dev/urandom | base64 >"f$i.txt"; head -c 5000 /dev/urandom >"b$i.bin";
      git add . && git commit -qm "commit $i"; done)
  git clone -q --bare "$d/src" "$d/repo.git"
  start_server 9418 git daemon --base-path="$d" --export-all --reuseaddr --listen="$SRV_IP" --port=9418 "$d"
  capture_start "$OUT/neg_git.pcapng"
  run_client git clone -q "git://$SRV_IP:9418/repo.git" "$d/clone"
  capture_stop; stop_server; truth_empty neg_git
}

netns_pair c 81
run_scenarios "$@"
