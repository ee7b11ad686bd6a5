#!/bin/bash
# services.sh -- service handling around the swap, with real daemons: order,
# only running services restarted, hung stops, failed and unhealthy starts
# put everything back, strays found by /proc scan (exit 10), restart =
# reboot, the downtime window, --no-services, and the systemd and SysV
# backends (systemd against a STAND-IN for systemctl, since systemd cannot
# run as PID 1 here), never used for an offline root.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

setup_kb899801 || { not_ok "setup"; done_testing; exit 1; }
ORIG=$HFX_SRCDIR/demo/exchsrvr-6.5.7226.0/bin
NEW=$HFX_SRCDIR/payload/KB899801/bin
services_stop "$ROOT"
cp -a "$ROOT" "$T/template"

# fresh NAME: a copy of the template with both services running -> $R
fresh() {
	R=$T/$1
	rm -rf "$R"
	cp -a "$T/template" "$R"
	track_root "$R"
	services_start "$R"
}
files_are() { # ROOT old|new
	case $2 in
	old) cmp -s "$1/opt/exchsrvr/bin/Lscps.dll" "$ORIG/Lscps.dll" &&
	     cmp -s "$1/opt/exchsrvr/bin/Lsmexif.dll" "$ORIG/Lsmexif.dll" ;;
	new) cmp -s "$1/opt/exchsrvr/bin/Lscps.dll" "$NEW/Lscps.dll" &&
	     cmp -s "$1/opt/exchsrvr/bin/Lsmexif.dll" "$NEW/Lsmexif.dll" ;;
	esac
}

# --- verbose install: backends, order, downtime --------------------------------
fresh verbose
expect_exit 0 "install -v" "$HFX" install -v --root "$R" "$PKG"
out=$(cat "$T/.out")
like "$out" "service 'Connector for Lotus Notes' is controlled through command" "-v says which backend"
like "$(echo "$out" | grep -E "^(Stopping|Starting) service" | tr '\n' '|')" \
	"^Stopping service 'Connector for Lotus Notes'.*\|Stopping service 'Calendar Connector'.*\|Starting service 'Calendar Connector'.*\|Starting service 'Connector for Lotus Notes'" \
	"stop in manifest order, start in reverse order"
like "$out" "installed \(service downtime [0-9]+ ms\)" "the downtime window is printed"
expect_exit 0 "history --json" "$HFX" history --json --root "$R"
check "the downtime window is recorded" test "$(json_get "$T/.out" '.events[-1].downtime_ms')" -ge 0
is "$(service_version "$R" lotus Lscps.dll)" 6.5.7233.26 "restarted on the new files"

# --- a service not running before stays stopped -----------------------------------
fresh notrunning
svc "$R" stop calendar
expect_exit 0 "install with Calendar Connector stopped" "$HFX" install --root "$R" "$PKG"
like "$(cat "$T/.out")" "Calendar Connector' is not running; it will be left stopped" "it says the stopped service stays stopped"
check "Calendar Connector is still stopped" test -z "$(service_pid "$R" calendar)"
is "$(service_version "$R" lotus Lscps.dll)" 6.5.7233.26 "Connector for Lotus Notes restarted on the new files"

# --- a stop that hangs ------------------------------------------------------------
fresh hang
svc "$R" stop calendar
HFX_ROOT=$R "$R/usr/sbin/exchsvc" start calendar --ignore-term
cal_pid=$(service_pid "$R" calendar)
tree_snapshot "$R" > "$T/snap-hang"
start=$(date +%s)
expect_exit 6 "a stop that hangs: exit 6" "$HFX" install --timeout 2 --root "$R" "$PKG"
took=$(( $(date +%s) - start ))
check "the hung stop was bounded by --timeout (took ${took}s)" test "$took" -lt 15
like "$(cat "$T/.err")" "Calendar Connector.*stop did not finish within 2 s" "the message names the service and the timeout"
unchanged "$R" "$T/snap-hang" "nothing was swapped"
check "Connector for Lotus Notes (stopped first) is running again" test -n "$(service_pid "$R" lotus)"
is "$(service_version "$R" lotus Lscps.dll)" 6.5.7226.0 "... on the old files"
is "$(service_pid "$R" calendar)" "$cal_pid" "the hung service was left as it was"
kill -9 "$cal_pid" 2>/dev/null
no_temporaries "$R" "no staged file left after the hung stop"

# --- a start that fails after the swap ----------------------------------------------
fresh failstart
cat > "$R/etc/hfx/services.conf" <<'CONF'
[Connector for Lotus Notes]
start = "$HFX_ROOT/usr/sbin/exchsvc" start lotus
stop = "$HFX_ROOT/usr/sbin/exchsvc" stop lotus
status = "$HFX_ROOT/usr/sbin/exchsvc" status lotus

