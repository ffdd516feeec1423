// Invariant (issue 10): a create that is throttled or loses answers, followed directly by destroy of
// whatever the engine recorded (its outputs, or the partial record its error carried), orphans
// nothing it made: every image it registered is deregistered and every snapshot made for it deleted.
import assert from "node:assert/strict";
import fc from "fast-check";
import { createManagedAmi, ManagedAmiPartialError } from "../../provider/create";
import { teardown } from "../../provider/teardown";
import type { ManagedAmiInputs, ManagedAmiOutputs } from "../../provider/types";
import { launchInstance, REGION, useLocalAws } from "../provider/support";

/** What can go wrong while creating: AWS's answers, for a number of calls or for good. */
const faultArb = fc.record({
  action: fc.constantFrom("DescribeImages", "CreateImage", "CreateTags", "DescribeSnapshots"),
  kind: fc.constantFrom("throttled", "lost-answer"),
  times: fc.constantFrom(1, 3, Infinity),
});

describe("invariant: a throttled or interrupted create, then destroy, orphans nothing", function () {
  this.timeout(180_000);
  const env = useLocalAws();
  beforeEach(() => env.aws.reset());

  it("holds for generated faults during fromInstance creates", async () => {
    let partials = 0;
    const property = fc.asyncProperty(faultArb, fc.nat(1000), async (fault, n) => {
      env.aws.reset();
      const saved = process.env.MANAGED_AMI_RETRY_BUDGET_MS;
      process.env.MANAGED_AMI_RETRY_BUDGET_MS = "150";
      const instanceId = await launchInstance(env);
      const inputs: ManagedAmiInputs = { name: `ctd-${n}`, fromInstance: { instanceId } };
      env.aws.faults.inject(
        fault.kind === "throttled"
          ? { action: fault.action, code: "RequestLimitExceeded", status: 503, times: fault.times }
          : { action: fault.action, loseAnswer: true, times: fault.times === Infinity ? 2 : fault.times },
      );
      let recorded: ManagedAmiOutputs | undefined;
      try {
        recorded = (await createManagedAmi(inputs, env.deps())).outs;
      } catch (err) {
        // The engine keeps a partial resource only when the error carries its id.
        if (err instanceof ManagedAmiPartialError) {
          partials++;
          recorded = err.properties as unknown as ManagedAmiOutputs;
        }
      } finally {
        env.aws.faults.clear();
        process.env.MANAGED_AMI_RETRY_BUDGET_MS = saved;
      }
      env.aws.advance(env.aws.timing.imageAvailableAfterMs);
      if (recorded) await teardown(recorded, { ec2: env.ec2(REGION), log: { warn: () => {} } });

      const made = [...env.aws.state.images.values()].filter((i) => i.sourceInstanceId === instanceId);
      // A create whose error carried no id left nothing the engine could know about: it must have made nothing.
      if (!recorded)
        assert.deepEqual(
          made.map((i) => i.imageId),
          [],
          `a failed create left an unrecorded image (${JSON.stringify(fault)})`,
        );
      for (const image of made) {
        assert.equal(
          image.state,
          "deregistered",
          `${image.imageId} still registered after destroy (${JSON.stringify(fault)})`,
        );
        const left = [...env.aws.state.snapshots.values()].filter((s) =>
          s.description.includes(`for ${image.imageId}`),
        );
        assert.deepEqual(
          left.map((s) => s.snapshotId),
          [],
          `snapshots of ${image.imageId} orphaned (${JSON.stringify(fault)})`,
        );
      }
    });
    await fc.assert(property, {
      numRuns: Number(process.env.MANAGED_AMI_PROPERTY_RUNS ?? 30),
      endOnFailure: true,
    });
    assert.ok(
      partials > 0,
      "no generated case produced a partial create: the property did not exercise its subject",
    );
  });
});
