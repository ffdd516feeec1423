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

/** Adds a failure for each bad lifecycle input in `n`. */
export function checkLifecycle(n: Record<string, unknown>, failures: Failures): void {
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
  }
}
