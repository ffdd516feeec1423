/**
 * The retention window of a `ManagedAmiFamily`, as a pure function: which of the family's images stay
 * enabled, which stay as disabled rollback spares, and which fall outside (retired when they were
 * members, left alone otherwise). No AWS, no Pulumi: the same images and clock always give the same plan.
 */

/** One image of the family as discovery found it (DescribeImages, own images). */
export interface FamilyImage {
  imageId: string;
  name: string;
  /** ISO 8601, as AWS reports it; a missing or unreadable date sorts as the oldest. */
  creationDate?: string;
  /** `available`, `disabled`, `pending`, `failed`, … — only `available` and `disabled` count. */
  state: string;
}

/** The retention settings (already validated). */
export interface WindowOptions {
  /** The newest `keep` images stay enabled (at least 1). */
  keep: number;
  /** The next `keepDisabled` older images stay, disabled; default 0. */
  keepDisabled?: number;
  /** Images younger than this many days are never retired (kept as disabled spares when beyond the window); default 0. */
  minAgeDays?: number;
  /** Always kept enabled, wherever they rank. Pins do not shift the windows of the other images. */
  pin?: readonly string[];
  /** The time the program runs, in ms since the epoch. */
  now: number;
}

/** What the family declares, newest first in every list. */
export interface FamilyWindow {
  /** Every counted image (available or disabled), newest first: the order every list below follows. */
  ordered: FamilyImage[];
  /** The newest image id (always enabled), or undefined when the family has no counted image. */
  latest?: string;
  /** Kept and enabled: the newest `keep` plus pins. */
  enabled: string[];
  /** Kept as disabled spares: the next `keepDisabled`, plus younger-than-`minAgeDays` images beyond them. */
  disabled: string[];
  /** Counted images older than the window: not declared (retired if they were members). */
  outside: string[];
  /** Images that do not count (pending, failed, …): never declared, never touched. */
  ignored: FamilyImage[];
  /** Pinned ids that are not among the counted images (the caller fails on these). */
  missingPins: string[];
}

/** States that make an image count as a member candidate. */
export const COUNTED_STATES: readonly string[] = ["available", "disabled"];

const DAY_MS = 86_400_000;

function timeOf(image: FamilyImage): number {
  const t = image.creationDate ? Date.parse(image.creationDate) : NaN;
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * Newest first by `CreationDate`; ties (same timestamp) by name, descending (a dated name such as
 * `web-2024-05-02` sorts before `web-2024-05-01`), then by image id, descending. Deterministic for any
 * input order.
 */
export function compareNewestFirst(a: FamilyImage, b: FamilyImage): number {
  const ta = timeOf(a);
  const tb = timeOf(b);
  if (ta !== tb) return ta > tb ? -1 : 1;
  if (a.name !== b.name) return a.name > b.name ? -1 : 1;
  if (a.imageId !== b.imageId) return a.imageId > b.imageId ? -1 : 1;
  return 0;
}

/**
 * Ranks every counted image by age over the whole family: rank < keep → enabled; then keepDisabled
 * → disabled; beyond that, younger than minAgeDays → disabled (never retired; an unknown age counts
 * as young); else outside. A pinned image is enabled whatever its rank or age.
 */
export function familyWindow(images: readonly FamilyImage[], options: WindowOptions): FamilyWindow {
  const keepDisabled = options.keepDisabled ?? 0;
  const minAgeMs = (options.minAgeDays ?? 0) * DAY_MS;
  const pins = new Set(options.pin ?? []);
  const ordered = images.filter((i) => COUNTED_STATES.includes(i.state)).sort(compareNewestFirst);
  const ignored = images.filter((i) => !COUNTED_STATES.includes(i.state)).sort(compareNewestFirst);
  const enabled: string[] = [];
  const disabled: string[] = [];
  const outside: string[] = [];
  ordered.forEach((image, rank) => {
    const created = timeOf(image);
    const young = minAgeMs > 0 && (created === Number.NEGATIVE_INFINITY || options.now - created < minAgeMs);
    if (pins.has(image.imageId) || rank < options.keep) enabled.push(image.imageId);
    else if (rank < options.keep + keepDisabled || young) disabled.push(image.imageId);
    else outside.push(image.imageId);
  });
  const counted = new Set(ordered.map((i) => i.imageId));
  return {
    ordered,
    latest: ordered[0]?.imageId,
    enabled,
    disabled,
    outside,
    ignored,
    missingPins: [...pins].filter((id) => !counted.has(id)),
  };
}
