import { Ec2Error, invalidValue, missing } from "../protocol/errors";
import { checkDryRun, type Ec2Context, type Ec2Handler } from "./context";
import { visibleImage } from "./images";
import type { ImageRecord } from "./state";

/**
 * AMI lifecycle: DisableImage / EnableImage and Enable/DisableImageDeprecation (aws-facts §6).
 * Only the owner may call them; a deregistered image is InvalidAMIID.Unavailable.
 */

const TEN_YEARS_MS = 10 * 365.25 * 86400000;

function ownerImage(ctx: Ec2Context): ImageRecord {
  const id = ctx.params.required("ImageId");
  const img = visibleImage(ctx, id);
  if (img.ownerId !== ctx.accountId) throw new Ec2Error("AuthFailure", `Not authorized for image:${id}`, 400);
  if (img.state === "deregistered") {
    throw new Ec2Error("InvalidAMIID.Unavailable", `The image ID '${id}' is no longer available`);
  }
  return img;
}

/** Disabling makes the image private, removes its launch permissions and sets State=disabled. */
export const disableImage: Ec2Handler = (ctx) => {
  const img = ownerImage(ctx);
  if (img.state !== "available" && img.state !== "disabled") {
    throw new Ec2Error(
      "IncorrectState",
      `The image ${img.imageId} is in state ${img.state}; only an available image can be disabled.`,
    );
  }
  checkDryRun(ctx);
  img.state = "disabled";
  img.isPublic = false;
  img.launchPermissions.clear();
  return { return: true };
};

/** Re-enabling makes the image available again; its former sharing is not restored. */
export const enableImage: Ec2Handler = (ctx) => {
  const img = ownerImage(ctx);
  if (img.state !== "disabled" && img.state !== "available") {
    throw new Ec2Error(
      "IncorrectState",
      `The image ${img.imageId} is in state ${img.state}; only a disabled image can be enabled.`,
    );
  }
  const archived = img.blockDeviceMappings.find(
    (b) => b.snapshotId !== undefined && ctx.store.snapshots.get(b.snapshotId)?.storageTier === "archive",
  );
  if (archived) {
    throw new Ec2Error(
      "IncorrectState",
      `The image ${img.imageId} uses the archived snapshot ${archived.snapshotId}; restore it before enabling the image.`,
    );
  }
  checkDryRun(ctx);
  img.state = "available";
  return { return: true };
};

/** DeprecateAt is rounded to the nearest minute; past dates and dates > 10 years ahead are refused. */
export const enableImageDeprecation: Ec2Handler = (ctx) => {
  const img = ownerImage(ctx);
  const text = ctx.params.str("DeprecateAt");
  if (text === undefined || text === "") throw missing("DeprecateAt");
  const at = Date.parse(text);
  if (!Number.isFinite(at))
    throw invalidValue(`Invalid value '${text}' for DeprecateAt. Expected a timestamp.`);
  const rounded = Math.round(at / 60000) * 60000;
  const now = ctx.store.clock.now();
  if (rounded <= now) {
    throw invalidValue(`The deprecation time ${text} is in the past. Specify a future date and time.`);
  }
  if (rounded > now + TEN_YEARS_MS) {
    throw invalidValue(`The deprecation time ${text} is more than 10 years in the future.`);
  }
  checkDryRun(ctx);
  img.deprecationTime = rounded;
  return { return: true };
};

export const disableImageDeprecation: Ec2Handler = (ctx) => {
  const img = ownerImage(ctx);
  checkDryRun(ctx);
  img.deprecationTime = undefined;
  return { return: true };
};
