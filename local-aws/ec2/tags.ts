import { Ec2Error } from "../protocol/errors";
import { readTags, type Tag } from "../protocol/query";
import { checkDryRun, mergeTags, validateTags, type Ec2Context, type Ec2Handler } from "./context";
import { checkId } from "./ids";
import { ownImage } from "./images";
import { ownSnapshot } from "./snapshots";

/** CreateTags / DeleteTags on images, snapshots, instances, volumes and launch templates. */

function taggable(ctx: Ec2Context, id: string): { tags: Tag[] } {
  if (id.startsWith("ami-")) return ownImage(ctx, id);
  if (id.startsWith("snap-")) return ownSnapshot(ctx, id);
  if (id.startsWith("i-")) {
    const i = ctx.store.instances.get(id);
    if (!i || i.region !== ctx.region || i.ownerId !== ctx.accountId) {
      throw new Ec2Error("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
    }
    return i;
  }
  if (id.startsWith("vol-")) {
    const v = ctx.store.volumes.get(id);
    if (!v || v.region !== ctx.region || v.ownerId !== ctx.accountId) {
      throw new Ec2Error("InvalidVolume.NotFound", `The volume '${id}' does not exist.`);
    }
    return v;
  }
  if (id.startsWith("lt-")) {
    checkId("lt", id);
    const t = ctx.store.launchTemplates.get(id);
    if (!t || t.region !== ctx.region || t.ownerId !== ctx.accountId) {
      throw new Ec2Error(
        "InvalidLaunchTemplateId.NotFound",
        `The specified launch template, with template ID ${id}, does not exist.`,
      );
    }
    return t;
  }
  throw new Ec2Error("InvalidID", `The ID '${id}' is not valid`);
}

export const createTags: Ec2Handler = (ctx) => {
  const ids = ctx.params.list("ResourceId");
  if (!ids.length)
    throw new Ec2Error("MissingParameter", "The request must contain the parameter resourceIdSet");
  const tags = readTags(ctx.params);
  if (!tags.length) throw new Ec2Error("MissingParameter", "The request must contain the parameter tagSet");
  validateTags(tags);
  const targets = ids.map((id) => taggable(ctx, id));
  for (const t of targets) mergeTags(t.tags, tags);
  checkDryRun(ctx);
  for (const t of targets) t.tags = mergeTags(t.tags, tags);
  return { return: true };
};

export const deleteTags: Ec2Handler = (ctx) => {
  const ids = ctx.params.list("ResourceId");
  if (!ids.length)
    throw new Ec2Error("MissingParameter", "The request must contain the parameter resourceIdSet");
  const keys = ctx.params.structs("Tag").map((t) => ({ key: t.str("Key") ?? "", value: t.str("Value") }));
  const targets = ids.map((id) => taggable(ctx, id));
  checkDryRun(ctx);
  for (const t of targets) {
    t.tags = keys.length
      ? t.tags.filter(
          (tag) => !keys.some((k) => k.key === tag.key && (k.value === undefined || k.value === tag.value)),
        )
      : [];
  }
  return { return: true };
};
