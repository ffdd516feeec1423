/**
 * The demo as a library: `runDemo()` plays the whole story on a fresh local endpoint and returns every
 * figure it printed (the `--json` summary). Each number is measured during the run, never computed
 * from a record. `demo/index.ts` is the command around it.
 */
import {
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  DescribeImagesCommand,
  LockSnapshotCommand,
} from "@aws-sdk/client-ec2";
import { createProjectDir, LocalEngine, ProviderHost } from "../engine";
import { startLocalAws } from "../local-aws";
import { awsEnv, DEREGISTER_ONLY_ACCOUNT, ec2For, STACK_ACCOUNT, type DemoAccount } from "./accounts";
import { runAuditCli, type AuditFigures } from "./audit";
import { build, deregisterOnly, sharedSnapshot } from "./builds";
import { readInventory, summarizeInventory, type Inventory } from "./inventory";
import { seedAccount, StackStory, imageStates, type UpdateRound } from "./lifecycle";
import { previewWithPolicyPack, type PolicyPreview } from "./policyPreview";
import { note, say, step } from "./progress";

export interface DemoOptions {
  /**
   * A failure drill (tests the non-zero exit): lock one member's snapshot (governance mode) before destroy,
   * so the stack cannot delete it. Sections 1 and 5 (policy preview, deregister-only) are skipped.
   */
  lockOneSnapshot?: boolean;
  /** Print the story (default true); the JSON summary is returned either way. */
  print?: boolean;
}

export interface AccountInventory extends Inventory {
  account: string;
  accountId: string;
}

export interface DemoSummary {
  policy: { program: string; stopped: boolean; mandatory: string[]; message?: string }[];
  up: UpdateRound;
  retire: UpdateRound[];
  destroy: { warnings: string[]; error?: string; stackSnapshotsLeft: string[]; stackImagesLeft: string[] };
  /** Undefined in the failure drill (lockOneSnapshot). */
  deregisterOnly?: { snapshotsLeft: number; gibLeft: number; audit: AuditFigures; auditDelete: AuditFigures };
  inventory: AccountInventory[];
  /** True when the stack left nothing it owned (the exit code is 0 exactly then). */
  ok: boolean;
}

