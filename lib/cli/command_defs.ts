// The command table: one definition per command drives parsing (both styles), help and
// shell completion, so the three can never disagree.

/** The hosts --redirect-host takes, the first the default (the one IdP registrations list). */
export const REDIRECT_HOSTS = ["localhost", "127.0.0.1"] as const;
export type RedirectHostName = (typeof REDIRECT_HOSTS)[number];

export interface OptionDef {
  /** GNU long name, e.g. "api-key"; parsed values are keyed by it. */
  name: string;
  type: "boolean" | "string";
  short?: string;
  /** Cmdlet-style parameter name, e.g. "ApiKey"; absent when the option is GNU-only. */
  cmdlet?: string;
  /** Placeholder in help, e.g. "KEY". */
  value?: string;
  description: string;
  /** Accepted only in cmdlet style (e.g. Get-JIMConnectedSystem -Id). */
  cmdletOnly?: boolean;
  /** connect: an interactive sign-in option, refused together with an API key. */
  interactiveOnly?: boolean;
}

export interface PositionalDef {
  /** The option the positional fills, e.g. "url" (so `-Url X` and `X` land in one place). */
  name: string;
  value: string;
  required: boolean;
}

export interface CommandDef {
  /** Canonical GNU name, e.g. "connect" or "connected-system list". */
  name: string;
  aliases: string[];
  /** The PowerShell cmdlet this command mirrors. */
  cmdlet?: string;
  positionals: PositionalDef[];
  options: OptionDef[];
  summary: string;
  /** Extra help text shown by `jim help <command>`. */
  details?: string;
}

const json: OptionDef = {
  name: "json",
  type: "boolean",
  cmdlet: "Json",
  description: "print JSON",
};

const urlOption: OptionDef = {
  name: "url",
  type: "string",
  cmdlet: "Url",
  value: "URL",
  description:
    "base URL of the JIM instance, e.g. https://jim.example.com (a bare host means https)",
};

/** --url on a command that uses the session: which instance's, while several are open. */
const sessionUrl: OptionDef = {
  ...urlOption,
  description: "the instance whose session to use (default: JIM_URL, else the latest connect)",
};

