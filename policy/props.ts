// Safe reading of resource properties for policies: no AWS SDK, no network, never throws on preview unknowns.
import { PolicyResource, UnknownValueError } from "@pulumi/policy";

/** Resource type tokens the pack looks at. ManagedAmi's token is fixed by the spec (module "managed-ami"). */
export const TYPES = {
  managedAmi: "pulumi-nodejs:dynamic/managed-ami:ManagedAmi",
  ami: "aws:ec2/ami:Ami",
  amiCopy: "aws:ec2/amiCopy:AmiCopy",
  amiFromInstance: "aws:ec2/amiFromInstance:AmiFromInstance",
  amiLaunchPermission: "aws:ec2/amiLaunchPermission:AmiLaunchPermission",
  snapshot: "aws:ebs/snapshot:Snapshot",
  snapshotCopy: "aws:ebs/snapshotCopy:SnapshotCopy",
  snapshotImport: "aws:ebs/snapshotImport:SnapshotImport",
} as const;

/** Every type that registers an AMI. */
export const AMI_TYPES: readonly string[] = [
  TYPES.ami,
  TYPES.amiCopy,
  TYPES.amiFromInstance,
  TYPES.managedAmi,
];

/** Every @pulumi/aws type whose destroy deletes an EBS snapshot it created. */
export const SNAPSHOT_TYPES: readonly string[] = [TYPES.snapshot, TYPES.snapshotCopy, TYPES.snapshotImport];

/** A value that is not known until the update runs (`pulumi preview` of a new or changed resource). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/** The engine's wire sentinel for an unknown value (same as `pulumi.runtime.unknownValue`). */
const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The subset of validation args every policy here needs; both resource and stack args satisfy it. */
export type Subject = Pick<PolicyResource, "type" | "props" | "urn" | "name" | "opts">;

function isUnknownError(err: unknown): boolean {
  return (
    err instanceof UnknownValueError || (err instanceof Error && err.constructor.name === "UnknownValueError")
  );
}

/** Reads `obj[path[0]][path[1]]…`; undefined when absent, UNKNOWN when any step is not known yet. */
export function read(obj: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = obj;
  for (const key of path) {
    if (current === UNKNOWN || current === UNKNOWN_SENTINEL) return UNKNOWN;
    if (current === null || typeof current !== "object") return undefined;
    try {
      current = (current as Record<string | number, unknown>)[key];
    } catch (err) {
      if (isUnknownError(err)) return UNKNOWN;
      throw err;
    }
  }
  return current === UNKNOWN_SENTINEL ? UNKNOWN : current;
}

/** A string, UNKNOWN, or undefined (absent or not a string). */
export function readString(obj: unknown, ...path: (string | number)[]): string | Unknown | undefined {
  const v = read(obj, ...path);
  return typeof v === "string" || v === UNKNOWN ? v : undefined;
}

/** A boolean (the strings "true"/"false" are accepted, as config often arrives as text), UNKNOWN, or undefined. */
export function readBoolean(obj: unknown, ...path: (string | number)[]): boolean | Unknown | undefined {
  const v = read(obj, ...path);
  if (v === "true") return true;
  if (v === "false") return false;
  return typeof v === "boolean" || v === UNKNOWN ? v : undefined;
}

/** The elements of an array (each possibly UNKNOWN), UNKNOWN when the array itself is unknown, else undefined. */
export function readArray(obj: unknown, ...path: (string | number)[]): unknown[] | Unknown | undefined {
  const v = read(obj, ...path);
  if (v === UNKNOWN) return UNKNOWN;
  if (!Array.isArray(v)) return undefined;
  let length: number;
  try {
    length = v.length;
  } catch (err) {
    if (isUnknownError(err)) return UNKNOWN;
    throw err;
  }
  const out: unknown[] = [];
  for (let i = 0; i < length; i++) out.push(read(v, i));
  return out;
}

/** The keys of a map property (e.g. `tags`), UNKNOWN when the map is unknown, undefined when absent. */
export function readKeys(obj: unknown, ...path: (string | number)[]): string[] | Unknown | undefined {
  const v = read(obj, ...path);
  if (v === UNKNOWN) return UNKNOWN;
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  return Object.keys(v);
}

/** `ManagedAmi "web"`, `aws.ec2.Ami "web"`: how messages name a resource. */
export function describe(subject: Pick<Subject, "type" | "name">): string {
  return `${friendlyType(subject.type)} "${subject.name}"`;
}

/** `aws:ec2/amiCopy:AmiCopy` -> `aws.ec2.AmiCopy`; the ManagedAmi token -> `ManagedAmi`. */
export function friendlyType(type: string): string {
  if (type === TYPES.managedAmi) return "ManagedAmi";
  const m = /^([^:]+):([^/:]+)\/[^:]*:(.+)$/.exec(type);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : type;
}

/** The stack name inside a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`), or undefined. */
export function stackOf(urn: string): string | undefined {
  const m = /^urn:pulumi:([^:]+)::/.exec(urn);
  return m ? m[1] : undefined;
}

/** Config shared by every policy: `ignoreResources` lists logical names or URNs the policy skips. */
export interface CommonConfig {
  ignoreResources: string[];
}

export const ignoreResourcesSchema = {
  type: "array",
  items: { type: "string" },
  default: [] as string[],
  description: "Logical resource names or full URNs this policy skips (deliberate exceptions).",
} as const;

/** The policy's config with defaults filled in (the CLI fills schema defaults; direct callers may not). */
export function configOf<T extends object>(args: { getConfig<C extends object>(): C }, defaults: T): T {
  const given = (args.getConfig<Partial<T>>() ?? {}) as Partial<T>;
  const out = { ...defaults };
  for (const key of Object.keys(given) as (keyof T)[]) {
    if (given[key] !== undefined && given[key] !== null) out[key] = given[key] as T[keyof T];
  }
  return out;
}

/** True when the resource is listed (by logical name or URN) in the policy's `ignoreResources`. */
export function isIgnored(config: Partial<CommonConfig>, subject: Pick<Subject, "name" | "urn">): boolean {
  const list = Array.isArray(config.ignoreResources) ? config.ignoreResources : [];
  return list.includes(subject.name) || list.includes(subject.urn);
}
