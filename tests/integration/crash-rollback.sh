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

crash_count rollback old KBCRASH
crash_every_step rollback "$CRASH_STRIDE" KBCRASH

# Recovery killed at each of its steps, for a crash in the middle of the
# rollback's renames.
k=$(grep -n ' rename$' "$T/steps" | sed -n 2p | cut -d: -f1)
if [ -n "$k" ]; then
	mstride=2
	[ "${HFX_EXHAUSTIVE:-0}" = 1 ] && mstride=1
	crash_recovery_steps rollback "$k" "$mstride" KBCRASH
fi

done_testing
