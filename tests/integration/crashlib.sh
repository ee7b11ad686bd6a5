# tests/integration/crashlib.sh -- the multi-file hotfix KBCRASH and the
# checks of the crash-point tests (crash-install.sh, crash-rollback.sh,
# io-faults.sh).
#
# KBCRASH replaces four files under /opt/crash (a PE DLL, two small data
# files and an 8 MiB one), adds one (new = yes) and leaves one alone
# because the machine already has a newer version (the older KB DLL ships
# in the package while the root has the newer one).  Two services map the
# files: svca maps bin/Lsmexif.dll, svcb maps lib/big.bin.

crash_fixture() {
	PKI=$T/pki
	[ -f "$PKI/publisher.pem" ] || pki_init "$PKI" || return 1
	src=$T/crash-src
	mkdir -p "$src/payload/bin" "$src/payload/data" "$src/payload/lib" \
		"$src/old/bin" "$src/old/data" "$src/old/lib"
	cp "$HFX_SRCDIR/demo/exchsrvr-6.5.7226.0/bin/Lscps.dll" "$src/payload/bin/"
	cp "$HFX_SRCDIR/payload/KB899801/bin/Lsmexif.dll" "$src/payload/bin/"
	cp "$HFX_SRCDIR/payload/KB899801/bin/Lscps.dll" "$src/old/bin/"
	cp "$HFX_SRCDIR/demo/exchsrvr-6.5.7226.0/bin/Lsmexif.dll" "$src/old/bin/"
	head -c 4096 /dev/urandom > "$src/payload/data/a.dat"
	head -c 4096 /dev/urandom > "$src/old/data/a.dat"
	head -c 6000 /dev/urandom > "$src/payload/data/b.dat"
	head -c 5000 /dev/urandom > "$src/old/data/b.dat"
	head -c 8388608 /dev/urandom > "$src/payload/lib/big.bin"
	head -c 8388608 /dev/urandom > "$src/old/lib/big.bin"
	printf 'setting = 1\n' > "$src/payload/data/new.cfg"
	cat > "$src/KBCRASH.ini" <<'INI'
[hotfix]
id = KBCRASH
title = Crash-point test hotfix
product = Crash Test Product
product-dir = /opt/crash
restart = services
services = Service A, Service B

[file bin/Lscps.dll]
version = 6.5.7226.0

[file bin/Lsmexif.dll]
version = 6.5.7233.26

[file data/a.dat]
version = 2.0

[file data/b.dat]
version = 2.0

[file lib/big.bin]
version = 2.0

[file data/new.cfg]
version = 2.0
new = yes
INI
	CRASH_PKG=$T/KBCRASH.hfx
	"$HFX" pack "$src/KBCRASH.ini" --payload "$src/payload" \
		--key "$PKI/publisher.key" --cert "$PKI/publisher.pem" \
		-o "$CRASH_PKG" >/dev/null || return 1
	# The template root, before the install.
	CRASH_TEMPLATE=$T/crash-template
	make_root "$CRASH_TEMPLATE" "$PKI" || return 1
	mkdir -p "$CRASH_TEMPLATE/opt/crash"
	cp -a "$src/old/." "$CRASH_TEMPLATE/opt/crash/"
	cat > "$CRASH_TEMPLATE/etc/hfx/services.conf" <<'CONF'
[Service A]
start = "$HFX_ROOT/usr/sbin/exchsvc" start svca -- opt/crash/bin/Lsmexif.dll
stop = "$HFX_ROOT/usr/sbin/exchsvc" stop svca
status = "$HFX_ROOT/usr/sbin/exchsvc" status svca

[Service B]
start = "$HFX_ROOT/usr/sbin/exchsvc" start svcb -- opt/crash/lib/big.bin
stop = "$HFX_ROOT/usr/sbin/exchsvc" stop svcb
status = "$HFX_ROOT/usr/sbin/exchsvc" status svcb
CONF
	# The hashes of the old and the new set of every target.
	for f in bin/Lscps.dll bin/Lsmexif.dll data/a.dat data/b.dat lib/big.bin data/new.cfg; do
		if [ -f "$src/old/$f" ]; then
			printf '%s %s\n' "$f" "$(sha256sum < "$src/old/$f" | cut -c1-64)"
		else
			printf '%s absent\n' "$f"
		fi
	done > "$T/set-old"
	for f in bin/Lscps.dll bin/Lsmexif.dll data/a.dat data/b.dat lib/big.bin data/new.cfg; do
		case $f in
		bin/Lscps.dll) p=$src/old/$f ;;	# newer on the machine: kept
		*) p=$src/payload/$f ;;
		esac
		printf '%s %s\n' "$f" "$(sha256sum < "$p" | cut -c1-64)"
	done > "$T/set-new"
}

