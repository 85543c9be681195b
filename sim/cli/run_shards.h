// sim/cli/run_shards.h — `espfleet run SCENARIO --shards N`: the local launcher. It runs the
// fleet as N processes on this host, each the per-shard command a cluster would run
// (`espfleet run SCENARIO --shard I/N --out RUN_DIR/shard-I --pki RUN_DIR/pki`, with its own
// embedded broker or the I-th --broker endpoint), passes signals on to them, and merges their
// run directories into RUN_DIR when they end (cmd_merge.h).
#pragma once
#include "cmd_run.h"

namespace espfleet {

int cmd_run_shards(const RunOptions& o);

}  // namespace espfleet
