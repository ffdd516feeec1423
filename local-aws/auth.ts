import type { IncomingHttpHeaders } from "node:http";

/** The caller as the SigV4 credential scope names it (signatures are not verified). */
export interface Caller {
  accessKeyId: string;
  region: string;
  service: string;
}

const SCOPE = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

/** Read `Credential=AKID/date/region/service/aws4_request` from the Authorization header or a presigned URL. */
export function callerOf(headers: IncomingHttpHeaders, query: URLSearchParams): Caller | undefined {
  const auth = headers.authorization;
  const m = auth ? SCOPE.exec(auth) : undefined;
  if (m) return { accessKeyId: m[1], region: m[3], service: m[4] };
  const cred = query.get("X-Amz-Credential");
  if (cred) {
    const parts = cred.split("/");
    if (parts.length === 5) return { accessKeyId: parts[0], region: parts[2], service: parts[3] };
  }
  return undefined;
}
