#!/bin/bash
# txn-misc.sh -- one transaction at a time per root (exit 5 naming the
# holder, or waiting with --lock-timeout), and a database deleted or
# damaged while the store holds originals: a clear error saying what is
# left, nothing rewritten.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

setup_kb899801 || { not_ok "setup"; done_testing; exit 1; }

# --- two installers at once ----------------------------------------------------
# The first one's stop command blocks until we let it go, so the second one
# is sure to run while the first holds the lock.
cat >> "$ROOT/etc/hfx/services.conf" <<'CONF'

[Slow Service]
start = rm -f "$HFX_ROOT/slow-down"
stop = touch "$HFX_ROOT/slow-stopping"; while [ ! -f "$HFX_ROOT/go" ]; do sleep 0.05; done; touch "$HFX_ROOT/slow-down"
status = test ! -f "$HFX_ROOT/slow-down"
CONF
sed 's/^services = \(.*\)$/services = Slow Service, \1/' \
	"$HFX_SRCDIR/manifests/KB899801.ini" > "$T/kb-slow.ini"
"$HFX" pack "$T/kb-slow.ini" --payload "$HFX_SRCDIR/payload/KB899801" \
	--key "$PKI/publisher.key" --cert "$PKI/publisher.pem" -o "$T/slow.hfx" >/dev/null
"$HFX" install -q --root "$ROOT" "$T/slow.hfx" > "$T/first.out" 2>&1 &
first=$!
for _ in $(seq 1 200); do
	[ -f "$ROOT/slow-stopping" ] && break
	sleep 0.05
done
expect_exit 5 "a second installer while the first holds the lock: exit 5" \
	"$HFX" install --root "$ROOT" "$T/slow.hfx"
like "$(cat "$T/.err")" "pid $first" "the message names the holder's pid"
expect_exit 5 "a rollback at the same time: exit 5 too" \
	"$HFX" rollback --root "$ROOT" KB899801
expect_exit 1 "query still answers while a transaction runs (not yet: absent)" \
	"$HFX" query --root "$ROOT" "$PKG"
like "$(cat "$T/.err")" "transaction is in progress" "... and warns that one is in progress"
# A waiting installer: --lock-timeout lets it through once the first ends.
"$HFX" install --json --lock-timeout 30 --root "$ROOT" "$T/slow.hfx" > "$T/waiter.out" 2>&1 &
waiter=$!
sleep 0.5
touch "$ROOT/go"
wait "$first"
is "$?" 0 "the first installer completes"
wait "$waiter"
is "$?" 0 "the waiting installer gets the lock and exits 0"
is "$(json_get "$T/waiter.out" '.results[0].changed')" false "... finding it already installed"
expect_exit 0 "query: installed, consistent" "$HFX" query --root "$ROOT" KB899801
expect_exit 0 "verify agrees" "$HFX" verify --root "$ROOT"

# --- the database lost while the store holds originals ---------------------------
DB=$ROOT/var/lib/hfx/hfx.db
cp -a "$ROOT/var/lib/hfx" "$T/state-backup"
rm -f "$DB" "$DB-wal" "$DB-shm"
store_before=$(cd "$ROOT/var/lib/hfx/store" && find . -type f -exec sha256sum {} + | sort)
expect_exit 1 "rollback with the database gone: exit 1" "$HFX" rollback --root "$ROOT" KB899801
like "$(cat "$T/.err")" "missing, but .*store still holds the original files of 1 hotfix\(es\) \(KB899801\)" \
	"the message says the originals of KB899801 are still in the store"
like "$(cat "$T/.err")" "cannot roll them back" "... and what cannot be done"
expect_exit 1 "install with the database gone: exit 1" "$HFX" install --root "$ROOT" "$PKG"
check "no new database was created blindly" test ! -e "$DB"
expect_exit 1 "query by ID with the database gone: absent" "$HFX" query --root "$ROOT" KB899801
like "$(cat "$T/.err")" "store still holds" "query warns that the record is lost"
is "$(cd "$ROOT/var/lib/hfx/store" && find . -type f -exec sha256sum {} + | sort)" "$store_before" \
	"the kept originals are untouched"
rm -rf "$ROOT/var/lib/hfx" && cp -a "$T/state-backup" "$ROOT/var/lib/hfx"

# --- the database damaged --------------------------------------------------------
cp "$DB" "$T/db-good"
printf 'garbage garbage garbage' | dd of="$DB" bs=1 seek=4096 conv=notrunc 2>/dev/null
head -c 3000 /dev/urandom | dd of="$DB" bs=1 seek=5000 conv=notrunc 2>/dev/null
sum=$(sha256sum < "$DB")
for cmd in "list" "query KB899801" "rollback KB899801" "verify"; do
	# shellcheck disable=SC2086
	"$HFX" $cmd --root "$ROOT" >/dev/null 2>"$T/.err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q "damaged\|not an SQLite\|malformed" "$T/.err"; then
		ok "$cmd on a damaged database: exit 1, says it is damaged"
	else
		not_ok "$cmd on a damaged database: exit $rc: $(head -c 300 "$T/.err")"
	fi
done
is "$(sha256sum < "$DB")" "$sum" "the damaged database was not rewritten"
check "the files are still the installed ones" cmp "$ROOT/opt/exchsrvr/bin/Lscps.dll" \
	"$HFX_SRCDIR/payload/KB899801/bin/Lscps.dll"
cp "$T/db-good" "$DB"
expect_exit 0 "with the database restored, rollback works" "$HFX" rollback --root "$ROOT" KB899801

done_testing
