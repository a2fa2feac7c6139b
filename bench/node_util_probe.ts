// Diagnostic for the start-up table: the floor plus loading `node:util` (what jim's argument
// parser imports), to show what the Node compatibility layer adds to every command.
import "node:util";
