/**
 * The lifecycle inputs (spec v2 "ManagedAmi: new inputs"): `whenInUse`, `deregistrationProtection`,
 * `deprecationTime`, `disabled`. All optional and updated in place.
 */
import { Failures, show, typeName } from "./failures";
import { optionalBoolean } from "./fields";
import { isAbsent, isUnknown } from "./unknown";

export const LIFECYCLE_KEYS = [
  "whenInUse",
  "deregistrationProtection",
  "deprecationTime",
  "disabled",
] as const;
export type LifecycleKey = (typeof LIFECYCLE_KEYS)[number];

/** Defaults: what an absent input means. `deprecationTime` absent: not deprecated. */
export const LIFECYCLE_DEFAULTS = {
  whenInUse: "fail",
  deregistrationProtection: false,
  disabled: false,
} as const;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** AWS's latest DeprecateAt: 10 years ahead (EnableImageDeprecation; 2 years for public AMIs). */
const MAX_DEPRECATION_AHEAD_MS = 10 * 365 * 86_400_000;

/**
 * Adds a failure for each bad lifecycle input in `n`. A `deprecationTime` that is new or changed
 * against `olds` must lie between `now` and 10 years ahead, as EnableImageDeprecation requires; an
 * unchanged one is not re-judged (a date reached since the last update is simply in effect).
 */
export function checkLifecycle(
  n: Record<string, unknown>,
  failures: Failures,
  olds: Record<string, unknown> = {},
  now: number = Date.now(),
): void {
  const mode = n.whenInUse;
  if (!isAbsent(mode) && !isUnknown(mode) && mode !== "fail" && mode !== "warn") {
    failures.add(
      "whenInUse",
      `must be "fail" or "warn", got ${typeName(mode)} ${show(mode)}; use "fail" (default: a delete stops while something would still launch from the image) or "warn".`,
    );
  }
  optionalBoolean(n, "deregistrationProtection", "", failures);
  optionalBoolean(n, "disabled", "", failures);
  const time = n.deprecationTime;
  if (isAbsent(time) || isUnknown(time)) return;
  if (typeof time !== "string" || !ISO_8601.test(time) || Number.isNaN(Date.parse(time))) {
    failures.add(
      "deprecationTime",
      `must be an ISO 8601 date-time string, got ${typeName(time)} ${show(time)}; use e.g. "2030-01-31T00:00:00Z" (remove it to un-deprecate).`,
    );
    return;
  }
  if (time === olds.deprecationTime) return;
  const at = Date.parse(time);
  if (at <= now) {
    failures.add(
      "deprecationTime",
      `${show(time)} is in the past, and AWS deprecates only at a future time; use a later date-time (e.g. ${show(new Date(now + 86_400_000).toISOString().slice(0, 17) + "00Z")}), or remove it to leave the image not deprecated.`,
    );
  } else if (at - now > MAX_DEPRECATION_AHEAD_MS) {
    failures.add(
      "deprecationTime",
      `${show(time)} is more than 10 years ahead, AWS's limit for a deprecation time; use a date-time within 10 years.`,
    );
  }
}