# crash_root NAME: a fresh copy of the template (of the root with KBCRASH
# installed once CRASH_INSTALLED names it), services running.  Sets $R.
crash_root() {
	R=$T/$1
	rm -rf "$R"
	cp -a "${CRASH_INSTALLED:-$CRASH_TEMPLATE}" "$R" || return 1
	crash_services_start "$R"
}

crash_services_start() {
	HFX_ROOT=$1 "$1/usr/sbin/exchsvc" start svca -- opt/crash/bin/Lsmexif.dll &&
	HFX_ROOT=$1 "$1/usr/sbin/exchsvc" start svcb -- opt/crash/lib/big.bin
}

crash_services_stop() {
	HFX_ROOT=$1 "$1/usr/sbin/exchsvc" stop svca
	HFX_ROOT=$1 "$1/usr/sbin/exchsvc" stop svcb
}

# quietly CMD...: run CMD with its output and the shell's "Killed" notice
# discarded; prints nothing, returns CMD's exit status.
quietly() {
	( "$@"; exit $? ) >/dev/null 2>&1
}

# crash_state ROOT: "old", "new" or "mixed" from the targets' bytes.
crash_state() {
	for f in bin/Lscps.dll bin/Lsmexif.dll data/a.dat data/b.dat lib/big.bin data/new.cfg; do
		if [ -f "$1/opt/crash/$f" ]; then
			printf '%s %s\n' "$f" "$(sha256sum < "$1/opt/crash/$f" | cut -c1-64)"
		else
			printf '%s absent\n' "$f"
		fi
	done > "$T/set-now"
	if cmp -s "$T/set-now" "$T/set-old"; then
		echo old
	elif cmp -s "$T/set-now" "$T/set-new"; then
		echo new
	else
		echo mixed
	fi
}

# crash_check ROOT LABEL [EXPECT]: every invariant of SPEC's crash safety
# after recovery; one TAP case.  EXPECT (old/new) if known.
crash_check() {
	_r=$1 _label=$2 _expect=${3:-}
	_why=""
	wait_trash "$_r" || _why="$_why the store's trash was not emptied;"
	_state=$(crash_state "$_r")
	[ "$_state" = mixed ] && _why="$_why files mixed:$(diff "$T/set-old" "$T/set-now" | grep '^>' | tr '\n' ' ');"
	[ -n "$_expect" ] && [ "$_state" != "$_expect" ] && _why="$_why state $_state, expected $_expect;"
	_recorded=$("$HFX" query --json --root "$_r" KBCRASH 2>/dev/null | jq -r '.hotfixes[0].recorded')
	case $_state in
	new)
		[ "$_recorded" = true ] || _why="$_why new files but not recorded;"
		"$HFX" verify --root "$_r" >/dev/null 2>&1 || _why="$_why verify disagrees;"
		for f in bin/Lsmexif.dll data/a.dat data/b.dat lib/big.bin; do
			cmp -s "$_r/var/lib/hfx/store/KBCRASH/$f" "$T/crash-src/old/$f" ||
				_why="$_why original $f not kept;"
		done
		;;
	old)
		[ "$_recorded" = false ] || _why="$_why old files but recorded ($_recorded);"
		[ -z "$(find "$_r/var/lib/hfx/store" -type f 2>/dev/null)" ] ||
			_why="$_why store not empty: $(find "$_r/var/lib/hfx/store" -type f | head -3 | tr '\n' ' ');"
		;;
	esac
	_tmp=$(find "$_r" -name '*.hfx-*' | head -3)
	[ -z "$_tmp" ] || _why="$_why temporaries left: $_tmp;"
	_txn=$(sqlite3 "$_r/var/lib/hfx/hfx.db" 'select count(*) from txn' 2>&1)
	[ "$_txn" = 0 ] || _why="$_why journal not empty ($_txn);"
	for s in svca svcb; do
		HFX_ROOT=$_r "$_r/usr/sbin/exchsvc" status $s ||
			_why="$_why service $s not running;"
	done
	_va=$(sed -n 's/^svca pid=[0-9]* loaded=Lsmexif.dll version=//p' "$_r/var/log/exchsvc/svca.report")
	case $_state in
	new) [ "$_va" = 6.5.7233.26 ] || _why="$_why svca runs $_va on new files;" ;;
	old) [ "$_va" = 6.5.7226.0 ] || _why="$_why svca runs $_va on old files;" ;;
	esac
	if [ -z "$_why" ]; then
		ok "$_label: all $_state, consistent"
	else
		not_ok "$_label:$_why"
	fi
}

