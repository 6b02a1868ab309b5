#!/bin/sh
# The test image's entrypoint (busybox only): a stand-in for OpenClaw on a real Docker engine.
#
# It writes log lines (stdout and stderr), serves the two VNC ports with busybox httpd, and can
# be told to misbehave through the environment:
#   CLAWORC_TEST_CRASH=N     exit with code N after writing its start lines (a restart loop)
#   CLAWORC_TEST_ALLOC_MB=N  allocate N MiB in memory (an OOM kill under a smaller limit)
#   CLAWORC_TEST_LINES=N     write N numbered lines at start (default 3)
#   CLAWORC_TEST_HOLD=1      keep running without a VNC server (no ports needed)
# The first two can also come from the mounted clawdbot.json ("test_crash": N,
# "test_alloc_mb": N), so the app itself (which sets no test variables) can make them happen.
echo "openclaw test image starting"
echo "stderr line from the test image" >&2
config=/etc/clawdbot/clawdbot.json
if [ -f "$config" ]; then
	echo "config present"
	: "${CLAWORC_TEST_CRASH:=$(sed -n 's/.*"test_crash": *\([0-9]*\).*/\1/p' "$config")}"
	: "${CLAWORC_TEST_ALLOC_MB:=$(sed -n 's/.*"test_alloc_mb": *\([0-9]*\).*/\1/p' "$config")}"
fi
for key in /run/claworc-keys/*; do
	[ -f "$key" ] && echo "key file: ${key##*/}"
done
i=0
while [ "$i" -lt "${CLAWORC_TEST_LINES:-3}" ]; do
	i=$((i + 1))
	echo "line $i"
done
if [ -n "${CLAWORC_TEST_CRASH:-}" ]; then
	echo "crashing with code $CLAWORC_TEST_CRASH"
	exit "$CLAWORC_TEST_CRASH"
fi
if [ -n "${CLAWORC_TEST_ALLOC_MB:-}" ]; then
	echo "allocating ${CLAWORC_TEST_ALLOC_MB} MiB"
	# Held in the shell itself (PID 1): under a smaller limit the kernel kills it (OOMKilled).
	fill=$(head -c $((CLAWORC_TEST_ALLOC_MB * 1048576)) /dev/zero | tr "\0" a)
	echo "allocated ${#fill} bytes"
	sleep 3600
fi
trap 'echo "stopping"; exit 0' TERM INT
httpd -p "${CHROME_PORT:-6081}" -h /www
httpd -p "${TERMINAL_PORT:-6082}" -h /www
echo "ready"
while :; do
	sleep 1 &
	wait $!
done
