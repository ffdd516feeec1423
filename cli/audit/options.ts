/**
 * Parsing and checking of the audit's flags. Every function throws a `UsageError` naming the flag
 * and the fix; nothing here calls AWS.
 */
import type { TagFilter } from "./classify";

/** Bad command-line input; the CLI exits 2 with this message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `30d`, `12h`, `2w` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+)\s*([hdw])\s*$/i.exec(text);
  if (!m) {
    throw new UsageError(`--older-than "${text}": expected a whole number followed by h, d or w (e.g. 30d, 12h, 2w).`);
  }
  return Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
}

/** `Key=Value` → a filter; `Key=*` matches any value of Key. */
export function parseTagFilter(text: string): TagFilter {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    throw new UsageError(`--exclude-tag "${text}": expected KEY=VALUE (or KEY=* for any value), e.g. --exclude-tag keep=true.`);
  }
  const key = text.slice(0, eq);
  const value = text.slice(eq + 1);
  return value === "*" ? { key } : { key, value };
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Whether `name` looks like an AWS region name (`us-east-1`, `us-gov-west-1`, `ap-southeast-5`). */
export function isRegionName(name: string): boolean {
  return REGION.test(name);
}

/** Checks `--region` values (syntax only; existence is checked against DescribeRegions). */
export function checkRegionNames(regions: readonly string[]): string[] {
  for (const r of regions) {
    if (!isRegionName(r)) {
      throw new UsageError(`--region "${r}" is not a region name; expected something like us-east-1 (see \`aws ec2 describe-regions\`).`);
    }
  }
  return [...new Set(regions)];
}

/** Checks `--bucket` values: S3 bucket names (3-63 chars of a-z 0-9 . -), no `s3://` or key. */
export function checkBucketNames(buckets: readonly string[]): string[] {
  for (const b of buckets) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b)) {
      throw new UsageError(`--bucket "${b}" is not an S3 bucket name; pass the bare name (e.g. --bucket my-ami-bundles), without s3:// or a key.`);
    }
  }
  return [...new Set(buckets)];
}
