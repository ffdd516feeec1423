/**
 * Unknown values at preview. The dynamic-provider host hands `check`/`diff` the raw protobuf Struct
 * as plain JS, so an input that is not known yet arrives as this sentinel string, at any depth
 * (`@pulumi/pulumi/runtime/rpc.js` `unknownValue`; a test pins the two together).
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `v` is the preview placeholder of a value not known yet. */
export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** True when `v` is, or contains at any depth, an unknown value. */
export function containsUnknown(v: unknown): boolean {
  if (isUnknown(v)) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v !== null && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** Absent: `undefined` or `null` (the engine sends JSON, where a removed value may be `null`). */
export function isAbsent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}
