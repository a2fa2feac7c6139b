// What connect prints: the object Connect-JIM returns, made from the session the agent kept.
// Both sign-in paths (connect.ts, connect_interactive.ts) end here.

import { JimError } from "../../errors.ts";
import type { SessionStatus } from "../../session/protocol.ts";

/**
 * The object Connect-JIM returns, with its property names and order. Status holds the module's
 * values (src/JIM.PowerShell/Public/Connection/Connect-JIM.ps1): the server's health status
 * (`$health.status`, "healthy") for a new connection, CONNECTED_CACHED for a reused session or a
 * silent reconnect, CONNECTED_REFRESHED for a session to the same instance refreshed in place.
 */
export interface ConnectResult {
  Url: string;
  AuthMethod: "OAuth" | "ApiKey";
  Connected: boolean;
  ServerVersion: string | null;
  ExpiresAt: string | null;
  Authorised: boolean;
  Status: string;
  ApiKey: string | null;
}

/** Connect-JIM.ps1: `Status = 'Connected (cached)'` when no sign-in was needed. */
export const CONNECTED_CACHED = "Connected (cached)";
/** Connect-JIM.ps1: `Status = 'Connected (refreshed)'` when a live session was refreshed. */
export const CONNECTED_REFRESHED = "Connected (refreshed)";

export function connectResult(status: SessionStatus, state: string): ConnectResult {
  if (!status.connected || !status.url || !status.authMethod) {
    throw new JimError("agent", "the session agent did not keep the session");
  }
  return {
    Url: status.url,
    AuthMethod: status.authMethod,
    Connected: true,
    ServerVersion: status.serverVersion,
    ExpiresAt: status.expiresAt,
    Authorised: status.authorised,
    Status: state,
    ApiKey: status.apiKeyPreview ?? null,
  };
}
