#!/usr/bin/env bash
# The Postfix lab: Debian's Postfix on loopback only, with mail that defers for known reasons,
# for the tests that need a real MTA (real `postqueue -j`, `mailq` and log output).
#
#   bash .ci/postfix-lab.sh start   set up, start, queue the test mail, wait, write the ready file
#   bash .ci/postfix-lab.sh stop    stop Postfix and the smtp-sink relays, remove the ready file
#
# As root. `start` is idempotent: with everything already up it returns at once.
#
# Layout:
#   smtpd                      127.0.0.1:2525 (nothing on port 25)
#   connect421.test  -> 127.0.0.1:2526  smtp-sink answering 421 at connect
#   rcpt421.test     -> 127.0.0.1:2527  smtp-sink answering 421 at RCPT (and closing)
#   rcpt450.test     -> 127.0.0.1:2528  smtp-sink answering 450 at RCPT
#   refused.test     -> 127.0.0.1:2529  nothing listens: connection refused
#   act.test         -> 127.0.0.1:2530  nothing listens; the queue-action tests queue their own
#                                        mail here and hold, release and delete it
#   retry.test       -> 127.0.0.1:2531  nothing listens until the retry test starts a sink there
#   watch.test       -> 127.0.0.1:2532  the same, for the wizard's retry from step 7
#   log                        /var/log/postfix.log (no syslog needed)
#   state                      /run/mailwiz-lab (pid files, sink output, the ready file)
#
# There is no systemd and PID 1 does not reap orphans, so the sinks are plain background
# processes found again through their pid files; a process counts as alive only when it is
# not a zombie and is still smtp-sink.
set -euo pipefail

LAB=/run/mailwiz-lab
READY=$LAB/ready
LOG=/var/log/postfix.log
TRANSPORT=/etc/postfix/mailwiz-lab-transport
SENDER=lab@lab.mailwiz.test
# domain:port:smtp-sink behaviour ("" for the refused port, where nothing is started)
ROUTES=(
  "connect421.test:2526:-Q CONNECT"
  "rcpt421.test:2527:-Q RCPT"
  "rcpt450.test:2528:-r RCPT"
  "refused.test:2529:"
)
# domain:port routed to a closed port, with no mail queued by this script: tests queue their own.
TEST_ROUTES=(
  "act.test:2530"
  "retry.test:2531"
  "watch.test:2532"
)
WAIT_SECS=60

say() { echo "postfix-lab: $*" >&2; }
die() { say "$*"; exit 1; }

