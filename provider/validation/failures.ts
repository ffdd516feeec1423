/**
 * Collecting check failures: each names the property by its path (`fromSnapshots.blockDeviceMappings[1].snapshotId`,
 * `tags["aws:x"]`) and a reason that says what is wrong and how to fix it.
 */
import type { CheckFailure } from "@pulumi/pulumi/dynamic";

/** The failures found so far, in the order the properties were visited. */
export class Failures {
  readonly list: CheckFailure[] = [];

  /**
   * Records one failure: `reason` states the problem, then the fix. A reason starting in lowercase
   * ("is required: …") is prefixed with the property, so it also reads well on its own.
   */
  add(property: string, reason: string): void {
    this.list.push({
      property,
      reason: property !== "" && /^[a-z]/.test(reason) ? `${property} ${reason}` : reason,
    });
  }
}

/** `parent.key` for identifier-like keys, `parent["key"]` otherwise; `key` alone at the top. */
export function child(parent: string, key: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return parent === "" ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** `parent[i]`. */
export function item(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** A value as it appears in a message: strings quoted, long values cut. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : v === undefined ? "undefined" : JSON.stringify(v);
  } catch {
    s = String(v);
  }
  if (s === undefined) s = String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** A type name as users see it: `array`, `null`, `string`, … */
export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
