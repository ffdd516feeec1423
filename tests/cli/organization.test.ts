import assert from "node:assert/strict";
import { DeregisterImageCommand, LockSnapshotCommand, ModifySnapshotTierCommand } from "@aws-sdk/client-ec2";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { STSClient } from "@aws-sdk/client-sts";
import { organizationAccounts, assumedRoleCredentials, REFRESH_BEFORE_MS } from "../../cli/audit/accounts";
import { AuditIo, EXIT, runAudit } from "../../cli/audit/run";
import { ec2As, imageFromInstance, seedOrganization, snapshotWith, SeededMember } from "../../local-aws/seed";
import { TEST_CREDENTIALS, withLocalAws } from "../support/localAws";
import { replaceEnv } from "../support/env";

const ROLE = "AuditRole";

/** In-process audit runs over a seeded organization (management + 4 members). */
describe("managed-ami audit --organization", () => {
  const ctx = withLocalAws();
  let restore = (): void => undefined;
  before(() => {
    restore = replaceEnv(["AWS_ENDPOINT_URL_ORGANIZATIONS"], {
      AWS_ENDPOINT_URL_ORGANIZATIONS: ctx.aws.endpoint,
    });
  });
  after(() => restore());

  const io = (): AuditIo & { out: string[]; err: string[] } => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
    };
  };

  /** management + ok-1, denied (role refused), suspended, ok-2; an orphan in each; look-alikes. */
  async function seedOrg() {
    const org = seedOrganization(ctx.aws, {
      roleName: ROLE,
      members: [
        { name: "ok-1" },
        { name: "denied", assumable: false },
        { name: "suspended", status: "SUSPENDED" },
        { name: "ok-2" },
      ],
    });
    const [ok1, denied, suspended, ok2] = org.members;
    const orphanIn = async (key: string, name: string): Promise<string> => {
      const ec2 = ec2As(ctx.aws, key);
      const img = await imageFromInstance(ctx.aws, ec2, name);
      await ec2.send(new DeregisterImageCommand({ ImageId: img.imageId }));
      return img.snapshotId;
    };
    const orphans = new Map<string, string>([
      [org.managementAccountId, await orphanIn(TEST_CREDENTIALS.accessKeyId, "mgmt-old")],
      [ok1.accountId, await orphanIn(ok1.accessKeyId, "ok1-old")],
      [ok2.accountId, await orphanIn(ok2.accessKeyId, "ok2-old")],
    ]);
    const untouchable = [
      await orphanIn(denied.accessKeyId, "denied-old"),
      await orphanIn(suspended.accessKeyId, "suspended-old"),
    ];
    const live = await imageFromInstance(ctx.aws, ec2As(ctx.aws, ok1.accessKeyId), "ok1-live");
    return { org, ok1, ok2, denied, suspended, orphans, untouchable, live };
  }

  it("attributes every orphan to its account, reports the account it could not enter, skips the suspended one, exits 2", async () => {
    const s = await seedOrg();
    const o = io();
    const code = await runAudit({ organization: true, roleName: ROLE, format: "json" }, o);
    assert.equal(code, EXIT.ERROR, o.err.join(""));
    const doc = JSON.parse(o.out.join(""));
    const found = new Map<string, string[]>();
    for (const e of doc.orphanedSnapshots)
      found.set(e.accountId, [...(found.get(e.accountId) ?? []), e.snapshotId]);
    assert.deepEqual([...found].sort(), [...s.orphans].map(([a, id]) => [a, [id]]).sort());
    assert.deepEqual(
      doc.accountErrors.map((e: { accountId: string }) => e.accountId),
      [s.denied.accountId],
    );
    assert.match(
      doc.accountErrors[0].message,
      new RegExp(`arn:aws:iam::${s.denied.accountId}:role/${ROLE}.*sts:AssumeRole`),
    );
    assert.deepEqual(
      [...doc.scanned.accounts].sort(),
      [s.org.managementAccountId, s.ok1.accountId, s.ok2.accountId].sort(),
    );
    assert.ok(!doc.scanned.accounts.includes(s.suspended.accountId));
    assert.deepEqual(
      doc.totals.byAccount.map((a: { accountId: string; orphanedSnapshots: number }) => [
        a.accountId,
        a.orphanedSnapshots,
      ]),
      [...s.orphans.keys()].sort().map((a) => [a, 1]),
    );
    assert.match(o.err.join(""), new RegExp(`account ${s.suspended.accountId} is SUSPENDED`));
    // Each member was entered with its own role, the suspended one never.
    const assumed = ctx.aws.log.filter((l) => l.action === "AssumeRole").map((l) => l.params.RoleArn);
    assert.ok(assumed.includes(`arn:aws:iam::${s.ok1.accountId}:role/${ROLE}`));
    assert.ok(!assumed.some((a) => a.includes(s.suspended.accountId)));
    // Calls for a member's account were made as that account.
    const describes = new Set(
      ctx.aws.log.filter((l) => l.action === "DescribeSnapshots").map((l) => l.accountId),
    );
    assert.deepEqual(
      [...describes].sort(),
      [s.org.managementAccountId, s.ok1.accountId, s.ok2.accountId].sort(),
    );
  });

  it("the table groups by account with per-account totals", async () => {
    const s = await seedOrg();
    const o = io();
    await runAudit({ organization: true, roleName: ROLE }, o);
    const text = o.out.join("");
    for (const [account, snap] of s.orphans) {
      const section = text.slice(text.indexOf(`Account ${account}:`));
      assert.ok(text.includes(`Account ${account}:`), text);
      assert.ok(section.indexOf(snap) < section.indexOf(`Account ${account} total: 1 snapshot(s)`));
    }
    assert.match(text, new RegExp(`Account ${s.denied.accountId} not scanned: cannot assume`));
  });

  it("--delete across accounts deletes exactly the listed items, each as its own account, after one prompt", async () => {
    const s = await seedOrg();
    const asked: string[] = [];
    const o = io();
    const code = await runAudit(
      { organization: true, roleName: ROLE, delete: true },
      { ...o, interactive: true, confirm: async (q) => (asked.push(q), true) },
    );
    assert.equal(code, EXIT.ERROR, "the denied account still makes the run exit 2");
    assert.equal(asked.length, 1);
    for (const a of s.orphans.keys()) assert.match(asked[0], new RegExp(`account ${a}: 1 snapshot`));
    const deletes = ctx.aws.log.filter((l) => l.action === "DeleteSnapshot" && l.status === 200);
    assert.deepEqual(deletes.map((l) => [l.accountId, l.params.SnapshotId]).sort(), [...s.orphans].sort());
    for (const id of s.orphans.values()) assert.ok(!ctx.aws.state.snapshots.has(id));
    for (const id of s.untouchable) assert.ok(ctx.aws.state.snapshots.has(id));
    assert.ok(ctx.aws.state.snapshots.has(s.live.snapshotId));
  });

  it("--accounts scans only the named accounts; an account other than the caller's needs --role-name", async () => {
    const s = await seedOrg();
    const o = io();
    const code = await runAudit({ accounts: `${s.ok2.accountId}`, roleName: ROLE, format: "json" }, o);
    assert.equal(code, EXIT.ORPHANS_FOUND, o.err.join(""));
    const doc = JSON.parse(o.out.join(""));
    assert.deepEqual(
      doc.orphanedSnapshots.map((e: { snapshotId: string }) => e.snapshotId),
      [s.orphans.get(s.ok2.accountId)],
    );
    const o2 = io();
    assert.equal(await runAudit({ accounts: s.ok2.accountId, format: "json" }, o2), EXIT.ERROR);
    assert.match(JSON.parse(o2.out.join("")).accountErrors[0].message, /pass --role-name/);
  });

  it("locked orphans are listed with their lock and never attempted; archived ones at the archive rate", async () => {
    const s = await seedOrg();
    const ec2 = ec2As(ctx.aws, s.ok1.accessKeyId);
    const lockedId = s.orphans.get(s.ok1.accountId) as string;
    await ec2.send(
      new LockSnapshotCommand({ SnapshotId: lockedId, LockMode: "governance", LockDuration: 30 }),
    );
    const archivedId = s.orphans.get(s.ok2.accountId) as string;
    await ec2As(ctx.aws, s.ok2.accessKeyId).send(
      new ModifySnapshotTierCommand({ SnapshotId: archivedId, StorageTier: "archive" }),
    );
    ctx.aws.advance(6 * 3600_000);
    const o = io();
    await runAudit({ organization: true, roleName: ROLE, delete: true, yes: true, format: "json" }, o);
    const doc = JSON.parse(o.out.join(""));
    const locked = doc.orphanedSnapshots.find((e: { snapshotId: string }) => e.snapshotId === lockedId);
    assert.equal(locked.lock.mode, "governance");
    assert.ok(locked.lock.expiresOn);
    const archived = doc.orphanedSnapshots.find((e: { snapshotId: string }) => e.snapshotId === archivedId);
    assert.equal(archived.storageTier, "archive");
    assert.equal(archived.estimatedMonthlyUsd, Math.round(archived.sizeGiB * 0.0125 * 100) / 100);
    assert.ok(archived.earlyDeletion.daysRemaining > 80, JSON.stringify(archived));
    assert.ok(ctx.aws.log.every((l) => !(l.action === "DeleteSnapshot" && l.params.SnapshotId === lockedId)));
    assert.ok(ctx.aws.state.snapshots.has(lockedId));
    assert.deepEqual(
      doc.deletion.lockedSnapshots.map((k: { snapshotId: string }) => k.snapshotId),
      [lockedId],
    );
  });

  it("ListAccounts is read to the last page (more than 20 accounts) and only ACTIVE ones are kept", async () => {
    const org = seedOrganization(ctx.aws, {
      roleName: ROLE,
      members: Array.from({ length: 45 }, (_, i) => ({
        name: `m${i}`,
        status: i % 9 === 0 ? ("SUSPENDED" as const) : ("ACTIVE" as const),
      })),
    });
    const client = new OrganizationsClient({
      endpoint: ctx.aws.endpoint,
      region: "us-east-1",
      credentials: TEST_CREDENTIALS,
    });
    const listed = await organizationAccounts(client);
    const expected = [
      org.managementAccountId,
      ...org.members.filter((m: SeededMember) => m.status === "ACTIVE").map((m) => m.accountId),
    ];
    assert.deepEqual(listed.active, expected);
    assert.equal(listed.skipped.length, 5);
    assert.equal(ctx.aws.log.filter((l) => l.action === "ListAccounts").length, 3);
  });

  it("a member account cannot list the organization (AccessDeniedException)", async () => {
    const org = seedOrganization(ctx.aws, { roleName: ROLE, members: [{ name: "m" }] });
    const client = new OrganizationsClient({
      endpoint: ctx.aws.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: org.members[0].accessKeyId, secretAccessKey: "x" },
    });
    await assert.rejects(organizationAccounts(client), (err: Error) => err.name === "AccessDeniedException");
  });

  it("assumed-role credentials are refreshed before they expire", async () => {
    const org = seedOrganization(ctx.aws, { roleName: ROLE, members: [{ name: "m" }] });
    const sts = new STSClient({
      endpoint: ctx.aws.endpoint,
      region: "us-east-1",
      credentials: TEST_CREDENTIALS,
    });
    const provider = assumedRoleCredentials(
      sts,
      `arn:aws:iam::${org.members[0].accountId}:role/${ROLE}`,
      "refresh-test",
      () => ctx.aws.clock.now(),
    );
    const first = await provider();
    assert.equal((await provider()).accessKeyId, first.accessKeyId, "reused while fresh");
    ctx.aws.advance(3600_000 - REFRESH_BEFORE_MS + 1000);
    const second = await provider();
    assert.notEqual(second.accessKeyId, first.accessKeyId);
    assert.equal(ctx.aws.log.filter((l) => l.action === "AssumeRole").length, 2);
  });
});

