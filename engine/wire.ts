/**
 * Property encoding between "the program" and the dynamic-provider host, as the Pulumi engine does it.
 * The host's Configure answers `acceptSecrets: false`, so the engine strips secret markers before
 * every provider call; unknowns (preview only) travel as the engine's unknown sentinel string.
 */
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/** Plain JSON-like property bag, as it crosses the wire. */
export type PropertyMap = Record<string, unknown>;

/** The engine's wire value for "not known until apply" (`rpc.unknownValue`). */
export const UNKNOWN: string = pulumi.runtime.unknownValue;

/** Strips secret markers from an already-serialized (or mock-deserialized) property bag. */
export function stripSecrets(props: PropertyMap): PropertyMap {
  return stripUndefined(unwrapDeep(props) as PropertyMap);
}

/** True if any value in the bag is the engine's unknown sentinel. */
export function containsUnknowns(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknowns);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknowns);
  return false;
}

function unwrapDeep(value: unknown): unknown {
  const v: unknown = pulumi.runtime.unwrapRpcSecret(value);
  if (Array.isArray(v)) return v.map(unwrapDeep);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapDeep(x)]));
  }
  return v;
}

/** Property bag → protobuf Struct (what the engine puts in a request). */
export function toStruct(props: PropertyMap): Struct {
  return Struct.fromJavaScript(stripUndefined(props) as Parameters<typeof Struct.fromJavaScript>[0]);
}

/** protobuf Struct → property bag (what the engine reads from a response). */
export function fromStruct(struct: Struct | undefined): PropertyMap {
  return struct ? (struct.toJavaScript() as PropertyMap) : {};
}

/** The engine drops `undefined` (protobuf has no such value); a JSON round trip does the same. */
function stripUndefined(props: PropertyMap): PropertyMap {
  return JSON.parse(JSON.stringify(props ?? {})) as PropertyMap;
}