/** Plays the story; see DemoOptions. */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoSummary> {
  const out = opts.print === false ? () => {} : say;
  const section = (n: number, title: string) => out(`\n${n}. ${title}\n${"─".repeat(title.length + 3)}`);

  out(
    "pulumi-managed-ami demo — a family of builds, retired safely, and what deregister-only leaves behind.",
  );
  out(
    "Everything runs on the local AWS endpoint (EC2 + S3 + STS, 1000x simulated speed); no AWS account is used.",
  );

  // 1. Preview with the policy pack.
  section(1, "pulumi preview --policy-pack policy/");
  const previews: PolicyPreview[] = opts.lockOneSnapshot
    ? []
    : await step("previewing two programs with the policy pack", () =>
        previewWithPolicyPack(["legacy-ami", "managed-ami"]),
      );
  for (const p of previews) {
    const mandatory = p.diagnostics.filter((d) => d.level === "mandatory");
    out(
      `  ${p.program.padEnd(12)} ${p.resources} resources → ${p.stopped ? "STOPPED (mandatory violation)" : "passes"}`,
    );
    for (const d of mandatory) out(`    [${d.policy}] ${d.message.split(". ")[0]}.`);
  }

  const aws = await step("starting the local AWS endpoint", () => startLocalAws({ timeScale: 0.001 }));
  const ec2A = ec2For(aws.endpoint, STACK_ACCOUNT);
  const ec2B = ec2For(aws.endpoint, DEREGISTER_ONLY_ACCOUNT);
  const envA = awsEnv(aws.endpoint, STACK_ACCOUNT);
  const saved = { ...process.env };
  Object.assign(process.env, envA);
  const dir = createProjectDir({ project: "demo-image-family" });
  let host: ProviderHost | undefined;
  try {
    host = await step("starting Pulumi's dynamic-provider host", () =>
      ProviderHost.start({
        cwd: dir.path,
        project: "demo-image-family",
        env: { ...envA, MANAGED_AMI_WAIT_POLL_MS: "10" },
      }),
    );
    const engine = new LocalEngine(host);

    // 2. Up.
    section(2, "pulumi up: a family of three builds, a launch template on the latest, a shared snapshot");
    const seeded = await step("a pipeline builds web-1..web-3 (CreateImage)", () => seedAccount(ec2A));
    const story = new StackStory(engine, ec2A, seeded.shared.snapshotId);
    const up = await step("pulumi up", () => story.up());
    const states = await imageStates(ec2A, [...up.enabled, ...up.disabled]);
    out(`  enabled (keep 2):         ${up.enabled.join(", ")}`);
    out(`  disabled (keepDisabled 1): ${up.disabled.map((id) => `${id} [${states[id]}]`).join(", ")}`);
    out(`  launch template "web" →   ${up.latest} (family.latest)`);
    out(
      `  ManagedAmi "base" registers ${seeded.shared.snapshotId}, which ${seeded.shared.otherImageId} (another team's) also uses`,
    );

    // 3. Retire.
    section(3, "A new build appears; the next update retires the oldest member");
    const web4 = await step("the pipeline builds web-4", () => build(ec2A, "web-4"));
    const round1 = await step("pulumi up", () => story.up());
    printRound(out, round1, ec2A);
    const pinned = round1.disabled[0];
    const batch = await ec2A.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "batch-workers",
        LaunchTemplateData: { ImageId: pinned, InstanceType: "t3.micro" },
      }),
    );
    out(`\n  Another team's launch template "batch-workers" ($Default) launches ${pinned}.`);
    const web5 = await step("the pipeline builds web-5", () => build(ec2A, "web-5"));
    const round2 = await step("pulumi up", () => story.up().catch((err: unknown) => Promise.reject(err)));
    printRound(out, round2, ec2A);
    note(`new builds: ${web4.imageId}, ${web5.imageId}`);

    // 4. Destroy.
    section(4, "pulumi destroy");
    out(`  The batch team moves off ${pinned} and deletes "batch-workers"; then the stack is destroyed.`);
    await ec2A.send(
      new DeleteLaunchTemplateCommand({ LaunchTemplateId: batch.LaunchTemplate!.LaunchTemplateId! }),
    );
    if (opts.lockOneSnapshot) {
      const victim = story.recordedSnapshots().find((s) => s !== seeded.shared.snapshotId)!;
      await ec2A.send(
        new LockSnapshotCommand({ SnapshotId: victim, LockMode: "governance", LockDuration: 1 }),
      );
      note(`(test) locked ${victim} in governance mode`);
    }
    const outputMark = host.output.length;
    const destroyError = await step("pulumi destroy", () => story.destroy());
    const warnings = host.output
      .slice(outputMark)
      .join("")
      .split("\n")
      .filter((l) => /left in place/.test(l))
      .map((l) => l.replace(/^.*?ManagedAmi/, "ManagedAmi").trim());
    for (const w of warnings) out(`  warning: ${w}`);
    if (destroyError) out(`  error: ${destroyError.split("\n")[0]}`);
    const left = await stackLeftovers(ec2A, story.recordedSnapshots(), [seeded.shared.otherImageId]);
    out(`  left by the stack: ${left.images.length} images, ${left.snapshots.length} snapshots`);

    // 5. Side by side.
    const sideBySide = opts.lockOneSnapshot
      ? undefined
      : await deregisterOnlyComparison(aws.endpoint, ec2B, out, section);
    // 6. Final inventory.
    section(6, "Final inventory (us-east-1)");
    const inventory: AccountInventory[] = [];
    for (const [account, client] of [
      [STACK_ACCOUNT, ec2A],
      [DEREGISTER_ONLY_ACCOUNT, ec2B],
    ] as [DemoAccount, typeof ec2A][]) {
      const inv = await readInventory(client);
      inventory.push({
        ...inv,
        account: account.label,
        accountId: aws.state.accountIdFor(account.accessKeyId),
      });
      out(`  account ${account.label.padEnd(20)} ${summarizeInventory(inv)}`);
    }
    out(`  (both accounts keep the other team's image and the snapshot it uses: not the stack's to delete)`);
    const ok = left.images.length === 0 && left.snapshots.length === 0 && !destroyError;
    out(
      ok
        ? `\nManagedAmi: 0 snapshots left.` +
            (sideBySide
              ? ` Deregister-only: ${sideBySide.audit.orphanedSnapshots.length} snapshots (${sideBySide.audit.snapshotGiB} GiB, about $${sideBySide.audit.monthlyUsd.toFixed(2)}/month) left until the audit freed them.`
              : "")
        : `\nFAILED: the stack left ${left.images.length} images and ${left.snapshots.length} snapshots it owned.`,
    );
    return {
      policy: previews.map((p) => {
        const m = p.diagnostics.filter((d) => d.level === "mandatory");
        return {
          program: p.program,
          stopped: p.stopped,
          mandatory: m.map((d) => d.policy),
          message: m[0]?.message,
        };
      }),
      up,
      retire: [round1, round2],
      destroy: {
        warnings,
        error: destroyError,
        stackSnapshotsLeft: left.snapshots,
        stackImagesLeft: left.images,
      },
      deregisterOnly: sideBySide,
      inventory,
      ok,
    };
  } finally {
    await host?.stop();
    dir.remove();
    await aws.stop();
    for (const key of Object.keys(envA)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}

function printRound(out: (s?: string) => void, round: UpdateRound, _ec2: unknown): void {
  out(
    `  enabled ${round.enabled.join(", ")}; disabled ${round.disabled.join(", ")}; launch template → ${round.latest}`,
  );
  for (const r of round.retired)
    out(`  retired ${r.imageId}: deregistered, snapshots ${r.snapshotIds.join(", ")} deleted`);
  for (const r of round.refused)
    out(`  REFUSED to retire ${r.imageId}:\n    ${r.message.split("\n").join("\n    ")}`);
}

/** The stack's images and recorded snapshots that still exist, except snapshots another (non-stack) image uses. */
async function stackLeftovers(
  ec2: ReturnType<typeof ec2For>,
  recorded: string[],
  otherImages: string[],
): Promise<{ images: string[]; snapshots: string[] }> {
  const inv = await readInventory(ec2);
  const others = new Set<string>();
  if (otherImages.length) {
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: otherImages, IncludeDisabled: true }));
    for (const image of out.Images ?? [])
      for (const m of image.BlockDeviceMappings ?? []) if (m.Ebs?.SnapshotId) others.add(m.Ebs.SnapshotId);
  }
  return {
    images: inv.images.filter((id) => !otherImages.includes(id)),
    snapshots: inv.snapshots.map((s) => s.id).filter((id) => recorded.includes(id) && !others.has(id)),
  };
}

