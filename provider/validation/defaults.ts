/**
 * Defaults, in one place. `check` does not write them into the inputs (state keeps what the user
 * wrote); `diff` compares through them so `deleteSnapshots: undefined` equals `true`, and so on.
 * They match what the create calls send (provider/aws/imageSources.ts) and the docs in types.ts.
 */
import type { ManagedAmiInputs, SourceKey } from "../types";
import { isAbsent } from "./unknown";

/** The delete flags and their defaults. */
export const FLAG_DEFAULTS = {
  deleteSnapshots: true,
  deleteBundle: true,
  disableDeregistrationProtection: false,
} as const;

export type FlagName = keyof typeof FLAG_DEFAULTS;

/** The flag as the provider acts on it: the input, or the default when absent. May be an unknown at preview. */
export function effectiveFlag(inputs: Partial<ManagedAmiInputs> | undefined, flag: FlagName): unknown {
  const v = inputs?.[flag];
  return isAbsent(v) ? FLAG_DEFAULTS[flag] : v;
}

/** Source fields whose absence means a documented default (so writing the default is not a change). */
const SOURCE_FIELD_DEFAULTS: Record<SourceKey, Record<string, unknown>> = {
  fromSnapshots: { architecture: "x86_64", virtualizationType: "hvm", enaSupport: true },
  fromInstance: { noReboot: false },
  copyOf: { encrypted: false },
  fromManifest: { architecture: "x86_64" },
  adopt: {},
};

const MAPPING_DEFAULTS: Record<string, unknown> = { volumeType: "gp3", deleteOnTermination: true };

/** `obj` with absent fields dropped and documented defaults filled in; non-objects are returned as is. */
function withDefaults(obj: unknown, defaults: Record<string, unknown>): unknown {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return obj;
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(obj)) if (!isAbsent(v)) out[k] = v;
  return out;
}

/**
 * A source object in the form two sources are compared in: defaults filled in, absent fields dropped,
 * `fromSnapshots` mappings sorted by device name (their order does not change the image).
 */
export function normalizeSource(kind: SourceKey, src: unknown): unknown {
  if (isAbsent(src)) return undefined;
  const out = withDefaults(src, SOURCE_FIELD_DEFAULTS[kind]);
  if (kind === "fromSnapshots" && out !== null && typeof out === "object" && !Array.isArray(out)) {
    const o = out as Record<string, unknown>;
    if (Array.isArray(o.blockDeviceMappings)) {
      o.blockDeviceMappings = o.blockDeviceMappings
        .map((m) => withDefaults(m, MAPPING_DEFAULTS))
        .sort((a, b) => {
          const da = String((a as { deviceName?: unknown })?.deviceName);
          const db = String((b as { deviceName?: unknown })?.deviceName);
          return da < db ? -1 : da > db ? 1 : 0;
        });
    }
  }
  return out;
}

/** Deep equality of plain JSON values, object keys in any order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
    );
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  const ka = Object.keys(a).filter((k) => !isAbsent((a as Record<string, unknown>)[k]));
  const kb = Object.keys(b).filter((k) => !isAbsent((b as Record<string, unknown>)[k]));
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