# True when the pid file names a live (non-zombie) smtp-sink process.
sink_alive() {
  local pidfile=$1 pid state
  [ -r "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = smtp-sink ] || return 1
  state=$(sed -e 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
  [ "$state" != Z ]
}

# postqueue -j lines of deferred messages to DOMAIN that already carry a delay reason.
deferred_to() {
  postqueue -j 2>/dev/null | grep -F "@$1\"" | grep -E '"queue_name": *"deferred"' |
    grep -E '"delay_reason": *"[^"]' || true
}

queued_to() {
  postqueue -j 2>/dev/null | grep -F "@$1\"" || true
}

all_deferred() {
  local route domain
  for route in "${ROUTES[@]}"; do
    domain=${route%%:*}
    [ -n "$(deferred_to "$domain")" ] || return 1
  done
}

all_sinks_alive() {
  local route port rest behaviour
  for route in "${ROUTES[@]}"; do
    rest=${route#*:}
    port=${rest%%:*}
    behaviour=${rest#*:}
    [ -z "$behaviour" ] || sink_alive "$LAB/sink-$port.pid" || return 1
  done
}

# True when the transport map routes every lab domain (an older lab may lack the test routes).
all_routed() {
  local route
  for route in "${ROUTES[@]}" "${TEST_ROUTES[@]}"; do
    grep -q "^${route%%:*}[[:space:]]" "$TRANSPORT" 2>/dev/null || return 1
  done
}

install_postfix() {
  command -v postfix >/dev/null && command -v smtp-sink >/dev/null && return 0
  command -v apt-get >/dev/null || die "postfix is not installed and there is no apt-get to install it"
  say "installing postfix"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postfix >/dev/null
}

configure_postfix() {
  local route domain rest port
  : >"$TRANSPORT.new"
  for route in "${ROUTES[@]}" "${TEST_ROUTES[@]}"; do
    domain=${route%%:*}
    rest=${route#*:}
    port=${rest%%:*}
    printf '%s\tsmtp:[127.0.0.1]:%s\n' "$domain" "$port" >>"$TRANSPORT.new"
  done
  mv "$TRANSPORT.new" "$TRANSPORT"

  postconf -e \
    "myhostname = lab.mailwiz.test" \
    "mydestination = \$myhostname, localhost" \
    "inet_interfaces = loopback-only" \
    "inet_protocols = ipv4" \
    "mynetworks = 127.0.0.0/8" \
    "relayhost =" \
    "maillog_file = $LOG" \
    "transport_maps = texthash:$TRANSPORT" \
    "smtp_dns_support_level = disabled" \
    "smtp_tls_security_level = none" \
    "smtp_connect_timeout = 3s" \
    "smtp_helo_timeout = 5s" \
    "smtp_mail_timeout = 5s" \
    "smtp_rcpt_timeout = 5s" \
    "minimal_backoff_time = 2h" \
    "maximal_backoff_time = 4h" \
    "queue_run_delay = 2h" \
    "delay_warning_time = 0h"
  # Debian chroots most services; the lab runs them unchrooted (no copies of /etc into the spool).
  postconf -F '*/*/chroot = n'
  # smtpd moves from port 25 to 2525; postlogd writes maillog_file.
  postconf -MX smtp/inet 2>/dev/null || true
  postconf -M '2525/inet = 2525 inet n - n - - smtpd'
  postconf -M 'postlog/unix-dgram = postlog unix-dgram n - n - 1 postlogd'
  touch "$LOG"
  [ -e /etc/aliases ] || echo "postmaster: root" >/etc/aliases
  newaliases
}

start_sinks() {
  local route domain rest port behaviour pidfile
  for route in "${ROUTES[@]}"; do
    domain=${route%%:*}
    rest=${route#*:}
    port=${rest%%:*}
    behaviour=${rest#*:}
    [ -n "$behaviour" ] || continue
    pidfile=$LAB/sink-$port.pid
    sink_alive "$pidfile" && continue
    # shellcheck disable=SC2086 # $behaviour holds an option and its argument
    setsid smtp-sink -u nobody -h "sink-$port.lab.mailwiz.test" $behaviour "127.0.0.1:$port" 64 \
      </dev/null >>"$LAB/sink-$port.log" 2>&1 &
    echo $! >"$pidfile"
  done
  sleep 0.3
  for route in "${ROUTES[@]}"; do
    rest=${route#*:}
    port=${rest%%:*}
    behaviour=${rest#*:}
    [ -z "$behaviour" ] || sink_alive "$LAB/sink-$port.pid" ||
      die "smtp-sink on 127.0.0.1:$port did not stay up (port taken?): $(tail -n 3 "$LAB/sink-$port.log")"
  done
}

start_postfix() {
  if postfix status >/dev/null 2>&1; then
    postfix reload >/dev/null 2>&1
  else
    postfix start >/dev/null 2>&1 || die "postfix did not start; see $LOG"
  fi
}

queue_mail() {
  local route domain
  for route in "${ROUTES[@]}"; do
    domain=${route%%:*}
    [ -z "$(queued_to "$domain")" ] || continue
    printf 'From: %s\nTo: user@%s\nSubject: mailwiz lab: mail to %s\n\nThis message is meant to stay deferred.\n' \
      "$SENDER" "$domain" "$domain" | sendmail -f "$SENDER" "user@$domain"
  done
  # Mail queued by an earlier start sits in the deferred queue for hours (backoff); it already
  # has its reason, so no flush is needed.
}

wait_deferred() {
  local deadline=$((SECONDS + WAIT_SECS))
  until all_deferred; do
    [ $SECONDS -lt $deadline ] || {
      postqueue -p >&2 || true
      die "the test mail did not reach the deferred queue within ${WAIT_SECS}s; see $LOG"
    }
    sleep 0.5
  done
}

start() {
  [ "$(id -u)" = 0 ] || die "start must run as root"
  if [ -e "$READY" ] && postfix status >/dev/null 2>&1 && all_sinks_alive && all_deferred && all_routed; then
    say "already up"
    return 0
  fi
  rm -f "$READY"
  mkdir -p "$LAB"
  install_postfix
  configure_postfix
  start_sinks
  start_postfix
  queue_mail
  wait_deferred
  date -u +%FT%TZ >"$READY"
  say "up: smtpd 127.0.0.1:2525, deferred mail to connect421.test rcpt421.test rcpt450.test refused.test"
}

stop() {
  [ "$(id -u)" = 0 ] || die "stop must run as root"
  rm -f "$READY"
  if command -v postfix >/dev/null && postfix status >/dev/null 2>&1; then
    postfix stop >/dev/null 2>&1 || true
  fi
  local pidfile
  for pidfile in "$LAB"/sink-*.pid; do
    [ -e "$pidfile" ] || continue
    if sink_alive "$pidfile"; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
