/**
 * Serializes a dynamic provider exactly as `pulumi.dynamic.Resource` does before storing it in the
 * resource's `__provider` property (@pulumi/pulumi dynamic/index.js `serializeFunctionMaybeSecret`).
 */
import * as pulumi from "@pulumi/pulumi";

/** The `__provider` text, and whether the engine would store it as a secret. */
export interface SerializedProvider {
  text: string;
  containsSecrets: boolean;
}

/** `serializeFunction(() => provider, { allowSecrets: true })`; the module's `handler` returns the provider. */
export async function serializeProvider(
  provider: pulumi.dynamic.ResourceProvider,
): Promise<SerializedProvider> {
  const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return { text: sf.text, containsSecrets: sf.containsSecrets };
}
