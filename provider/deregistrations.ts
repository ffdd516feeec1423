/**
 * The images this process is deregistering (all deletes of a `pulumi destroy` run in one
 * dynamic-provider host). A reference query by filter may still list an image another delete has
 * just deregistered; the safety core asks here first, so two images sharing a snapshot that are
 * deleted at once do not each leave it "in use" by the other.
 */
const inFlight = new Map<string, Promise<boolean>>();

/** Runs `deregister` for `imageId`, remembering (for this process) whether it deregistered it. */
export function trackDeregistration(imageId: string, deregister: () => Promise<boolean>): Promise<boolean> {
  const done = deregister();
  inFlight.set(
    imageId,
    done.catch(() => false),
  );
  return done;
}

/** True when this process deregistered `imageId` (waiting for a deregistration still in flight). */
export async function deregisteredHere(imageId: string): Promise<boolean> {
  const pending = inFlight.get(imageId);
  return pending ? pending : false;
}
