// Snapshot existence and deletion against local-aws with the real SDK.
import assert from "node:assert/strict";
import { deleteSnapshot, existingSnapshots, snapshotExists } from "../../../provider/aws/snapshots";
import { makeSnapshot, startEnv, type Env } from "../teardownFixtures";

describe("aws/snapshots", () => {
  let env: Env;
  beforeEach(async () => (env = await startEnv()));
  afterEach(async () => env.stop());

  it("existingSnapshots tolerates missing ids in one call (DescribeSnapshots by id would fail entirely)", async () => {
    const a = await makeSnapshot(env.ec2);
    const b = await makeSnapshot(env.ec2);
    const foreign = await makeSnapshot(env.ec2);
    const missing = "snap-0123456789abcdef0";
    const from = env.aws.log.length;
    assert.deepEqual(await existingSnapshots(env.ec2, [missing, b, a, b]), [b, a]);
    assert.equal(env.aws.log.length - from, 1);
    assert.ok(!(await existingSnapshots(env.ec2, [a])).includes(foreign));
  });

  it("existingSnapshots chunks long lists at 200 filter values", async () => {
    const real = await makeSnapshot(env.ec2);
    const ids = Array.from({ length: 250 }, (_, i) => `snap-${(i + 1).toString(16).padStart(17, "0")}`);
    ids.push(real);
    const from = env.aws.log.length;
    assert.deepEqual(await existingSnapshots(env.ec2, ids), [real]);
    assert.equal(env.aws.log.length - from, 2);
  });

  it("existingSnapshots of nothing makes no call", async () => {
    const from = env.aws.log.length;
    assert.deepEqual(await existingSnapshots(env.ec2, []), []);
    assert.equal(env.aws.log.length, from);
  });

  it("snapshotExists and deleteSnapshot treat NotFound as gone", async () => {
    const a = await makeSnapshot(env.ec2);
    assert.equal(await snapshotExists(env.ec2, a), true);
    assert.equal(await deleteSnapshot(env.ec2, a), true);
    assert.equal(await snapshotExists(env.ec2, a), false);
    assert.equal(await deleteSnapshot(env.ec2, a), false);
  });
});
