#!/bin/bash
# crash-install.sh -- kill -9 an install of KBCRASH at every one of its
# steps, recover, and check SPEC's crash-safety promise each time: all old
# or all new, the record agreeing, verify agreeing, originals kept while new
# files are in place, no temporaries, services running on the files in
# place.  For a sample of steps, recovery itself is killed at each of its
# own steps and recovered again.
. "$HFX_SRCDIR/tests/integration/testlib.sh"
. "$HFX_SRCDIR/tests/integration/crashlib.sh"

crash_fixture || { not_ok "fixture"; done_testing; exit 1; }

crash_count install new "$CRASH_PKG"
crash_every_step install "$CRASH_STRIDE" "$CRASH_PKG"

# Kill recovery itself, at each of its steps, for crashes in the middle of
# the swap, in the window where services run the new files, and at commit.
pick=""
wanted="rename start db-commit"
[ "${HFX_EXHAUSTIVE:-0}" = 1 ] || wanted=start
for want in $wanted; do
	k=$(grep -n " $want\$" "$T/steps" | head -n 1 | cut -d: -f1)
	[ -n "$k" ] && pick="$pick $k"
done
for k in $pick; do
	crash_recovery_steps install "$k" 1 "$CRASH_PKG"
done

done_testing
