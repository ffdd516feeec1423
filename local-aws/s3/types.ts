// Request/response shapes shared by the S3 handler modules (the server adapter fills S3Request).
import type { IncomingHttpHeaders } from "node:http";

export interface S3Request {
  method: string;
  /** Raw, still percent-encoded path of the request URL (no query), e.g. "/bucket/a%20b/c". */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface S3Context {
  accountId: string;
  /** The SigV4 credential-scope region of the request. */
  region: string;
  requestId: string;
}

export interface S3Response {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export function header(req: S3Request, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(",") : v;
}
