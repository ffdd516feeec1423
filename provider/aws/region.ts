/**
 * The region a resource lives in: the `region` input when set, otherwise the AWS SDK's own
 * resolution (`AWS_REGION`, then the profile's `region`).
 */
import { EC2Client } from "@aws-sdk/client-ec2";

/** The explicit region, or the SDK's default one; a clear error when neither is configured. */
export async function resolveRegion(explicit: string | undefined): Promise<string> {
  if (explicit) return explicit;
  // A client built only to run the SDK's region provider chain; it never sends a request.
  const client = new EC2Client({});
  try {
    const region = await client.config.region();
    if (region) return region;
  } catch {
    // fall through to the error below
  } finally {
    client.destroy();
  }
  throw new Error(
    "ManagedAmi: no AWS region: the region input is unset and the AWS SDK found none. Set the region input, AWS_REGION, or a region in your AWS profile.",
  );
}
