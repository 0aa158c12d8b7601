// `muniscope poll --once`: runs the daemon's one-shot polling
// (daemon/daemon.h run_poll_once) and presents it: a progress line on a
// terminal while it runs, then the summary table and the accounts that did
// not end ok.
#pragma once

#include "daemon/daemon.h"

namespace muni {

// Exit code 0 when every selected account ended ok, 1 when any did not (or
// the run was interrupted), 2 for usage or configuration errors.
int cmd_poll_once(const PollOnceOptions& options);

}  // namespace muni
