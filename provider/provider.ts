/**
 * The dynamic provider. Pulumi serializes this object into state (`__provider`) and runs it later
 * in the dynamic-provider host, so each method only loads the INSTALLED package's runtime at call
 * time and delegates: state stays small, and a destroy runs the installed teardown, not a stale copy.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ManagedAmiInputs, ManagedAmiOutputs } from "./types";

/**
 * `check`, `diff`, `create`, `read`, `update` and `delete` of `ManagedAmi`. Constructed with no
 * arguments and holding no state, clients or configuration (nothing secret can be captured).
 * `require` is resolved where the host runs: the user's project, i.e. its installed pulumi-managed-ami.
 */
export class ManagedAmiProvider implements pulumi.dynamic.ResourceProvider<
  ManagedAmiInputs,
  ManagedAmiOutputs
> {
  check(
    olds: ManagedAmiInputs,
    news: ManagedAmiInputs,
  ): Promise<pulumi.dynamic.CheckResult<ManagedAmiInputs>> {
    return require("pulumi-managed-ami/runtime").check(olds, news);
  }

  diff(id: string, olds: ManagedAmiOutputs, news: ManagedAmiInputs): Promise<pulumi.dynamic.DiffResult> {
    return require("pulumi-managed-ami/runtime").diff(id, olds, news);
  }

  create(inputs: ManagedAmiInputs): Promise<pulumi.dynamic.CreateResult<ManagedAmiOutputs>> {
    return require("pulumi-managed-ami/runtime").create(inputs);
  }

  read(id: string, props?: ManagedAmiOutputs): Promise<pulumi.dynamic.ReadResult<ManagedAmiOutputs>> {
    return require("pulumi-managed-ami/runtime").read(id, props);
  }

  update(
    id: string,
    olds: ManagedAmiOutputs,
    news: ManagedAmiInputs,
  ): Promise<pulumi.dynamic.UpdateResult<ManagedAmiOutputs>> {
    return require("pulumi-managed-ami/runtime").update(id, olds, news);
  }

  delete(id: string, props: ManagedAmiOutputs): Promise<void> {
    return require("pulumi-managed-ami/runtime").delete(id, props);
  }
}