[Calendar Connector]
start = if [ -f "$HFX_ROOT/fail-once" ]; then rm "$HFX_ROOT/fail-once"; echo "calconn: bad entry point in Lscps.dll"; exit 1; fi; "$HFX_ROOT/usr/sbin/exchsvc" start calendar
stop = "$HFX_ROOT/usr/sbin/exchsvc" stop calendar
status = "$HFX_ROOT/usr/sbin/exchsvc" status calendar
CONF
touch "$R/fail-once"
expect_exit 6 "a start that fails after the swap: exit 6" "$HFX" install --root "$R" "$PKG"
like "$(cat "$T/.err")" "Calendar Connector.*start failed.*bad entry point in Lscps.dll" \
	"the error names the service and what it printed"
check "the old files are back, byte for byte" files_are "$R" old
is "$(service_version "$R" calendar Lscps.dll)" 6.5.7226.0 "Calendar Connector runs the old files"
is "$(service_version "$R" lotus Lscps.dll)" 6.5.7226.0 "Connector for Lotus Notes runs the old files"
like "$(cat "$R/var/log/hfx.log")" "install KB899801: service-failed exit=6: .*Calendar Connector.*bad entry point" \
	"the log says which service and what it printed"
expect_exit 1 "nothing recorded" "$HFX" query --root "$R" KB899801
no_temporaries "$R" "no temporaries after the failed start"

# --- an unhealthy start -----------------------------------------------------------------
fresh unhealthy
cat >> "$R/etc/hfx/services.conf" <<'CONF'
CONF
sed -i '/^\[Calendar Connector\]/,$ s|^status = .*|&\nhealth = ! grep -q "version=6.5.7233.26" "$HFX_ROOT/var/log/exchsvc/calendar.report"|' "$R/etc/hfx/services.conf"
expect_exit 6 "a service that starts but fails its health check: exit 6" \
	"$HFX" install --timeout 2 --root "$R" "$PKG"
like "$(cat "$T/.err")" "Calendar Connector' started but its health check did not pass" "the message says the health check failed"
check "the old files are back" files_are "$R" old
is "$(service_version "$R" calendar Lscps.dll)" 6.5.7226.0 "and the service runs them"

# --- a stray process, and restart = reboot ---------------------------------------------
fresh stray
"$R/usr/sbin/hfx-demo-svc" --name stray --pidfile "$T/stray.pid" \
	--report "$T/stray.report" "$R/opt/exchsrvr/bin/Lscps.dll"
stray=$(cat "$T/stray.pid")
expect_exit 10 "a process outside the services maps a DLL: exit 10" \
	"$HFX" install --json -v --root "$R" "$PKG"
is "$(json_get "$T/.out" '.results[0].processes_running_old_code[0].pid')" "$stray" "JSON names it as running old code"
is "$(json_get "$T/.out" '[.results[0].processes_not_covered[].pid] | map(tostring) | join(",")')" "$stray" \
	"it was listed before the swap as the only process not covered by a service (pid files)"
is "$(json_get "$T/.out" '.results[0].restart_required')" true "restart_required in the result"
check "the files were installed" files_are "$R" new
expect_exit 0 "query --json" "$HFX" query --json --root "$R" KB899801
is "$(json_get "$T/.out" '.hotfixes[0].restart_required')" true "query reports restart_required"
kill "$stray"
for _ in $(seq 1 50); do [ -f "$T/stray.pid" ] || break; sleep 0.05; done
expect_exit 0 "query --json after the stray exits" "$HFX" query --json --root "$R" KB899801
is "$(json_get "$T/.out" '.hotfixes[0].restart_required')" false "no longer required once nothing runs the old code"

fresh reboot
sed 's/^restart = services/restart = reboot/' "$HFX_SRCDIR/manifests/KB899801.ini" > "$T/reboot.ini"
"$HFX" pack "$T/reboot.ini" --payload "$HFX_SRCDIR/payload/KB899801" --key "$PKI/publisher.key" \
	--cert "$PKI/publisher.pem" -o "$T/reboot.hfx" >/dev/null
lotus_pid=$(service_pid "$R" lotus)
expect_exit 10 "restart = reboot: exit 10" "$HFX" install --root "$R" "$T/reboot.hfx"
like "$(cat "$T/.out")" "restart is required" "it says a restart is required"
is "$(service_pid "$R" lotus)" "$lotus_pid" "services are not restarted for a reboot hotfix"

# --- --no-services -------------------------------------------------------------------------
fresh noservices
lotus_pid=$(service_pid "$R" lotus)
expect_exit 10 "--no-services: installed, but running services keep the old code (exit 10)" \
	"$HFX" install --no-services --root "$R" "$PKG"
is "$(service_pid "$R" lotus)" "$lotus_pid" "services untouched"

