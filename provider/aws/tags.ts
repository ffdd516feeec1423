/**
 * Tags on the AMI and on the snapshots it owns: the tag specification for create calls, the
 * difference between two tag maps, and CreateTags/DeleteTags to apply that difference.
 */
import { randomBytes } from "node:crypto";
import { CreateTagsCommand, DeleteTagsCommand, EC2Client, Tag, TagSpecification } from "@aws-sdk/client-ec2";

type Ec2 = Pick<EC2Client, "send">;

/**
 * The tag a `ManagedAmi` puts on every snapshot it owns: key `managed-ami:image-id`, value the AMI id.
 * `managed-ami audit` reads it to attribute a snapshot whose image is gone.
 */
export const MANAGED_AMI_IMAGE_TAG = "managed-ami:image-id";

/**
 * The tag every create writes through TagSpecifications on the new AMI (and on the snapshots
 * CreateImage/CopyImage make, when this resource will delete them): value = that create's token.
 * After a lost answer, only an image carrying this token is claimed.
 */
export const CREATE_TOKEN_TAG = "managed-ami:create-token";

/** AWS's limit of tags per resource. */
const MAX_TAGS = 50;

/**
 * A fresh token for one create: `mami-` + 32 random hex characters, or with a resource's claim key
 * (stable per stack and resource) `mami-<key>-<24 random hex>`. Fits a 64-character ClientToken.
 */
export function newCreateToken(claimKey?: string): string {
  if (claimKey && /^[0-9a-f]{16}$/.test(claimKey))
    return `mami-${claimKey}-${randomBytes(12).toString("hex")}`;
  return `mami-${randomBytes(16).toString("hex")}`;
}

/** The create-token tag value once the create finished and returned (no longer claimable by its resource). */
export function finishedToken(token: string): string {
  return `${token}.done`;
}

/** The user's tags plus `key=value`, unless the user's tags already fill all 50 places (user tags win). */
export function withBookkeepingTag(
  tags: Record<string, string> | undefined,
  key: string,
  value: string,
): Record<string, string> {
  const user = tags ?? {};
  if (key in user || Object.keys(user).length >= MAX_TAGS) return { ...user };
  return { ...user, [key]: value };
}

/**
 * The tags for the snapshots an image owns: the user's tags plus the ownership tag, which is left
 * out when the user's tags already use all 50 places (user tags win; the audit then falls back to
 * the snapshot's description).
 */
export function ownedSnapshotTags(
  tags: Record<string, string> | undefined,
  imageId: string,
): Record<string, string> {
  return withBookkeepingTag(tags, MANAGED_AMI_IMAGE_TAG, imageId);
}

/** A plain tag map as SDK `Tag`s, in key order; an empty or missing map gives `[]`. */
export function toSdkTags(tags: Record<string, string> | undefined): Tag[] {
  return Object.keys(tags ?? {})
    .sort()
    .map((Key) => ({ Key, Value: (tags as Record<string, string>)[Key] }));
}

/**
 * SDK tags as a plain map, leaving out AWS-reserved `aws:` keys (nobody can set or remove them) and
 * this package's own bookkeeping tags. Returns `undefined` when no user tag is left.
 */
export function fromSdkTags(tags: Tag[] | undefined): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) {
    if (t.Key === undefined || t.Key.startsWith("aws:")) continue;
    if (t.Key === CREATE_TOKEN_TAG || t.Key === MANAGED_AMI_IMAGE_TAG) continue;
    out[t.Key] = t.Value ?? "";
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** TagSpecifications for a create call, one entry per resource type; `undefined` when there are no tags. */
export function tagSpecifications(
  tags: Record<string, string> | undefined,
  resourceTypes: Array<"image" | "snapshot">,
): TagSpecification[] | undefined {
  const sdk = toSdkTags(tags);
  if (sdk.length === 0) return undefined;
  return resourceTypes.map((ResourceType) => ({ ResourceType, Tags: sdk }));
}

/** What to set and what to remove to turn `oldTags` into `newTags`. */
export interface TagChanges {
  /** Keys that are new or whose value changed, with their new value. */
  set: Record<string, string>;
  /** Keys present before and absent now. */
  remove: string[];
}

/** The difference between two tag maps (`undefined` is the empty map). */
export function diffTags(
  oldTags: Record<string, string> | undefined,
  newTags: Record<string, string> | undefined,
): TagChanges {
  const before = oldTags ?? {};
  const after = newTags ?? {};
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(after)) {
    if (before[k] !== v) set[k] = v;
  }
  const remove = Object.keys(before)
    .filter((k) => !(k in after))
    .sort();
  return { set, remove };
}

/** CreateTags of `tags` on every resource in `resourceIds`; no call when either is empty. */
export async function tagResources(
  ec2: Ec2,
  resourceIds: string[],
  tags: Record<string, string> | undefined,
): Promise<void> {
  const sdk = toSdkTags(tags);
  if (resourceIds.length === 0 || sdk.length === 0) return;
  await ec2.send(new CreateTagsCommand({ Resources: resourceIds, Tags: sdk }));
}

/** DeleteTags of the given keys (whatever their value) on every resource; no call when either is empty. */
export async function untagResources(ec2: Ec2, resourceIds: string[], keys: string[]): Promise<void> {
  if (resourceIds.length === 0 || keys.length === 0) return;
  await ec2.send(new DeleteTagsCommand({ Resources: resourceIds, Tags: keys.map((Key) => ({ Key })) }));
}

/**
 * Turns `oldTags` into `newTags` on every resource (the AMI and its owned snapshots): CreateTags for
 * new or changed values, DeleteTags for removed keys. No call when nothing changed.
 */
export async function applyTagChanges(
  ec2: Ec2,
  resourceIds: string[],
  oldTags: Record<string, string> | undefined,
  newTags: Record<string, string> | undefined,
): Promise<TagChanges> {
  const changes = diffTags(oldTags, newTags);
  await tagResources(ec2, resourceIds, changes.set);
  await untagResources(ec2, resourceIds, changes.remove);
  return changes;
}
