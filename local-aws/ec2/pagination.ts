import { Ec2Error } from "../protocol/errors";
import type { QueryParams } from "../protocol/query";

export interface PageOptions {
  /** Allowed MaxResults range, e.g. [5, 1000]. */
  range: [number, number];
  /** The explicit-ids parameter that may not be combined with MaxResults (e.g. "ImageId"), if any. */
  idsParam?: string;
  idsGiven: boolean;
}

/**
 * One page of `items` for MaxResults/NextToken. Tokens are opaque (base64 offset + fingerprint of
 * the query); a foreign or stale token fails with InvalidPaginationToken.
 */
export function paginate<T>(
  items: T[],
  p: QueryParams,
  action: string,
  opts: PageOptions,
): { page: T[]; nextToken?: string } {
  validatePaging(p, opts);
  const max = p.int("MaxResults");
  const token = p.str("NextToken");
  const fingerprint = fingerprintOf(p, action);
  let start = 0;
  if (token !== undefined && token !== "") {
    const decoded = decodeToken(token);
    if (!decoded || decoded.f !== fingerprint) {
      throw new Ec2Error("InvalidPaginationToken", `Invalid pagination token: ${token}`);
    }
    start = decoded.o;
  }
  if (max === undefined && (token === undefined || token === "")) return { page: items };
  const size = max ?? opts.range[1];
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? encodeToken({ o: start + size, f: fingerprint }) : undefined;
  return { page, nextToken: next };
}

/** MaxResults range and the ids combination; call before resolving ids (AWS validates first). */
export function validatePaging(p: QueryParams, opts: PageOptions): void {
  const max = p.int("MaxResults");
  if (max !== undefined) {
    if (opts.idsGiven && opts.idsParam) {
      throw new Ec2Error(
        "InvalidParameterCombination",
        `The parameter ${opts.idsParam}s cannot be used with the parameter maxResults`,
      );
    }
    const [lo, hi] = opts.range;
    if (max < lo || max > hi) {
      throw new Ec2Error(
        "InvalidParameterValue",
        `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between ${lo} and ${hi}.`,
      );
    }
  }
}

function fingerprintOf(p: QueryParams, action: string): string {
  const keys = Object.keys(p.raw)
    .filter((k) => k !== "NextToken" && k !== "MaxResults")
    .sort();
  const text = action + "|" + keys.map((k) => `${k}=${p.raw[k]}`).join("&");
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}

function encodeToken(t: { o: number; f: string }): string {
  return Buffer.from(JSON.stringify(t)).toString("base64url");
}

function decodeToken(token: string): { o: number; f: string } | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { o?: unknown; f?: unknown };
    if (typeof t.o === "number" && typeof t.f === "string") return { o: t.o, f: t.f };
  } catch {
    /* fall through */
  }
  return undefined;
}
