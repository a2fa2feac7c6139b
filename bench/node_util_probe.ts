// Diagnostic for the start-up table: the floor plus loading `node:util`, the price every command
// would pay for node:util's parseArgs, which is why lib/cli/gnu_args.ts parses arguments itself.
import "node:util";
