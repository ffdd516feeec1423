// Snapshot existence and deletion against local-aws with the real SDK.
import assert from "node:assert/strict";
import { DescribeSnapshotTierStatusCommand, type EC2Client } from "@aws-sdk/client-ec2";
import {
  archiveDaysRemaining,
  deleteSnapshot,
  existingSnapshots,
  snapshotExists,
} from "../../../provider/aws/snapshots";
import { makeSnapshot, REGION, startEnv, type Env } from "../teardownFixtures";

const DAY = 86_400_000;

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

  describe("archiveDaysRemaining (DescribeSnapshotTierStatus)", () => {
    /** Seed `ids` as archived `daysAgo` days ago (archival completes at once). */
    const archive = (ids: string[], daysAgo: number) => {
      for (const id of ids) {
        const rec = env.aws.state.snapshots.get(id);
        assert.ok(rec);
        rec.storageTier = "archive";
        rec.lastTieringStartTime = env.aws.clock.now() - daysAgo * DAY;
      }
    };
    /** `n` completed snapshots of the caller's, seeded on the state (no API calls). */
    const seeded = (n: number) =>
      Array.from({ length: n }, () => {
        const s = env.aws.state.ec2.addSnapshot({
          region: REGION,
          ownerId: env.accountId,
          volumeId: "vol-ffffffff",
          volumeSize: 1,
          description: "",
          encrypted: false,
        });
        s.state = "completed";
        return s.snapshotId;
      });

    it("asks about at most 200 snapshots a call (AWS refuses more filter values: FilterLimitExceeded)", async () => {
      const ids = seeded(201);
      archive(ids, 30);
      const from = env.aws.log.length;
      const days = await archiveDaysRemaining(env.ec2, ids, env.aws.clock.now());
      assert.equal(days.size, 201);
      assert.ok([...days.values()].every((d) => d === 60));
      const calls = env.aws.log.slice(from).filter((l) => l.action === "DescribeSnapshotTierStatus");
      assert.equal(calls.length, 2);
    });

    it("reads every page (an endpoint may page the answer without being asked to)", async () => {
      const ids = seeded(12);
      archive(ids, 30);
      // An endpoint whose default page is 5 items: every DescribeSnapshotTierStatus is sent with MaxResults 5.
      const paging = {
        send: (command: { input: object }) =>
          env.ec2.send(
            command instanceof DescribeSnapshotTierStatusCommand
              ? new DescribeSnapshotTierStatusCommand({ ...command.input, MaxResults: 5 })
              : (command as never),
          ),
      } as unknown as EC2Client;
      const days = await archiveDaysRemaining(paging, ids, env.aws.clock.now());
      assert.deepEqual([...days.keys()].sort(), [...ids].sort());
    });

    it("counts from ArchivalCompleteTime: a later restore (LastTieringStartTime) does not restart the 90 days", async () => {
      const [restored, recent] = seeded(2);
      archive([restored, recent], 30);
      Object.assign(env.aws.state.snapshots.get(restored) ?? {}, {
        archivalCompleteTime: env.aws.clock.now() - 100 * DAY,
        lastTieringStartTime: env.aws.clock.now() - 10 * DAY,
        lastTieringOperationStatus: "temporary-restore-completed",
      });
      const days = await archiveDaysRemaining(env.ec2, [restored, recent], env.aws.clock.now());
      assert.deepEqual([...days], [[recent, 60]]);
    });
  });

  it("snapshotExists and deleteSnapshot treat NotFound as gone", async () => {
    const a = await makeSnapshot(env.ec2);
    assert.equal(await snapshotExists(env.ec2, a), true);
    assert.equal(await deleteSnapshot(env.ec2, a), true);
    assert.equal(await snapshotExists(env.ec2, a), false);
    assert.equal(await deleteSnapshot(env.ec2, a), false);
  });
});