# crash_every_step OP STRIDE ARG...: for every STRIDE-th step listed in
# $T/steps, a fresh root, `hfx OP -q --root ROOT ARG...` killed at that
# step, `hfx recover`, and crash_check: one TAP case per step.
crash_every_step() {
	local op=$1 stride=$2 n k name rc
	shift 2
	n=$(wc -l < "$T/steps")
	for k in $(seq 1 "$stride" "$n"); do
		name=$(sed -n "${k}p" "$T/steps" | cut -d' ' -f2)
		crash_root run
		quietly env HFX_FAULT_KILL_AT="$k" "$HFX" "$op" -q --root "$R" "$@"
		rc=$?
		[ "$rc" = 137 ] || not_ok "$op killed at step $k ($name): exit $rc, not killed"
		"$HFX" recover -q --root "$R" >/dev/null 2>"$T/recover.err" ||
			diag "recover after step $k: $(cat "$T/recover.err")"
		crash_check "$R" "$op killed at step $k ($name), recovered"
		crash_services_stop "$R"
		rm -rf "$R"
	done
}

# crash_recovery_steps OP K MSTRIDE ARG...: `hfx OP` killed at its step K,
# then recovery killed at every MSTRIDE-th of its own steps, then a second
# recovery, which must leave everything consistent (recovery is
# idempotent): one TAP case per recovery step.
crash_recovery_steps() {
	local op=$1 k=$2 mstride=$3 name m nrec
	shift 3
	name=$(sed -n "${k}p" "$T/steps" | cut -d' ' -f2)
	crash_root rec
	quietly env HFX_FAULT_KILL_AT="$k" "$HFX" "$op" -q --root "$R" "$@"
	rm -f "$T/rtrace"
	quietly env HFX_FAULT_TRACE="$T/rtrace" "$HFX" recover -q --root "$R"
	nrec=$(grep -vc '^io ' "$T/rtrace")
	crash_services_stop "$R"
	rm -rf "$R"
	for m in $(seq 1 "$mstride" "$nrec"); do
		crash_root rec
		quietly env HFX_FAULT_KILL_AT="$k" "$HFX" "$op" -q --root "$R" "$@"
		quietly env HFX_FAULT_KILL_AT="$m" "$HFX" recover -q --root "$R"
		"$HFX" recover -q --root "$R" >/dev/null 2>"$T/recover.err" ||
			diag "second recover: $(cat "$T/recover.err")"
		crash_check "$R" "$op killed at step $k ($name), recovery killed at its step $m, recovered"
		crash_services_stop "$R"
		rm -rf "$R"
	done
}

# crash_count OP EXPECT ARG...: a fresh root, `hfx OP -q --root ROOT ARG...`
# run through once, checked (all EXPECT), with its steps written to
# $T/steps for the loops above.  CRASH_STRIDE: every step with
# HFX_EXHAUSTIVE=1 (.ci/run sets it), every third otherwise, to keep a
# developer's `make check` short.
crash_count() {
	local op=$1 expect=$2
	shift 2
	crash_root count
	expect_exit 0 "uninterrupted $op (counting its steps)" \
		env HFX_FAULT_TRACE="$T/trace" "$HFX" "$op" -q --root "$R" "$@"
	crash_check "$R" "uninterrupted $op" "$expect"
	crash_services_stop "$R"
	grep -v '^io ' "$T/trace" > "$T/steps"
	diag "$op has $(wc -l < "$T/steps") crash points: $(cut -d' ' -f2 "$T/steps" | tr '\n' ' ')"
}
CRASH_STRIDE=3
[ "${HFX_EXHAUSTIVE:-0}" = 1 ] && CRASH_STRIDE=1
