import http from "node:http";
import type { AddressInfo } from "node:net";

export interface S3Request {
  method: string;
  path: string;
  /** The request target as sent, query string included (pre-signed URLs carry their signature there). */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A local HTTP server standing in for an S3-compatible endpoint: it records every request and keeps
 * PUT objects, so the S3 adapter's requests (paths, signatures, bodies) can be checked offline.
 */
export async function startFakeS3(): Promise<{ endpoint: string; requests: S3Request[]; objects: Map<string, Buffer>; stop(): Promise<void> }> {
  const requests: S3Request[] = [];
  const objects = new Map<string, Buffer>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = decodeURIComponent((req.url ?? "").split("?")[0]!);
      requests.push({ method: req.method ?? "", path, url: req.url ?? "", headers: req.headers, body });
      if (req.method === "PUT") {
        objects.set(path, body);
        res.writeHead(200, { etag: '"etag"' }).end();
      } else if (req.method === "DELETE") {
        objects.delete(path);
        res.writeHead(204).end();
      } else if (req.method === "HEAD" || req.method === "GET") {
        const object = objects.get(path);
        const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
        if (!object) res.writeHead(404).end();
        else if (range && req.method === "GET") {
          const part = object.subarray(Number(range[1]), Number(range[2]) + 1);
          res.writeHead(206, { "content-length": String(part.length), "content-range": `bytes ${range[1]}-${Number(range[1]) + part.length - 1}/${object.length}` }).end(part);
        } else res.writeHead(200, { "content-length": String(object.length) }).end(req.method === "GET" ? object : undefined);
      } else {
        res.writeHead(405).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    objects,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
