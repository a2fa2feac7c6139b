// Who issued the certificate a TLS server presents, read with verification off, so that doctor
// can name the CA a user must trust when verification fails. Nothing is sent over the
// connection; it is closed as soon as the handshake ends.

import tls from "node:tls";

export interface PeerCertificate {
  issuer: string;
  subject: string;
  /** Whether the chain verifies against the system store (plus `ca`, when given). */
  trusted: boolean;
  /** OpenSSL's code when not trusted, e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE. */
  error: string | null;
}

export function peerCertificate(
  url: URL,
  ca: string | undefined,
  timeoutMs: number,
): Promise<PeerCertificate | null> {
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    let settled = false;
    const done = (value: PeerCertificate | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        socket.destroy();
      } catch { /* closed */ }
      resolve(value);
    };
    const isIp = /^[\d.]+$|:/.test(host);
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      servername: isIp ? undefined : host,
      rejectUnauthorized: false,
      ...(ca ? { ca } : {}),
    }, () => {
      const cert = socket.getPeerCertificate();
      if (!cert || Object.keys(cert).length === 0) return done(null);
      done({
        issuer: distinguishedName(cert.issuer),
        subject: distinguishedName(cert.subject),
        trusted: socket.authorized,
        error: socket.authorizationError ? String(socket.authorizationError) : null,
      });
    });
    socket.on("error", () => done(null));
    const timer = setTimeout(() => done(null), timeoutMs);
  });
}

function distinguishedName(name: object | undefined): string {
  const fields = name as Record<string, unknown> | undefined;
  if (!fields) return "unknown";
  const parts = ["CN", "O", "OU", "C"].flatMap((key) => {
    const value = fields[key];
    const text = Array.isArray(value) ? value.join("+") : value;
    return typeof text === "string" && text !== "" ? [`${key}=${text}`] : [];
  });
  return parts.length > 0
    ? parts.join(", ").replace(/[^\x20-\x7e]/g, "?").slice(0, 200)
    : "unknown";
}
