/**
 * Windows fast launch, read and turned off before deregistering (spec v2): AWS does not document what
 * DeregisterImage does to an image with fast launch on. Its pre-provisioned snapshots are AWS's to clean up.
 */
import {
  DescribeFastLaunchImagesCommand,
  DisableFastLaunchCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { isFastLaunchNotEnabled, isNotFoundImage, isUnsupportedAction } from "./errors";

type Ec2 = Pick<EC2Client, "send">;

/** The image's fast launch state (`enabling`, `enabled`, `disabling`, `*-failed`), or undefined when off or unknown. */
export async function fastLaunchState(ec2: Ec2, imageId: string): Promise<string | undefined> {
  try {
    const out = await ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [imageId] }));
    return out.FastLaunchImages?.find((f) => f.ImageId === imageId)?.State;
  } catch (err) {
    if (isUnsupportedAction(err) || isNotFoundImage(err)) return undefined;
    throw err;
  }
}

/** Fast launch is on or on its way on (`disabling` is on its way off; wait for it instead). */
export function fastLaunchIsOn(state: string | undefined): boolean {
  return state !== undefined && state !== "disabling" && state !== "disabling-failed";
}

/** DisableFastLaunch; false when the image has no fast launch (any more). */
export async function disableFastLaunch(ec2: Ec2, imageId: string): Promise<boolean> {
  try {
    await ec2.send(new DisableFastLaunchCommand({ ImageId: imageId }));
    return true;
  } catch (err) {
    if (isFastLaunchNotEnabled(err) || isNotFoundImage(err)) return false;
    throw err;
  }
}
