// What `jim connect` / Connect-JIM was asked to do: the answer of connect.ts's parse, read by
// both sign-in paths (the API key in connect.ts, the interactive flows in connect_interactive.ts).

import type { InstanceUrl } from "../../api/instance_url.ts";
import type { ApiKeySource } from "../../api/api_key.ts";
import type { RedirectHostName } from "../command_defs.ts";

export interface ConnectOptions {
  instance: InstanceUrl;
  /** Present for the API-key parameter set; the key is read from stdin at run time. */
  apiKey?: { source: ApiKeySource; value?: string };
  force: boolean;
  noPersist: boolean;
  timeoutSeconds: number;
  deviceCode: boolean;
  noBrowser: boolean;
  /** Read pasted callback addresses from stdin even when it is not a terminal. */
  paste: boolean;
  redirectPort?: number;
  redirectHost: RedirectHostName;
  json: boolean;
  style: "gnu" | "cmdlet";
}
