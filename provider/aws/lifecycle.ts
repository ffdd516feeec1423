/**
 * The image's lifecycle settings: deregistration protection (without cooldown), deprecation time and
 * disabled state. `readLifecycle` reads them from DescribeImages; `applyLifecycle` changes only what differs.
 */
import {
  DisableImageCommand,
  DisableImageDeprecationCommand,
  DisableImageDeregistrationProtectionCommand,
  EnableImageCommand,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  type Image,
} from "@aws-sdk/client-ec2";
import { describeImage, protectionState, type Ec2 } from "./images";

/** Lifecycle settings as inputs name them; `deprecationTime` undefined means "not deprecated". */
export interface Lifecycle {
  deregistrationProtection: boolean;
  deprecationTime?: string;
  disabled: boolean;
}

/** The settings of `image` as AWS reports them (protection in cooldown counts as on). */
export function readLifecycle(image: Image): Lifecycle {
  return {
    deregistrationProtection: protectionState(image.DeregistrationProtection).kind !== "off",
    deprecationTime: image.DeprecationTime || undefined,
    disabled: image.State === "disabled",
  };
}

/** Deprecation times compare to the minute (AWS rounds DeprecateAt to the nearest minute). */
export function sameDeprecationTime(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isNaN(ta) || Number.isNaN(tb)) return a === b;
  return Math.round(ta / 60_000) === Math.round(tb / 60_000);
}

/**
 * Moves the image from `current` to `desired`, one call per changed setting. Enabling the image comes
 * first and disabling it last, so the other changes are made while AWS still accepts them.
 */
export async function applyLifecycle(
  ec2: Ec2,
  imageId: string,
  current: Lifecycle,
  desired: Lifecycle,
): Promise<string[]> {
  const calls: string[] = [];
  if (current.disabled && !desired.disabled) {
    await ec2.send(new EnableImageCommand({ ImageId: imageId }));
    calls.push("EnableImage");
  }
  if (desired.deregistrationProtection !== current.deregistrationProtection) {
    if (desired.deregistrationProtection) {
      await ec2.send(
        new EnableImageDeregistrationProtectionCommand({ ImageId: imageId, WithCooldown: false }),
      );
      calls.push("EnableImageDeregistrationProtection");
    } else {
      await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
      calls.push("DisableImageDeregistrationProtection");
    }
  }
  if (!sameDeprecationTime(current.deprecationTime, desired.deprecationTime)) {
    if (desired.deprecationTime !== undefined) {
      await ec2.send(
        new EnableImageDeprecationCommand({
          ImageId: imageId,
          DeprecateAt: new Date(desired.deprecationTime),
        }),
      );
      calls.push("EnableImageDeprecation");
    } else {
      await ec2.send(new DisableImageDeprecationCommand({ ImageId: imageId }));
      calls.push("DisableImageDeprecation");
    }
  }
  if (!current.disabled && desired.disabled) {
    await ec2.send(new DisableImageCommand({ ImageId: imageId }));
    calls.push("DisableImage");
  }
  return calls;
}

/** The lifecycle the inputs declare: absent booleans are false, an absent time is "not deprecated". */
export function desiredLifecycle(inputs: {
  deregistrationProtection?: boolean;
  deprecationTime?: string;
  disabled?: boolean;
}): Lifecycle {
  return {
    deregistrationProtection: inputs.deregistrationProtection === true,
    deprecationTime: inputs.deprecationTime || undefined,
    disabled: inputs.disabled === true,
  };
}

/**
 * Brings the image to the declared lifecycle and returns it as AWS reports it afterwards (read again
 * only when a call was made). `image`: a DescribeImages answer already at hand, else it is read.
 */
export async function syncLifecycle(
  ec2: Ec2,
  imageId: string,
  desired: Lifecycle,
  image?: Image,
): Promise<Lifecycle> {
  const current = image ?? (await describeImage(ec2, imageId));
  if (!current) throw new Error(`image ${imageId} was not found while setting its lifecycle`);
  const calls = await applyLifecycle(ec2, imageId, readLifecycle(current), desired);
  if (calls.length === 0) return readLifecycle(current);
  const after = await describeImage(ec2, imageId);
  return after ? readLifecycle(after) : desired;
}

/** `outs` with the lifecycle its inputs declare applied to the image and read back into it. */
export async function withLifecycle<
  T extends {
    imageId: string;
    deregistrationProtection?: boolean;
    deprecationTime?: string;
    disabled?: boolean;
  },
>(ec2: Ec2, outs: T, image?: Image): Promise<T> {
  const actual = await syncLifecycle(ec2, outs.imageId, desiredLifecycle(outs), image);
  const merged: T = {
    ...outs,
    deregistrationProtection: actual.deregistrationProtection,
    disabled: actual.disabled,
  };
  if (actual.deprecationTime !== undefined) merged.deprecationTime = actual.deprecationTime;
  else delete merged.deprecationTime;
  return merged;
}
