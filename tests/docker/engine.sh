#!/usr/bin/env bash
# A private Docker engine for the Docker tier of the tests (and for trying `--runtime docker`).
#
#   tests/docker/engine.sh install   apt-get docker.io and busybox-static if missing
#   tests/docker/engine.sh start     start dockerd on a private socket + data root, build the
#                                    test image; prints `export DOCKER_HOST=...` for your shell
#   tests/docker/engine.sh stop      stop it (the data root is kept for the next start)
#   tests/docker/engine.sh env       print the export line only
#
# The engine changes nothing on the host's network: --iptables=false --ip6tables=false and no
# default bridge (--bridge=none); published ports are reached on 127.0.0.1 through docker-proxy
# (the userland proxy), which needs no NAT rules. The storage driver is overlay2, else vfs.
# No image can be pulled here, so the test image is built with `docker import` from a
# busybox-static root filesystem (see tests/docker/image/entrypoint.sh).
set -euo pipefail

ROOT="${CLAWORC_DOCKER_ROOT:-/tmp/claworc-dockerd}"
SOCK="$ROOT/docker.sock"
PIDFILE="$ROOT/dockerd.pid"
LOG="$ROOT/dockerd.log"
HERE="$(cd "$(dirname "$0")" && pwd)"
# Tagged with the entrypoint's hash, so a changed entrypoint builds a new image (tests/docker/conftest.py
# computes the same tag).
IMAGE="claworc-test/openclaw:$(sha256sum "$HERE/image/entrypoint.sh" | cut -c1-12)"
export DOCKER_HOST="unix://$SOCK"

static_busybox() {
	# The test image has no libc: only a static busybox runs in it (ldd fails on one).
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1
}

install() {
	if command -v dockerd >/dev/null 2>&1 && static_busybox; then
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "engine.sh: docker.io is not installed and we are not root; skipping" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || true
	apt-get install -y -qq docker.io busybox-static >/dev/null
}

running() {
	[ -S "$SOCK" ] && [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null &&
		docker version >/dev/null 2>&1
}

start_daemon() {
	local driver=$1
	mkdir -p "$ROOT/data" "$ROOT/exec"
	rm -f "$SOCK"
	dockerd --host "$DOCKER_HOST" --data-root "$ROOT/data" --exec-root "$ROOT/exec" \
		--pidfile "$PIDFILE" --iptables=false --ip6tables=false --bridge=none \
		--storage-driver "$driver" >"$LOG" 2>&1 &
	local i
	for i in $(seq 1 100); do
		if docker version >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 $! 2>/dev/null; then
			return 1
		fi
		sleep 0.2
	done
	return 1
}

build_image() {
	if docker image inspect "$IMAGE" >/dev/null 2>&1; then
		return 0
	fi
	local rootfs
	rootfs="$(mktemp -d)"
	mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/www" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
	cp /bin/busybox "$rootfs/bin/busybox"
	for tool in sh echo sleep httpd cat head tr sed date kill ls env; do
		ln -s busybox "$rootfs/bin/$tool"
	done
	cp "$HERE/image/entrypoint.sh" "$rootfs/entrypoint.sh"
	chmod 0755 "$rootfs/entrypoint.sh"
	echo "claworc test vnc" >"$rootfs/www/index.html"
	tar -C "$rootfs" -c . | docker import \
		--change 'ENTRYPOINT ["/entrypoint.sh"]' --change 'ENV PATH=/bin' - "$IMAGE" >/dev/null
	rm -rf "$rootfs"
}

start() {
	install || {
		echo "engine.sh: no Docker engine can be installed here; the Docker tier will skip" >&2
		exit 1
	}
	if ! running; then
		start_daemon overlay2 || {
			[ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null || true
			sleep 1
			start_daemon vfs || {
				echo "engine.sh: dockerd did not start; see $LOG" >&2
				tail -5 "$LOG" >&2
				exit 1
			}
		}
	fi
	build_image
	# --bridge=none leaves no default network; published ports need one: a user-defined bridge
	# (a bridge interface, no iptables rules; docker-proxy forwards 127.0.0.1:port into it).
	docker network inspect claworc-test >/dev/null 2>&1 ||
		docker network create claworc-test >/dev/null
	echo "export DOCKER_HOST=$DOCKER_HOST"
}

stop() {
	if [ -f "$PIDFILE" ]; then
		local pid
		pid="$(cat "$PIDFILE")"
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
	fi
	rm -f "$SOCK" "$PIDFILE"
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
env) echo "export DOCKER_HOST=$DOCKER_HOST" ;;
*)
	echo "usage: $0 install|start|stop|env" >&2
	exit 2
	;;
esac
