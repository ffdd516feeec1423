/**
 * Windows fast launch. AWS does not document what deregistering an image with fast launch enabled
 * does to its pre-provisioned snapshots, so teardown turns it off first (DisableFastLaunch, which
 * also has AWS clean those snapshots up) and waits until it is off before deregistering.
 */
import {
  DescribeFastLaunchImagesCommand,
  DisableFastLaunchCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { isUnknownAction } from "./errors";

type Ec2 = Pick<EC2Client, "send">;

/** The image's fast launch state (`enabling`, `enabled`, `disabling`, …), or undefined when it is off (or unknown to the endpoint). */
export async function fastLaunchState(ec2: Ec2, imageId: string): Promise<string | undefined> {
  try {
    const out = await ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [imageId] }));
    return out.FastLaunchImages?.find((f) => f.ImageId === imageId)?.State;
  } catch (err) {
    if (isUnknownAction(err)) return undefined;
    throw err;
  }
}

/**
 * Turns fast launch off and waits (bounded by `timeoutMs`) until DescribeFastLaunchImages no longer
 * lists it, or lists it in a final state. Returns the last state seen (undefined = off).
 */
export async function disableFastLaunch(
  ec2: Ec2,
  imageId: string,
  clock: { now(): number; sleep(ms: number): Promise<void> },
  timeoutMs: number,
): Promise<string | undefined> {
  await ec2.send(new DisableFastLaunchCommand({ ImageId: imageId }));
  const deadline = clock.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const state = await fastLaunchState(ec2, imageId);
    if (state === undefined || state === "disabling-failed") return state;
    if (clock.now() >= deadline) return state;
    await clock.sleep(Math.min(15_000, 500 * 2 ** Math.min(attempt, 5)));
  }
}