describe("audit classification end to end", () => {
  const ctx = withLocalAws({ recycleBin: { images: { retentionDays: 7 } } });
  const io = (): AuditIo & { out: string[]; err: string[] } => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
    };
  };

  it("service-managed snapshots are excluded and counted by kind; snapshots of a binned AMI are not orphans; --recycle-bin lists the bin", async () => {
    const ec2 = ec2As(ctx.aws, TEST_CREDENTIALS.accessKeyId);
    const gone = await imageFromInstance(ctx.aws, ec2, "binned");
    await ec2.send(new DeregisterImageCommand({ ImageId: gone.imageId }));
    const desc = `Created by CreateImage(i-0123456789abcdef0) for ami-0123456789abcdef0`;
    await snapshotWith(ctx.aws, ec2, "This snapshot is created by the AWS Backup service.");
    await snapshotWith(ctx.aws, ec2, desc, { "aws:dlm:lifecycle-policy-id": "policy-0123456789abcdef0" });
    await snapshotWith(ctx.aws, ec2, desc, { CreatedBy: "EC2 Image Builder" });
    await snapshotWith(ctx.aws, ec2, desc, { CreatedBy: "EC2 Fast Launch" });
    await snapshotWith(ctx.aws, ec2, desc, { CreatedBy: "EC2 Fast Launch" });
    const real = await snapshotWith(ctx.aws, ec2, desc, {}, 16);
    const o = io();
    const code = await runAudit({ format: "json", recycleBin: true }, o);
    assert.equal(code, EXIT.ORPHANS_FOUND, o.err.join(""));
    const doc = JSON.parse(o.out.join(""));
    assert.deepEqual(
      doc.orphanedSnapshots.map((e: { snapshotId: string }) => e.snapshotId),
      [real],
    );
    assert.deepEqual(doc.excluded, {
      olderThan: 0,
      excludeTag: 0,
      managedByService: { "aws-backup": 1, dlm: 1, "image-builder": 1, "fast-launch": 2 },
    });
    assert.deepEqual(
      doc.recycleBin.images.map((i: { id: string }) => i.id),
      [gone.imageId],
    );
    assert.ok(doc.recycleBin.images[0].exitTime);
    assert.ok(ctx.aws.state.snapshots.has(gone.snapshotId));
    assert.deepEqual(Object.keys(doc.scanned), ["accounts", "regions", "buckets", "images", "snapshots"]);
    assert.equal(doc.scanned.snapshots, 7);
  });
});
