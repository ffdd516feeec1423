/**
 * The provider's real implementations, loaded at call time by the serialized `ManagedAmiProvider`
 * (`require("pulumi-managed-ami/runtime")`). Keep these six names and signatures stable: providers
 * serialized into state by earlier versions call them.
 */
import * as pulumi from "@pulumi/pulumi";
import { ec2Client, setRetryNotifier } from "./aws/clients";
import { checkInputs } from "./check";
import { ManagedAmiPartialError, createManagedAmi, withoutProvider } from "./create";
import { diffManagedAmi } from "./diff";
import { readManagedAmi } from "./read";
import { teardown } from "./teardown";
import { ManagedAmiInputs, ManagedAmiOutputs } from "./types";
import { updateManagedAmi } from "./update";

export { ManagedAmiPartialError };

// "Still retrying" notices of long-retrying AWS calls go to the Pulumi log (the CLI's go to stderr).
setRetryNotifier((message) => void pulumi.log.info(message));

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
  return createManagedAmi(inputs);
}

/** Refresh: present, gone with storage left (`deregistered`), or gone (no id). */
export async function read(
  id: string,
  props?: ManagedAmiOutputs,
): Promise<pulumi.dynamic.ReadResult<ManagedAmiOutputs>> {
  return readManagedAmi(id, props ?? ({} as ManagedAmiOutputs));
}

/** In-place update of description, tags and the delete flags. */
export async function update(
  id: string,
  olds: ManagedAmiOutputs,
  news: ManagedAmiInputs,
): Promise<pulumi.dynamic.UpdateResult<ManagedAmiOutputs>> {
  return updateManagedAmi(id, olds, news);
}

/** Destroy: deregister the image and delete exactly its own, unshared storage (see teardown.ts). */
async function remove(id: string, props: ManagedAmiOutputs): Promise<void> {
  const outputs: ManagedAmiOutputs = { ...withoutProvider(props), imageId: id || props.imageId };
  await teardown(outputs, {
    ec2: ec2Client(outputs.region),
    log: { warn: (message: string) => void pulumi.log.warn(message) },
  });
}

export { remove as delete };
