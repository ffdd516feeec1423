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
export function parseDuration(text: string, flag = "--older-than"): number {
  const m = /^\s*(\d+)\s*([hdw])\s*$/i.exec(text);
  if (!m) {
    throw new UsageError(
      `${flag} "${text}": expected a whole number followed by h, d or w (e.g. 30d, 12h, 2w).`,
    );
  }
  return Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
}

/** `Key=Value` → a filter; `Key=*` matches any value of Key. */
export function parseTagFilter(text: string): TagFilter {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    throw new UsageError(
      `--exclude-tag "${text}": expected KEY=VALUE (or KEY=* for any value), e.g. --exclude-tag keep=true.`,
    );
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

/** Public AWS regions, for "did you mean" before DescribeRegions can answer. */
export const KNOWN_REGIONS: readonly string[] = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-7",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-south-1",
  "eu-south-2",
  "eu-north-1",
  "il-central-1",
  "me-south-1",
  "me-central-1",
  "mx-central-1",
  "sa-east-1",
  "us-gov-east-1",
  "us-gov-west-1",
];

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The closest region name to `name` (case and `_` forgiven), when it is a near miss. */
export function nearestRegion(
  name: string,
  candidates: readonly string[] = KNOWN_REGIONS,
): string | undefined {
  const n = name.toLowerCase().replace(/_/g, "-").trim();
  let best: { r: string; d: number } | undefined;
  for (const r of candidates) {
    const d = distance(n, r);
    if (!best || d < best.d) best = { r, d };
  }
  return best && best.d <= 3 ? best.r : undefined;
}

/** One wording for a bad region, whichever place it came from (`--region`, `AWS_REGION`, the profile). */
export function badRegionMessage(
  name: string,
  source: string,
  candidates: readonly string[] = KNOWN_REGIONS,
): string {
  const near = nearestRegion(name, candidates);
  return (
    `unknown region "${name}" (from ${source})${near && near !== name ? `: did you mean ${near}?` : "."} ` +
    "Use a region name such as us-east-1 (`aws ec2 describe-regions` lists the account's)."
  );
}

/** Checks `--region` values (syntax only; existence is checked against DescribeRegions). */
export function checkRegionNames(regions: readonly string[]): string[] {
  for (const r of regions) {
    if (!isRegionName(r)) throw new UsageError(badRegionMessage(r, "--region"));
  }
  return [...new Set(regions)];
}

/** Checks `--bucket` values: S3 bucket names (3-63 chars of a-z 0-9 . -), no `s3://` or key. */
export function checkBucketNames(buckets: readonly string[]): string[] {
  for (const b of buckets) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b)) {
      throw new UsageError(
        `--bucket "${b}" is not an S3 bucket name; pass the bare name (e.g. --bucket my-ami-bundles), without s3:// or a key.`,
      );
    }
  }
  return [...new Set(buckets)];
}
