#!/usr/bin/env bash
# Start/stop a throw-away RabbitMQ (Debian rabbitmq-server) with the Web-STOMP plugin on
# 127.0.0.1:15674 (path /ws). Usage: rabbitmq.sh start|stop
set -euo pipefail
export RABBITMQ_MNESIA_BASE=/tmp/wsk-rabbit/mnesia RABBITMQ_LOG_BASE=/tmp/wsk-rabbit/log
export RABBITMQ_ENABLED_PLUGINS_FILE=/tmp/wsk-rabbit/enabled_plugins RABBITMQ_NODENAME=wskrabbit@localhost
export RABBITMQ_CONFIG_FILE=/tmp/wsk-rabbit/rabbitmq
case "$1" in
  start)
    mkdir -p /tmp/wsk-rabbit && chown -R rabbitmq: /tmp/wsk-rabbit 2>/dev/null || true
    echo '[rabbitmq_web_stomp].' >/tmp/wsk-rabbit/enabled_plugins
    printf 'listeners.tcp.default = 127.0.0.1:5679\nweb_stomp.tcp.port = 15674\nweb_stomp.tcp.ip = 127.0.0.1\nloopback_users = none\nstomp.default_user = guest\nstomp.default_pass = guest\n' >/tmp/wsk-rabbit/rabbitmq.conf
    chown -R rabbitmq: /tmp/wsk-rabbit
    su rabbitmq -s /bin/sh -c "env RABBITMQ_MNESIA_BASE=$RABBITMQ_MNESIA_BASE RABBITMQ_LOG_BASE=$RABBITMQ_LOG_BASE RABBITMQ_ENABLED_PLUGINS_FILE=$RABBITMQ_ENABLED_PLUGINS_FILE RABBITMQ_NODENAME=$RABBITMQ_NODENAME RABBITMQ_CONFIG_FILE=$RABBITMQ_CONFIG_FILE rabbitmq-server -detached" >/dev/null 2>&1 || true
    for _ in $(seq 60); do
      (echo >/dev/tcp/127.0.0.1/15674) 2>/dev/null && exit 0
      sleep 1
    done
    echo "rabbitmq did not start" >&2; exit 1 ;;
  stop)
    su rabbitmq -s /bin/sh -c "env RABBITMQ_NODENAME=$RABBITMQ_NODENAME rabbitmqctl stop" >/dev/null 2>&1 || true ;;
esac
