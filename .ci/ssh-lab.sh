#!/usr/bin/env bash
# The ssh lab: Debian's OpenSSH server on loopback, so the second vantage point is tested with a
# real `ssh -W %h:%p` jump, the command admins give to --via.
#
#   bash .ci/ssh-lab.sh start   keys, config, sshd on 127.0.0.1:2222, a checked jump, the ready file
#   bash .ci/ssh-lab.sh stop    stop sshd, remove the ready file
#
# As root. `start` is idempotent. The ready file holds the --via command line to use.
set -euo pipefail

LAB=/run/mailwiz-ssh
READY=$LAB/ready
PORT=2222

stop() {
  if [ -f "$LAB/sshd.pid" ]; then
    kill "$(cat "$LAB/sshd.pid")" 2>/dev/null || true
  fi
  rm -f "$READY" "$LAB/sshd.pid"
}

start() {
  if [ -f "$READY" ] && [ -f "$LAB/sshd.pid" ] && kill -0 "$(cat "$LAB/sshd.pid")" 2>/dev/null; then
    return 0
  fi
  stop
  mkdir -p "$LAB" /run/sshd
  chmod 700 "$LAB"
  [ -f "$LAB/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$LAB/host_ed25519"
  [ -f "$LAB/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$LAB/client_ed25519"
  cp "$LAB/client_ed25519.pub" "$LAB/authorized_keys"
  cat > "$LAB/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $LAB/host_ed25519
PidFile $LAB/sshd.pid
AuthorizedKeysFile $LAB/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
StrictModes no
CONF
  /usr/sbin/sshd -f "$LAB/sshd_config" -E "$LAB/sshd.log"
  local via="ssh -F none -i $LAB/client_ed25519 -p $PORT -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -W %h:%p root@127.0.0.1"
  # The jump must carry a byte stream before the tests rely on it: reach sshd itself through it.
  for _ in $(seq 1 50); do
    if printf '' | timeout 5 ${via//%h:%p/127.0.0.1:$PORT} 2>/dev/null | head -c 4 | grep -q SSH-; then
      echo "$via" > "$READY"
      echo "ssh-lab: up: sshd 127.0.0.1:$PORT; --via \"$via\""
      return 0
    fi
    sleep 0.1
  done
  echo "ssh-lab: the jump through sshd did not work; see $LAB/sshd.log" >&2
  cat "$LAB/sshd.log" >&2 || true
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
