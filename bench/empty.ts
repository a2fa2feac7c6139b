// The runtime floor: an empty program, run with exactly jim's `deno run` flags, so the difference
// between this and a jim command is jim's own start-up and work.
