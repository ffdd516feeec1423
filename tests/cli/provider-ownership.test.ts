// End to end: a ManagedAmi made from a user's own snapshot (free-text description, so only the
// ownership tag can attribute it) whose image is then deregistered out of band is an orphan the
// audit finds — and only because the provider tagged it.
import assert from "node:assert/strict";
import { DeregisterImageCommand } from "@aws-sdk/client-ec2";
import { TEST_REGION, ec2For, withLocalAws } from "../support/localAws";
import { createManagedAmi, defaultDeps } from "../../provider/create";
import { defaultClients } from "../../cli/audit/run";
import { scan } from "../../cli/audit/scan";
import { manualSnapshot } from "./seed";

describe("audit finds what a ManagedAmi owned (provider ownership tag)", () => {
  const ctx = withLocalAws();

  it("lists a ManagedAmi's snapshot with a free-text description once its image is gone", async () => {
    const ec2 = ec2For(ctx.aws);
    const snapshotId = await manualSnapshot(ctx.aws, ec2, "nightly root volume backup");
    const created = createManagedAmi(
      {
        name: "owned-by-tag",
        region: TEST_REGION,
        fromSnapshots: {
          rootDeviceName: "/dev/xvda",
          blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId }],
        },
      },
      // The wait for `available` runs on the endpoint's simulated clock.
      {
        ...defaultDeps(),
        wait: { clock: { now: () => ctx.aws.clock.now(), sleep: async (ms) => ctx.aws.advance(ms) } },
      },
    );
    const { id } = await created;

    const before = await scan({ regions: [TEST_REGION], clients: defaultClients() });
    assert.deepEqual(before.orphanedSnapshots, [], "a live ManagedAmi's snapshot is not an orphan");

    await ec2.send(new DeregisterImageCommand({ ImageId: id }));
    const after = await scan({ regions: [TEST_REGION], clients: defaultClients() });
    assert.deepEqual(
      after.orphanedSnapshots.map(({ snapshotId: s, reason, imageId }) => ({
        snapshotId: s,
        reason,
        imageId,
      })),
      [{ snapshotId, reason: "managed-ami-image-gone", imageId: id }],
    );
  });
});