/** Part 5: the same builds on account B, torn down deregister-only, then audited and freed. */
async function deregisterOnlyComparison(
  endpoint: string,
  ec2B: ReturnType<typeof ec2For>,
  out: (s?: string) => void,
  section: (n: number, title: string) => void,
): Promise<DemoSummary["deregisterOnly"]> {
  section(5, "Side by side: the same images torn down deregister-only (aws.ec2.Ami), on account B");
  const copies = await step("account B: the pipeline builds the same images", async () => {
    const list = [];
    for (let n = 1; n <= 5; n++) list.push(await build(ec2B, `web-${n}`));
    const sharedB = await sharedSnapshot(ec2B);
    return { list, sharedB };
  });
  await step("account B: destroy = DeregisterImage, nothing else", () =>
    deregisterOnly(
      ec2B,
      copies.list.map((b) => b.imageId),
    ),
  );
  const afterDereg = await readInventory(ec2B);
  const envB = awsEnv(endpoint, DEREGISTER_ONLY_ACCOUNT);
  const audit = await step("account B: managed-ami audit", () =>
    runAuditCli(envB, ["--region", "us-east-1"]),
  );
  out(
    `  managed-ami audit finds ${audit.orphanedSnapshots.length} orphaned snapshots, ${audit.snapshotGiB} GiB, ` +
      `about $${audit.monthlyUsd.toFixed(2)}/month (exit code ${audit.exitCode})`,
  );
  const auditDelete = await step("account B: managed-ami audit --delete --yes", () =>
    runAuditCli(envB, ["--region", "us-east-1", "--delete", "--yes"]),
  );
  out(`  managed-ami audit --delete --yes deleted ${auditDelete.deletedSnapshots.length} snapshots`);

  return { snapshotsLeft: afterDereg.snapshots.length, gibLeft: afterDereg.gib, audit, auditDelete };
}
