import { Ec2Error, invalidValue, missing } from "../protocol/errors";
import { checkDryRun, iso, type Ec2Handler } from "./context";
import { ownImage, visibleImage } from "./images";
import { renderBlockDevice } from "./render";

/** Deregistration protection and image attributes (DescribeImageAttribute / ModifyImageAttribute). */

export const enableImageDeregistrationProtection: Ec2Handler = (ctx) => {
  const img = ownImage(ctx, ctx.params.required("ImageId"));
  const withCooldown = ctx.params.bool("WithCooldown") ?? false;
  checkDryRun(ctx);
  img.protection = { enabled: true, withCooldown };
  return { return: ctx.store.protectionText(img) };
};

/**
 * With cooldown: protection stays in force for protectionCooldownMs after disabling (the state reads
 * "disabled after <time>", whole seconds). Return is the new state text, as the AWS CLI examples show.
 */
export const disableImageDeregistrationProtection: Ec2Handler = (ctx) => {
  const img = ownImage(ctx, ctx.params.required("ImageId"));
  checkDryRun(ctx);
  const p = img.protection;
  if (p.enabled && p.withCooldown) {
    img.protection = {
      enabled: false,
      withCooldown: false,
      disabledUntil: Math.ceil((ctx.store.clock.now() + ctx.store.timing.protectionCooldownMs) / 1000) * 1000,
    };
  } else if (p.enabled) {
    img.protection = { enabled: false, withCooldown: false };
  }
  return { return: ctx.store.protectionText(img) };
};

const ATTRIBUTES = [
  "description",
  "kernel",
  "ramdisk",
  "launchPermission",
  "productCodes",
  "blockDeviceMapping",
  "sriovNetSupport",
  "bootMode",
  "tpmSupport",
  "uefiData",
  "lastLaunchedTime",
  "imdsSupport",
  "deregistrationProtection",
];

export const describeImageAttribute: Ec2Handler = (ctx) => {
  const attribute = ctx.params.required("Attribute");
  if (!ATTRIBUTES.includes(attribute)) {
    throw invalidValue(`Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`);
  }
  const img = visibleImage(ctx, ctx.params.required("ImageId"));
  if (img.ownerId !== ctx.accountId && attribute === "launchPermission") {
    throw new Ec2Error("AuthFailure", `Not authorized for image:${img.imageId}`, 400);
  }
  checkDryRun(ctx);
  const out: Record<string, unknown> = { imageId: img.imageId };
  switch (attribute) {
    case "description":
      out.description = { value: img.description };
      break;
    case "bootMode":
      out.bootMode = img.bootMode ? { value: img.bootMode } : {};
      break;
    case "deregistrationProtection":
      out.deregistrationProtection = { value: ctx.store.protectionText(img) };
      break;
    case "blockDeviceMapping":
      out.blockDeviceMapping = img.blockDeviceMappings.map(renderBlockDevice);
      break;
    case "launchPermission":
      out.launchPermission = [
        ...(img.isPublic ? [{ group: "all" }] : []),
        ...[...img.launchPermissions].map((userId) => ({ userId })),
      ];
      break;
    case "productCodes":
      out.productCodes = [];
      break;
    case "lastLaunchedTime":
      out.lastLaunchedTime = img.lastLaunchedTime !== undefined ? { value: iso(img.lastLaunchedTime) } : {};
      break;
    default:
      out[attribute] = {};
  }
  return out as ReturnType<Ec2Handler>;
};

/** Description (Description.Value or Attribute=description&Value=…) and launch permissions. */
export const modifyImageAttribute: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const img = ownImage(ctx, p.required("ImageId"));
  const attribute = p.str("Attribute");
  let description: string | undefined = p.str("Description.Value");
  const add: { userId?: string; group?: string }[] = [];
  const remove: { userId?: string; group?: string }[] = [];
  for (const s of p.structs("LaunchPermission.Add"))
    add.push({ userId: s.str("UserId"), group: s.str("Group") });
  for (const s of p.structs("LaunchPermission.Remove"))
    remove.push({ userId: s.str("UserId"), group: s.str("Group") });
  if (attribute === "description") description = p.str("Value") ?? description;
  if (attribute === "launchPermission") {
    const op = p.str("OperationType");
    if (op !== "add" && op !== "remove") throw missing("OperationType");
    const target = op === "add" ? add : remove;
    for (const u of p.list("UserId")) target.push({ userId: u });
    for (const g of p.list("UserGroup")) target.push({ group: g });
  } else if (attribute !== undefined && attribute !== "description") {
    throw invalidValue(
      `local-aws: ModifyImageAttribute supports description and launchPermission, not '${attribute}'.`,
    );
  }
  if (description === undefined && add.length === 0 && remove.length === 0) {
    throw missing("Description, LaunchPermission or Attribute");
  }
  for (const perm of [...add, ...remove]) {
    if (perm.group !== undefined && perm.group !== "all")
      throw invalidValue(`Invalid launch permission group '${perm.group}'.`);
    if (perm.userId !== undefined && !/^\d{12}$/.test(perm.userId)) {
      throw new Ec2Error(
        "InvalidAMIAttributeItemValue",
        `Invalid attribute item value "${perm.userId}" for userId item type.`,
      );
    }
  }
  checkDryRun(ctx);
  if (description !== undefined) img.description = description;
  for (const perm of add) {
    if (perm.group === "all") img.isPublic = true;
    if (perm.userId) img.launchPermissions.add(perm.userId);
  }
  for (const perm of remove) {
    if (perm.group === "all") img.isPublic = false;
    if (perm.userId) img.launchPermissions.delete(perm.userId);
  }
  return { return: true };
};
