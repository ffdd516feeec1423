import type { QueryParams, Tag, TagSpecification } from "../protocol/query";
import { readTagSpecifications } from "../protocol/query";
import { Ec2Error, dryRunOk } from "../protocol/errors";
import type { XmlValue } from "../protocol/xml";
import type { Ec2Store } from "./state";

/** Read-only view of S3 that RegisterImage needs: the caller's bundle manifest, parsed. */
export interface ManifestReader {
  /** "missing" (no such object or not the caller's), "unparsable", or what the manifest says. */
  read(bucket: string, key: string): "missing" | "unparsable" | { architecture?: string };
}

/** Everything an action handler needs: who is calling, where, and the store. */
export interface Ec2Context {
  accountId: string;
  region: string;
  requestId: string;
  store: Ec2Store;
  params: QueryParams;
  manifests?: ManifestReader;
  supportsDeleteAssociatedSnapshots: boolean;
}

export type Ec2Result = { [key: string]: XmlValue };
export type Ec2Handler = (ctx: Ec2Context) => Ec2Result;

/** Throw DryRunOperation when DryRun=true (call after validation: the request would succeed). */
export function checkDryRun(ctx: Ec2Context): void {
  if (ctx.params.bool("DryRun")) throw dryRunOk();
}

/** Validate tags as AWS does: at most 50, key 1–128 chars, value ≤ 256, no `aws:` keys. */
export function validateTags(tags: Tag[]): void {
  if (tags.length > 50)
    throw new Ec2Error("TagLimitExceeded", "The maximum number of tags per resource is 50.");
  for (const t of tags) {
    if (t.key.length < 1 || t.key.length > 128) {
      throw new Ec2Error("InvalidParameterValue", `Tag key '${t.key}' must be between 1 and 128 characters.`);
    }
    if (t.value.length > 256) {
      throw new Ec2Error(
        "InvalidParameterValue",
        `Tag value for key '${t.key}' must be at most 256 characters.`,
      );
    }
    if (t.key.toLowerCase().startsWith("aws:")) {
      throw new Ec2Error(
        "InvalidParameterValue",
        "Tag keys starting with 'aws:' are reserved for internal use",
      );
    }
  }
}

/** Merge `add` into `tags` (same key overwrites). */
export function mergeTags(tags: Tag[], add: Tag[]): Tag[] {
  const out = tags.filter((t) => !add.some((a) => a.key === t.key));
  for (const a of add) out.push({ ...a });
  if (out.length > 50)
    throw new Ec2Error("TagLimitExceeded", "The maximum number of tags per resource is 50.");
  return out;
}

/** TagSpecifications by resource type; any type outside `allowed` is an InvalidParameterValue. */
export function tagSpecs(ctx: Ec2Context, allowed: string[]): Record<string, Tag[]> {
  const out: Record<string, Tag[]> = {};
  const specs: TagSpecification[] = readTagSpecifications(ctx.params);
  for (const s of specs) {
    if (!allowed.includes(s.resourceType)) {
      throw new Ec2Error(
        "InvalidParameterValue",
        `'${s.resourceType}' is not a valid taggable resource type for this operation.`,
      );
    }
    validateTags(s.tags);
    out[s.resourceType] = mergeTags(out[s.resourceType] ?? [], s.tags);
  }
  return out;
}

export const tagSet = (tags: Tag[]): XmlValue =>
  tags.length ? tags.map((t) => ({ key: t.key, value: t.value })) : undefined;

export const iso = (ms: number): string => new Date(ms).toISOString();
