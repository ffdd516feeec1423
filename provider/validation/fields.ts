/**
 * Field-level checks shared by the source validators: objects with a fixed set of keys (a typo such as
 * `snapshotID` is named with the known keys), required ids, booleans, enums and integers.
 */
import { child, Failures, show, typeName } from "./failures";
import { idProblem, IdKind } from "./ids";
import { isAbsent, isUnknown } from "./unknown";

/** The closest known key to a mistyped one (same letters in another case, or at most 2 edits away). */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = up;
    }
  }
  return row[b.length];
}

/**
 * `v` as a plain object when it is one (with a failure for each key not in `known`); `undefined`
 * when it is unknown (preview) or not an object (then with a failure naming what it should be).
 */
export function objectWithKeys(
  v: unknown,
  path: string,
  known: readonly string[],
  failures: Failures,
  what: string,
): Record<string, unknown> | undefined {
  if (isUnknown(v)) return undefined;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    failures.add(
      path,
      `must be an object (${what}), got ${typeName(v)} ${show(v)}; write it as { ${known[0]}: ... }.`,
    );
    return undefined;
  }
  const obj = v as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (known.includes(key) || isAbsent(obj[key])) continue;
    const guess = closestKey(key, known);
    const hint = guess ? `did you mean "${guess}"? ` : "";
    failures.add(
      child(path, key),
      `is not a property of ${path}; ${hint}Remove it or use one of: ${known.join(", ")}.`,
    );
  }
  return obj;
}

/** A required id field: a failure when absent or malformed; unknown passes. */
export function requireId(
  obj: Record<string, unknown>,
  key: string,
  kind: IdKind,
  path: string,
  failures: Failures,
): void {
  const v = obj[key];
  const at = child(path, key);
  if (isUnknown(v)) return;
  if (isAbsent(v)) {
    failures.add(
      at,
      `is required: set it to ${kind === "image" ? "an AMI" : `a ${kind}`} id such as ${exampleId(kind)}.`,
    );
    return;
  }
  const problem = idProblem(kind, v);
  if (problem) failures.add(at, problem);
}

function exampleId(kind: IdKind): string {
  return {
    image: "ami-0123456789abcdef0",
    snapshot: "snap-0123456789abcdef0",
    instance: "i-0123456789abcdef0",
  }[kind];
}

/** An optional boolean field: absent and unknown pass; `"true"` is refused with the fix. */
export function optionalBoolean(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  failures: Failures,
): void {
  const v = obj[key];
  if (isAbsent(v) || isUnknown(v) || typeof v === "boolean") return;
  const fix = v === "true" || v === "false" ? `use ${v} without quotes` : "use true or false";
  failures.add(child(path, key), `must be a boolean, got ${typeName(v)} ${show(v)}; ${fix}.`);
}

/** An optional field restricted to `allowed` (case-sensitive, as AWS is); absent and unknown pass. */
export function optionalEnum(
  obj: Record<string, unknown>,
  key: string,
  allowed: readonly string[],
  path: string,
  failures: Failures,
): void {
  const v = obj[key];
  if (isAbsent(v) || isUnknown(v) || (typeof v === "string" && allowed.includes(v))) return;
  const near =
    typeof v === "string"
      ? (allowed.find((a) => a.toLowerCase() === v.toLowerCase().replace(/-/g, "_")) ??
        allowed.find((a) => a.toLowerCase() === v.toLowerCase()))
      : undefined;
  const hint = near ? `use ${show(near)}` : `use one of ${allowed.join(", ")}`;
  failures.add(child(path, key), `${show(v)} is not accepted by AWS; ${hint}.`);
}

/** An optional whole number in [min, max]; absent and unknown pass. */
export function optionalInteger(
  obj: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
  unit: string,
  path: string,
  failures: Failures,
): void {
  const v = obj[key];
  if (isAbsent(v) || isUnknown(v)) return;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    const fix =
      typeof v === "string" && /^\d+$/.test(v)
        ? `write ${v} without quotes`
        : `use a whole number of ${unit} from ${min} to ${max}`;
    failures.add(
      child(path, key),
      `must be a whole number of ${unit} from ${min} to ${max}, got ${typeName(v)} ${show(v)}; ${fix}.`,
    );
  }
}

/** A required non-empty string without whitespace (device names); absent fails, unknown passes. */
export function requireToken(
  obj: Record<string, unknown>,
  key: string,
  example: string,
  path: string,
  failures: Failures,
): void {
  const v = obj[key];
  const at = child(path, key);
  if (isUnknown(v)) return;
  if (isAbsent(v)) failures.add(at, `is required: set it, e.g. ${show(example)}.`);
  else if (typeof v !== "string" || v.length === 0 || /\s/.test(v)) {
    failures.add(
      at,
      `must be a device name without spaces, e.g. ${show(example)}; got ${typeName(v)} ${show(v)}.`,
    );
  }
}