# --- systemd backend, against a systemctl STAND-IN -------------------------------------
ONLINE=$T/online
rm -rf "$ONLINE"; cp -a "$T/template" "$ONLINE"
cat > "$ONLINE/etc/hfx/services.conf" <<'CONF'
[Connector for Lotus Notes]
unit = lsmex
[Calendar Connector]
unit = calcon
CONF
mkdir -p "$T/fake-systemd" "$T/standin"
cat > "$T/systemctl" <<'SH'
#!/bin/sh
# STAND-IN for systemctl: systemd cannot run as PID 1 in this test
# environment.  It records its command line and keeps unit state in files.
echo "$*" >> "$STANDIN/log"
case $1 in
is-active) [ -f "$STANDIN/$3.active" ] && exit 0; exit 3 ;;
stop) rm -f "$STANDIN/$2.active"; exit 0 ;;
start) touch "$STANDIN/$2.active"; exit 0 ;;
*) echo "standin: unexpected $*" >&2; exit 1 ;;
esac
SH
chmod +x "$T/systemctl"
touch "$T/standin/lsmex.active" "$T/standin/calcon.active"
export STANDIN=$T/standin
expect_exit 0 "online root with systemd: install -v" env HFX_TEST_ONLINE_ROOT=1 \
	HFX_SYSTEMD_DIR="$T/fake-systemd" HFX_SYSTEMCTL="$T/systemctl" \
	"$HFX" install -v --no-services --root "$ONLINE" "$T/KB899801.hfx"
# (--no-services above: first a run that must not call systemctl at all)
check "--no-services never runs systemctl" test ! -s "$T/standin/log"
cp -a "$T/template/opt/exchsrvr/bin/." "$ONLINE/opt/exchsrvr/bin/"
rm -rf "$ONLINE/var/lib/hfx"
expect_exit 0 "online root with systemd: install -v" env HFX_TEST_ONLINE_ROOT=1 \
	HFX_SYSTEMD_DIR="$T/fake-systemd" HFX_SYSTEMCTL="$T/systemctl" \
	"$HFX" install -v --root "$ONLINE" "$PKG"
like "$(cat "$T/.out")" "controlled through systemd" "-v says systemd"
is "$(grep -v is-active "$T/standin/log" | tr '\n' '|')" "stop lsmex|stop calcon|start calcon|start lsmex|" \
	"systemctl stop/start command lines, in order (stand-in)"
like "$(head -n 1 "$T/standin/log")" "^is-active --quiet lsmex$" "status through systemctl is-active --quiet"

OFFLINE=$T/offline
rm -rf "$OFFLINE"; cp -a "$T/template" "$OFFLINE"
cp "$ONLINE/etc/hfx/services.conf" "$OFFLINE/etc/hfx/services.conf"
: > "$T/standin/log"
expect_exit 0 "offline root with unit-only services: install" env \
	HFX_SYSTEMD_DIR="$T/fake-systemd" HFX_SYSTEMCTL="$T/systemctl" \
	"$HFX" install --root "$OFFLINE" "$PKG"
like "$(cat "$T/.out")" "not controllable here \(offline root" "units are skipped with a notice offline"
check "systemctl is never run for an offline root" test ! -s "$T/standin/log"

# --- SysV backend ------------------------------------------------------------------------
SYSV=$T/sysv
rm -rf "$SYSV"; cp -a "$T/template" "$SYSV"; track_root "$SYSV"
services_start "$SYSV"
cat > "$SYSV/etc/hfx/services.conf" <<'CONF'
[Connector for Lotus Notes]
unit = lsmex
[Calendar Connector]
unit = calcon
CONF
mkdir -p "$T/initd"
for pair in lsmex:lotus calcon:calendar; do
	cat > "$T/initd/${pair%%:*}" <<SH
#!/bin/sh
# SysV init script of the demo service ${pair#*:} (test fixture)
echo "${pair%%:*} \$1" >> "$T/initd.log"
exec "\$HFX_ROOT/usr/sbin/exchsvc" "\$1" ${pair#*:}
SH
	chmod +x "$T/initd/${pair%%:*}"
done
expect_exit 0 "online root with SysV init scripts: install -v" env HFX_TEST_ONLINE_ROOT=1 \
	HFX_SYSTEMD_DIR="$T/no-such-dir" HFX_INITD_DIR="$T/initd" \
	"$HFX" install -v --root "$SYSV" "$PKG"
like "$(cat "$T/.out")" "controlled through sysv" "-v says sysv"
is "$(grep -v status "$T/initd.log" | tr '\n' '|')" "lsmex stop|calcon stop|calcon start|lsmex start|" \
	"init scripts called with stop and start, in order"
is "$(service_version "$SYSV" lotus Lscps.dll)" 6.5.7233.26 "the init script restarted the daemon on the new files"

done_testing