export const COMMANDS: CommandDef[] = [
  {
    name: "connect",
    aliases: [],
    cmdlet: "Connect-JIM",
    summary: "sign in to a JIM instance and keep the session for later commands",
    positionals: [
      { name: "url", value: "URL", required: true },
      { name: "api-key", value: "KEY", required: false },
    ],
    options: [
      urlOption,
      {
        name: "api-key",
        type: "string",
        cmdlet: "ApiKey",
        value: "KEY",
        description: "API key (lands in shell history: prefer --api-key-stdin or JIM_API_KEY)",
      },
      {
        name: "api-key-stdin",
        type: "boolean",
        cmdlet: "ApiKeyStdin",
        description: "read the API key from standard input",
      },
      {
        name: "force",
        interactiveOnly: true,
        type: "boolean",
        cmdlet: "Force",
        description: "sign in again even if a valid session or stored sign-in exists",
      },
      {
        name: "no-persist",
        interactiveOnly: true,
        type: "boolean",
        cmdlet: "NoPersist",
        description: "neither read nor write the OS credential store",
      },
      {
        name: "timeout",
        interactiveOnly: true,
        type: "string",
        cmdlet: "TimeoutSeconds",
        value: "SECONDS",
        description: "how long to wait for interactive sign-in (30-600, default 300)",
      },
      {
        name: "device-code",
        interactiveOnly: true,
        type: "boolean",
        cmdlet: "DeviceCode",
        description: "sign in with a code on another device (no local browser needed)",
      },
      {
        name: "no-browser",
        interactiveOnly: true,
        type: "boolean",
        cmdlet: "NoBrowser",
        description: "print the sign-in URL instead of opening a browser",
      },
      {
        name: "paste",
        interactiveOnly: true,
        type: "boolean",
        cmdlet: "Paste",
        description:
          "read a pasted callback address from standard input even when it is not a terminal",
      },
      {
        name: "redirect-port",
        interactiveOnly: true,
        type: "string",
        cmdlet: "RedirectPort",
        value: "PORT",
        description: "loopback redirect port (default: first free of 8400-8409)",
      },
      {
        name: "redirect-host",
        interactiveOnly: true,
        type: "string",
        cmdlet: "RedirectHost",
        value: "HOST",
        description: "loopback redirect host: localhost (default) or 127.0.0.1",
      },
      json,
    ],
  },
  {
    name: "disconnect",
    aliases: [],
    cmdlet: "Disconnect-JIM",
    summary: "end the current session (or --url's, or --all) and forget its stored sign-in",
    positionals: [],
    options: [
      {
        ...urlOption,
        description:
          "the instance to disconnect and forget (default: the current one; works while not connected)",
      },
      {
        name: "all",
        type: "boolean",
        cmdlet: "All",
        description: "end every session and forget every stored JIM sign-in on this machine",
      },
      json,
    ],
  },
  {
    name: "test-connection",
    aliases: ["status"],
    cmdlet: "Test-JIMConnection",
    summary: "check that the session is active and healthy",
    positionals: [],
    options: [
      {
        name: "quiet",
        type: "boolean",
        short: "q",
        cmdlet: "Quiet",
        description: "print only true or false",
      },
      sessionUrl,
      json,
    ],
  },
  {
    name: "doctor",
    aliases: [],
    // No module cmdlet checks the client's environment; Test- is the module's verb for checks
    // (Test-JIMConnection, Test-JIMCertificate), and the thing checked is this machine's setup.
    cmdlet: "Test-JIMEnvironment",
    summary: "check the agent, credential store, browser, ports, proxy and the server",
    positionals: [{ name: "url", value: "URL", required: false }],
    options: [
      {
        ...urlOption,
        description: "the JIM instance to check (default: the connected one)",
      },
      json,
    ],
    details: "One line per check: ✓ passed, or ✗ failed with the fix.\n" +
      "Exit code 0 when every check passes, 1 otherwise.",
  },
  {
    name: "whoami",
    aliases: [],
    summary: "show the signed-in identity",
    positionals: [],
    options: [sessionUrl, json],
  },
  {
    name: "connected-system list",
    aliases: [],
    cmdlet: "Get-JIMConnectedSystem",
    summary: "list connected systems",
    positionals: [],
    options: [
      {
        name: "name",
        type: "string",
        cmdlet: "Name",
        value: "PATTERN",
        description: "only names matching PATTERN (wildcards * and ?, case-insensitive)",
      },
      {
        name: "id",
        type: "string",
        cmdlet: "Id",
        value: "ID",
        description: "the connected system with this id",
        cmdletOnly: true,
      },
      sessionUrl,
      json,
    ],
  },
  {
    name: "connected-system get",
    aliases: [],
    summary: "show one connected system",
    positionals: [{ name: "id", value: "ID", required: true }],
    options: [sessionUrl, json],
  },
  {
    name: "api",
    aliases: [],
    summary: "call a JIM REST API path with the session",
    positionals: [{ name: "path", value: "PATH", required: true }],
    options: [
      {
        name: "method",
        type: "string",
        short: "X",
        value: "METHOD",
        description: "HTTP method (default GET, or POST with --data)",
      },
      {
        name: "data",
        type: "string",
        short: "d",
        value: "JSON|@FILE|-",
        description: "request body: JSON text, @file, or - for standard input",
      },
      {
        name: "paginate",
        type: "boolean",
        description: "fetch every page of a paged list and print one JSON array",
      },
      {
        name: "include",
        type: "boolean",
        short: "i",
        description: "print the response status line and headers before the body",
      },
      sessionUrl,
    ],
  },
  {
    name: "completion",
    aliases: [],
    summary: "print a shell completion script",
    positionals: [{ name: "shell", value: "bash|zsh|fish|powershell", required: true }],
    options: [],
  },
  {
    name: "help",
    aliases: [],
    summary: "show help for jim or for one command",
    positionals: [{ name: "topic", value: "COMMAND", required: false }],
    options: [],
  },
];

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionDef[] = [
  { name: "help", type: "boolean", short: "h", description: "show help for the command" },
  {
    name: "verbose",
    type: "boolean",
    short: "v",
    cmdlet: "Verbose",
    description: "trace every HTTP step on stderr (secrets masked)",
  },
  {
    name: "ca-cert",
    type: "string",
    cmdlet: "CaCert",
    value: "FILE",
    description: "trust this PEM CA for JIM and the identity provider (or JIM_CA_CERT)",
  },
];

export function findCommand(name: string): CommandDef | undefined {
  return COMMANDS.find((def) => def.name === name || def.aliases.includes(name));
}

export function findCmdlet(name: string): CommandDef | undefined {
  const lower = name.toLowerCase();
  return COMMANDS.find((def) => def.cmdlet?.toLowerCase() === lower);
}
