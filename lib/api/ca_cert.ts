// A private CA for JIM servers and identity providers signed by a corporate or self-signed CA
// (--ca-cert FILE or JIM_CA_CERT).

import { usageError } from "../errors.ts";
import { readFileBounded } from "../read_file.ts";

// A CA bundle of a few hundred certificates is well under this.
const MAX_CA_BYTES = 4 * 1024 * 1024;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export async function readCaCert(path: string, source: string): Promise<string> {
  let text: string;
  try {
    text = await readFileBounded(path, MAX_CA_BYTES);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : (error as Error).message.split("\n")[0];
    throw usageError(`${source}: cannot read '${path}': ${reason}`);
  }
  if (!PEM_CERT.test(text)) {
    throw usageError(`${source}: '${path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return text;
}

export function caHttpClient(pem: string, source: string): Deno.HttpClient {
  try {
    return Deno.createHttpClient({ caCerts: [pem] });
  } catch (error) {
    throw usageError(
      `${source}: the certificate cannot be used: ${(error as Error).message.split("\n")[0]}`,
    );
  }
}
