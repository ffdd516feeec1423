/**
 * Parts 2–4 of the demo, on account A through Pulumi's real dynamic-provider host: up a family of
 * builds with a launch template on the latest, retire as new builds appear (and be refused where
 * another launch template's $Default still launches a member), then destroy.
 */
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  type _InstanceType,
} from "@aws-sdk/client-ec2";
import type * as pulumi from "@pulumi/pulumi";
import { join } from "path";
import {
  awsMocks,
  LocalEngine,
  packageRoot,
  runProgram,
  type ProgramRun,
  type ResourceMocks,
} from "../engine";
import { REGION } from "./accounts";
import { build, sharedSnapshot, type Build } from "./builds";
import { note, say, step } from "./progress";

const MANAGED_AMI = "pulumi-nodejs:dynamic/managed-ami:ManagedAmi";
const PROGRAM = join(packageRoot(), "demo", "programs", "family");

/** One `pulumi up` of the stack: the family's windows and what the update retired or could not. */
export interface UpdateRound {
  enabled: string[];
  disabled: string[];
  latest: string;
  launchTemplateImage: string;
  retired: { imageId: string; snapshotIds: string[] }[];
  refused: { imageId: string; message: string }[];
}

export interface LifecycleResult {
  builds: Build[];
  otherTeamImage: string;
  sharedSnapshotId: string;
  rounds: UpdateRound[];
  /** Warnings the provider gave on destroy (e.g. the shared snapshot left in place). */
  destroyWarnings: string[];
  /** Every snapshot the stack ever recorded as its own. */
  recordedSnapshots: string[];
  destroyError?: string;
}

/** Launch templates that really exist on the endpoint, so the in-use guard sees what they launch. */
function launchTemplateMocks(ec2: () => EC2Client, base: ResourceMocks): ResourceMocks {
  return {
    ...base,
    async newResource(args: pulumi.runtime.MockResourceArgs) {
      if (args.type !== "aws:ec2/launchTemplate:LaunchTemplate") return base.newResource!(args);
      const inputs = args.inputs as { name?: string; imageId?: string; instanceType?: string };
      const name = inputs.name ?? args.name;
      const data = {
        ImageId: inputs.imageId,
        InstanceType: (inputs.instanceType ?? "t3.micro") as _InstanceType,
      };
      const existing = await ec2()
        .send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] }))
        .then((o) => o.LaunchTemplates?.[0])
        .catch(() => undefined);
      let id: string;
      if (existing?.LaunchTemplateId) {
        id = existing.LaunchTemplateId;
        const v = await ec2().send(
          new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: id, LaunchTemplateData: data }),
        );
        const version = String(v.LaunchTemplateVersion?.VersionNumber);
        await ec2().send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: version }));
      } else {
        const out = await ec2().send(
          new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: data }),
        );
        id = out.LaunchTemplate!.LaunchTemplateId!;
      }
      return { id, state: { ...inputs, name, latestVersion: 1 } };
    },
    async deleteResource(resource) {
      if (resource.type === "aws:ec2/launchTemplate:LaunchTemplate") {
        await ec2().send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: resource.id }));
        return;
      }
      await base.deleteResource?.(resource);
    },
  };
}

export class StackStory {
  private readonly mocks: ResourceMocks;
  private run?: ProgramRun;
  private readonly recorded = new Set<string>();

  constructor(
    private readonly engine: LocalEngine,
    private readonly ec2: EC2Client,
    private readonly sharedSnapshotId: string,
  ) {
    this.mocks = launchTemplateMocks(() => ec2, awsMocks({ region: REGION }));
  }

  /** `pulumi up`: run the program, then delete the members it no longer declares (the retirements). */
  async up(): Promise<UpdateRound> {
    const previous = new Set(
      [...this.engine.resources.values()].filter((r) => r.type === MANAGED_AMI).map((r) => r.urn),
    );
    const run = await runProgram({
      programDir: PROGRAM,
      engine: this.engine,
      mocks: this.mocks,
      config: { sharedSnapshotId: this.sharedSnapshotId },
    });
    this.run = run;
    for (const r of run.resources)
      if (r.type === MANAGED_AMI)
        for (const s of (r.state.snapshotIds as string[]) ?? []) this.recorded.add(s);
    const declared = new Set(run.resources.map((r) => r.urn));
    const round: UpdateRound = {
      enabled: run.outputs.enabled as string[],
      disabled: run.outputs.disabled as string[],
      latest: run.outputs.latest as string,
      launchTemplateImage: run.outputs.latest as string,
      retired: [],
      refused: [],
    };
    for (const urn of previous) {
      if (declared.has(urn)) continue;
      const state = this.engine.resources.get(urn)!;
      const imageId = state.id;
      try {
        await this.engine.destroy(urn);
        round.retired.push({ imageId, snapshotIds: (state.outputs.snapshotIds as string[]) ?? [] });
      } catch (err) {
        round.refused.push({ imageId, message: err instanceof Error ? err.message : String(err) });
      }
    }
    return round;
  }

  /** `pulumi destroy`: every resource, newest first; returns the first failure's message, if any. */
  async destroy(): Promise<string | undefined> {
    const errors: string[] = [];
    for (const resource of [...(this.run?.resources ?? [])].reverse()) {
      try {
        if (resource.dynamic) {
          if (resource.urn && this.engine.resources.has(resource.urn))
            await this.engine.destroy(resource.urn);
        } else {
          await this.mocks.deleteResource?.(resource);
        }
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    // Members a refused retirement kept in state are still the stack's.
    for (const urn of [...this.engine.resources.keys()]) {
      try {
        await this.engine.destroy(urn);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    return errors[0];
  }

  recordedSnapshots(): string[] {
    return [...this.recorded];
  }
}

/** Lists the images the endpoint describes for `imageIds` (to show the spare really is disabled). */
export async function imageStates(ec2: EC2Client, imageIds: string[]): Promise<Record<string, string>> {
  if (imageIds.length === 0) return {};
  const out = await ec2.send(new DescribeImagesCommand({ ImageIds: imageIds, IncludeDisabled: true }));
  return Object.fromEntries((out.Images ?? []).map((i) => [i.ImageId!, i.State ?? "?"]));
}

/** Seeds builds web-1..web-3 and the other team's image sharing a snapshot. */
export async function seedAccount(
  ec2: EC2Client,
): Promise<{ builds: Build[]; shared: { snapshotId: string; otherImageId: string } }> {
  const builds: Build[] = [];
  for (let n = 1; n <= 3; n++) builds.push(await build(ec2, `web-${n}`));
  const shared = await sharedSnapshot(ec2);
  for (const b of builds) note(`pipeline built ${b.name}: ${b.imageId} (${b.snapshotIds.join(", ")})`);
  note(`another team's image ${shared.otherImageId} uses snapshot ${shared.snapshotId}`);
  return { builds, shared };
}

export { say, step };
