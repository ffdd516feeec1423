/**
 * The dynamic provider. Pulumi serializes this object into state (`__provider`) and runs it later
 * in the dynamic-provider host, so each method only loads the INSTALLED package's runtime at call
 * time and delegates: state stays small, and a destroy runs the installed teardown, not a stale copy.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as runtime from "./runtime";
import type { ManagedAmiInputs, ManagedAmiOutputs } from "./types";

/**
 * `check`, `diff`, `create`, `read`, `update` and `delete` of `ManagedAmi`. Constructed with no
 * arguments and holding no state, clients or configuration (nothing secret can be captured).
 */
export class ManagedAmiProvider implements pulumi.dynamic.ResourceProvider<
  ManagedAmiInputs,
  ManagedAmiOutputs
> {
  check(
    olds: ManagedAmiInputs,
    news: ManagedAmiInputs,
  ): Promise<pulumi.dynamic.CheckResult<ManagedAmiInputs>> {
    return loadRuntime().check(olds, news);
  }

  diff(id: string, olds: ManagedAmiOutputs, news: ManagedAmiInputs): Promise<pulumi.dynamic.DiffResult> {
    return loadRuntime().diff(id, olds, news);
  }

  create(inputs: ManagedAmiInputs): Promise<pulumi.dynamic.CreateResult<ManagedAmiOutputs>> {
    return loadRuntime().create(inputs);
  }

  read(id: string, props?: ManagedAmiOutputs): Promise<pulumi.dynamic.ReadResult<ManagedAmiOutputs>> {
    return loadRuntime().read(id, props);
  }

  update(
    id: string,
    olds: ManagedAmiOutputs,
    news: ManagedAmiInputs,
  ): Promise<pulumi.dynamic.UpdateResult<ManagedAmiOutputs>> {
    return loadRuntime().update(id, olds, news);
  }

  delete(id: string, props: ManagedAmiOutputs): Promise<void> {
    return loadRuntime().delete(id, props);
  }
}

/**
 * Loads `pulumi-managed-ami/runtime` where the host runs it (serialized along with the provider, so it
 * captures nothing). Tried in order: the project's node_modules and its parents' (a user project, a
 * hoisted workspace); the package itself by self-reference (its own checkout as the project, e.g. the
 * repository root); next to the host's @pulumi/pulumi. Not found: an error naming the directory and the fix.
 */
function loadRuntime(): typeof runtime {
  const request = "pulumi-managed-ami/runtime";
  const { createRequire } = require("module");
  const { dirname, resolve } = require("path");
  const here = resolve(dirname(__filename || "."), "__managed_ami_provider__.js");
  const attempts = [() => require(request), () => createRequire(here)(request)];
  if (require.main?.filename) attempts.push(() => createRequire(require.main!.filename)(request));
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch (err) {
      const missing = String((err as Error).message).startsWith(`Cannot find module '${request}'`);
      if (!missing) throw err;
    }
  }
  throw new Error(
    `Cannot find module '${request}' from ${dirname(here)}, the working directory of Pulumi's ` +
      "dynamic-provider host (the Pulumi project directory): ManagedAmi needs pulumi-managed-ami installed " +
      "there or in a parent directory. Fix: run `npm install pulumi-managed-ami` in the project directory.",
  );
}
