#!/bin/bash
# crash-rollback.sh -- kill -9 a rollback of KBCRASH at every one of its
# steps, recover, and check the crash-safety promise (see crash-install.sh):
# a rollback interrupted before its commit is undone (the hotfix stays
# installed, new files in place); one interrupted after it is finished.
. "$HFX_SRCDIR/tests/integration/testlib.sh"
. "$HFX_SRCDIR/tests/integration/crashlib.sh"

crash_fixture || { not_ok "fixture"; done_testing; exit 1; }

# A template with KBCRASH installed, services stopped.
crash_root installed-template
expect_exit 0 "install KBCRASH for the rollback template" \
	"$HFX" install -q --root "$R" "$CRASH_PKG"
crash_services_stop "$R"
CRASH_INSTALLED=$R

crash_root count
expect_exit 0 "uninterrupted rollback (counting its steps)" \
	env HFX_FAULT_TRACE="$T/trace" "$HFX" rollback -q --root "$R" KBCRASH
crash_check "$R" "uninterrupted rollback" old
crash_services_stop "$R"
grep -v '^io ' "$T/trace" > "$T/steps"
N=$(wc -l < "$T/steps")
diag "rollback has $N crash points: $(cut -d' ' -f2 "$T/steps" | tr '\n' ' ')"

stride=3
[ "${HFX_EXHAUSTIVE:-0}" = 1 ] && stride=1
for k in $(seq 1 "$stride" "$N"); do
	name=$(sed -n "${k}p" "$T/steps" | cut -d' ' -f2)
	crash_root run
	quietly env HFX_FAULT_KILL_AT="$k" "$HFX" rollback -q --root "$R" KBCRASH
	rc=$?
	[ "$rc" = 137 ] || not_ok "rollback killed at step $k ($name): exit $rc, not killed"
	"$HFX" recover -q --root "$R" >/dev/null 2>"$T/recover.err" ||
		diag "recover after step $k: $(cat "$T/recover.err")"
	crash_check "$R" "rollback killed at step $k ($name), recovered"
	crash_services_stop "$R"
	rm -rf "$R"
done

# Recovery killed at each of its steps, for a crash in the middle of the
# rollback's renames.
k=$(grep -n ' rename$' "$T/steps" | sed -n 2p | cut -d: -f1)
if [ -n "$k" ]; then
	crash_root rec
	quietly env HFX_FAULT_KILL_AT="$k" "$HFX" rollback -q --root "$R" KBCRASH
	quietly env HFX_FAULT_TRACE="$T/rtrace" "$HFX" recover -q --root "$R"
	M=$(grep -vc '^io ' "$T/rtrace")
	crash_services_stop "$R"
	rm -rf "$R"
	mstride=2
	[ "${HFX_EXHAUSTIVE:-0}" = 1 ] && mstride=1
	for m in $(seq 1 "$mstride" "$M"); do
		crash_root rec
		quietly env HFX_FAULT_KILL_AT="$k" "$HFX" rollback -q --root "$R" KBCRASH
		quietly env HFX_FAULT_KILL_AT="$m" "$HFX" recover -q --root "$R"
		"$HFX" recover -q --root "$R" >/dev/null 2>&1
		crash_check "$R" "rollback killed at step $k (rename), recovery killed at its step $m, recovered"
		crash_services_stop "$R"
		rm -rf "$R"
	done
fi

done_testing
