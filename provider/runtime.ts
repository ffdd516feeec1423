/**
 * The provider's real implementations, loaded at call time by the serialized `ManagedAmiProvider`
 * (`require("pulumi-managed-ami/runtime")`). Keep these six names and signatures stable: providers
 * serialized into state by earlier versions call them.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { ec2Client, setRetryNotifier } from "./aws/clients";
import { assertCallerIsOwner } from "./account";
import { checkInputs } from "./check";
import {
  ManagedAmiPartialError,
  ProviderLog,
  createManagedAmi,
  defaultDeps,
  label,
  withoutProvider,
} from "./create";
import { diffManagedAmi } from "./diff";
import { readManagedAmi } from "./read";
import { teardown } from "./teardown";
import { ManagedAmiInputs, ManagedAmiOutputs } from "./types";
import { updateManagedAmi } from "./update";

export { ManagedAmiPartialError };

type LogModule = Pick<typeof pulumi.log, "warn" | "debug">;

// "Still retrying" notices of long-retrying AWS calls go to the Pulumi log (the CLI's go to stderr).
setRetryNotifier((message) => void (hostPulumiLog() as Partial<typeof pulumi.log>).info?.(message));

/**
 * The `log` module of the `@pulumi/pulumi` copy the dynamic-provider host runs: a nested copy of the
 * SDK (another version pinned by this package) was never initialised by the host, so its messages
 * would not reach the engine. Tried in order: the host's main module (`…/@pulumi/pulumi/cmd/
 * dynamic-provider/index.js`), the project dir (`cwd`), then this package's own copy.
 */
export function hostPulumiLog(
  where: { mainFilename?: string; cwd?: string } = {
    mainFilename: require.main?.filename,
    cwd: process.cwd(),
  },
): LogModule {
  const main = where.mainFilename;
  if (main && /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]dynamic-provider[\\/]/.test(main)) {
    const log = tryRequire(() => createRequire(main)(join(dirname(main), "..", "..", "log")));
    if (log) return log;
  }
  if (where.cwd) {
    const log = tryRequire(() =>
      createRequire(join(where.cwd as string, "package.json"))("@pulumi/pulumi/log"),
    );
    if (log) return log;
  }
  return require("@pulumi/pulumi/log") as LogModule;
}

function tryRequire(load: () => unknown): LogModule | undefined {
  try {
    const mod = load() as Partial<LogModule> | undefined;
    return mod && typeof mod.warn === "function" ? (mod as LogModule) : undefined;
  } catch {
    return undefined;
  }
}

/** The engine log, resolved at call time (see `hostPulumiLog`). */
export function engineLog(): ProviderLog {
  const log = hostPulumiLog();
  return {
    warn: (message) => void log.warn(message),
    debug: (message) => void log.debug(message),
  };
}

/** Validates inputs before any AWS call (see check.ts). */
export async function check(
  olds: ManagedAmiInputs,
  news: ManagedAmiInputs,
): Promise<pulumi.dynamic.CheckResult<ManagedAmiInputs>> {
  return checkInputs(olds, news);
}

/** Replace on a source/name/region change, update in place otherwise (see diff.ts). */
export async function diff(
  id: string,
  olds: ManagedAmiOutputs,
  news: ManagedAmiInputs,
): Promise<pulumi.dynamic.DiffResult> {
  return diffManagedAmi(id, olds, news);
}

/** Creates or adopts the image; a failure once it exists throws an error carrying the id. */
export async function create(
  inputs: ManagedAmiInputs,
): Promise<pulumi.dynamic.CreateResult<ManagedAmiOutputs>> {
  return createManagedAmi(inputs, { ...defaultDeps(), log: engineLog() });
}

/** Refresh: present, gone with storage left (`deregistered`), or gone (no id). */
export async function read(
  id: string,
  props?: ManagedAmiOutputs,
): Promise<pulumi.dynamic.ReadResult<ManagedAmiOutputs>> {
  return readManagedAmi(id, props ?? ({} as ManagedAmiOutputs), { ...defaultDeps(), log: engineLog() });
}

/** In-place update of description, tags and the delete flags. */
export async function update(
  id: string,
  olds: ManagedAmiOutputs,
  news: ManagedAmiInputs,
): Promise<pulumi.dynamic.UpdateResult<ManagedAmiOutputs>> {
  return updateManagedAmi(id, olds, news, { ...defaultDeps(), log: engineLog() });
}

/**
 * Destroy: refuse credentials of another account than the recorded owner, then deregister the image
 * and delete exactly its own, unshared storage (see teardown.ts).
 */
async function remove(id: string, props: ManagedAmiOutputs): Promise<void> {
  const outputs: ManagedAmiOutputs = { ...withoutProvider(props), imageId: id || props.imageId };
  const log = engineLog();
  await assertCallerIsOwner(
    label(outputs.name, outputs.imageId),
    "destroy",
    outputs.region,
    outputs.ownerId,
    { log },
  );
  await teardown(outputs, { ec2: ec2Client(outputs.region), log });
}

export { remove as delete };
