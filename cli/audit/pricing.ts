/**
 * A small, dated table of storage list prices (USD per GB-month) used to estimate what orphaned
 * storage costs. An estimate only: standard-tier snapshots are billed for changed blocks, so the
 * volume size is an upper bound. Regions not in the table use `DEFAULT_PRICES` (us-east-1).
 */

/** Per-region prices, USD per GB-month. */
export interface RegionPrices {
  /** EBS snapshot, standard tier. */
  snapshotStandard: number;
  /** EBS snapshot, archive tier. */
  snapshotArchive: number;
  /** S3 Standard storage (instance-store bundles). */
  s3Standard: number;
}

/** When the table was last checked against the source below. */
export const PRICE_TABLE_DATE = "2026-11-25";
/** Where the figures come from. */
export const PRICE_TABLE_SOURCE =
  "aws.amazon.com/ebs/pricing and aws.amazon.com/s3/pricing, on-demand list prices in USD";

/** us-east-1 list prices; also the fallback for regions not in the table. */
export const DEFAULT_PRICES: RegionPrices = {
  snapshotStandard: 0.05,
  snapshotArchive: 0.0125,
  s3Standard: 0.023,
};

const TABLE: Record<string, RegionPrices> = {
  "us-east-1": DEFAULT_PRICES,
  "us-east-2": { snapshotStandard: 0.05, snapshotArchive: 0.0125, s3Standard: 0.023 },
  "us-west-1": { snapshotStandard: 0.055, snapshotArchive: 0.01375, s3Standard: 0.026 },
  "us-west-2": { snapshotStandard: 0.05, snapshotArchive: 0.0125, s3Standard: 0.023 },
  "ca-central-1": { snapshotStandard: 0.055, snapshotArchive: 0.01375, s3Standard: 0.025 },
  "eu-west-1": { snapshotStandard: 0.05, snapshotArchive: 0.0125, s3Standard: 0.023 },
  "eu-west-2": { snapshotStandard: 0.053, snapshotArchive: 0.01325, s3Standard: 0.024 },
  "eu-west-3": { snapshotStandard: 0.053, snapshotArchive: 0.01325, s3Standard: 0.024 },
  "eu-central-1": { snapshotStandard: 0.054, snapshotArchive: 0.0135, s3Standard: 0.0245 },
  "eu-north-1": { snapshotStandard: 0.0475, snapshotArchive: 0.011875, s3Standard: 0.023 },
  "ap-south-1": { snapshotStandard: 0.05, snapshotArchive: 0.0125, s3Standard: 0.025 },
  "ap-northeast-1": { snapshotStandard: 0.05, snapshotArchive: 0.0125, s3Standard: 0.025 },
  "ap-northeast-2": { snapshotStandard: 0.05, snapshotArchive: 0.0125, s3Standard: 0.025 },
  "ap-southeast-1": { snapshotStandard: 0.05, snapshotArchive: 0.0125, s3Standard: 0.025 },
  "ap-southeast-2": { snapshotStandard: 0.055, snapshotArchive: 0.01375, s3Standard: 0.025 },
  "sa-east-1": { snapshotStandard: 0.068, snapshotArchive: 0.017, s3Standard: 0.0405 },
};

/** Prices for `region`, falling back to `DEFAULT_PRICES` for a region not in the table. */
export function pricesFor(region: string): RegionPrices {
  return TABLE[region] ?? DEFAULT_PRICES;
}

/** Whether `region` has its own row (otherwise the estimate uses us-east-1 prices). */
export function hasRegionPrices(region: string): boolean {
  return Object.prototype.hasOwnProperty.call(TABLE, region);
}

/** Monthly cost of a snapshot of `sizeGiB` in `tier` (`archive` or anything else = standard). */
export function snapshotMonthlyUsd(region: string, sizeGiB: number, tier: string | undefined): number {
  const p = pricesFor(region);
  return sizeGiB * (tier === "archive" ? p.snapshotArchive : p.snapshotStandard);
}

/** Monthly cost of `bytes` of S3 Standard storage in `region`. */
export function s3MonthlyUsd(region: string, bytes: number): number {
  return (bytes / 1024 ** 3) * pricesFor(region).s3Standard;
}
