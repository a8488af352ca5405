import fs from "node:fs/promises";
import tls from "node:tls";

/** PEM text rather than a path: what `TLS_CERT` / `TLS_KEY` hold when they begin with a PEM header. */
const PEM = /^-----BEGIN [A-Z0-9 ]+-----/;

async function readPem(variable: "TLS_CERT" | "TLS_KEY", value: string): Promise<Buffer> {
  // Inline PEM may arrive with its line breaks escaped (`\n`), as many secret stores and .env files write them.
  if (PEM.test(value)) return Buffer.from(value.replace(/\\n/g, "\n"));
  try {
    return await fs.readFile(value);
  } catch (err) {
    throw new Error(`${variable}: cannot read ${value} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a file path or the PEM text itself`);
  }
}

/**
 * The node's own certificate chain and key (TLS_CERT, TLS_KEY), read and checked at boot so that a
 * wrong file or a key that does not match its certificate stops the boot with a message naming them,
 * not the first handshake.
 */
export async function loadTls(config: { cert: string; key: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const cert = await readPem("TLS_CERT", config.cert);
  const key = await readPem("TLS_KEY", config.key);
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`TLS_CERT / TLS_KEY: not a usable certificate and key (${(err as Error).message})`);
  }
  return { cert, key };
}
