/**
 * Auto-naming (spec v2): an absent `name` becomes `<resource name>-<7 random hex>` (prefix
 * `managed-ami` when the provider is called without `__resourceName`). The old name is kept while
 * nothing forces a replacement; a replacement gets a fresh name, so it is create-before-delete.
 */
import { randomBytes } from "node:crypto";
import { planReplacement } from "../diff";
import type { ManagedAmiInputs } from "../types";
import { isAbsent } from "./unknown";

/** The hidden input `ManagedAmi` passes its resource name in (never sent to AWS). */
export const RESOURCE_NAME_KEY = "__resourceName";
const DEFAULT_PREFIX = "managed-ami";
/** Room for `-` and 7 hex within AWS's 128 characters. */
const MAX_PREFIX = 120;

/** `prefix` made a valid AMI-name prefix: characters AMI names do not allow become `-`. */
export function namePrefix(resourceName: unknown): string {
  if (typeof resourceName !== "string") return DEFAULT_PREFIX;
  const cleaned = [...resourceName.replace(/[^A-Za-z0-9 ()[\]./\-'@_]/g, "-")].slice(0, MAX_PREFIX).join("");
  return cleaned.trim() === "" ? DEFAULT_PREFIX : cleaned;
}

/** A fresh auto-name for the resource. */
export function freshName(resourceName: unknown): string {
  return `${namePrefix(resourceName)}-${randomBytes(4).toString("hex").slice(0, 7)}`;
}

/** `n` with `name` filled in: the old inputs' name when keeping it replaces nothing, else a fresh one. */
export function autoName(olds: unknown, n: Record<string, unknown>): Record<string, unknown> {
  const o = (olds ?? {}) as Record<string, unknown>;
  if (typeof o.name === "string" && !isAbsent(o.name)) {
    const kept = { ...n, name: o.name };
    if (planReplacement(o as ManagedAmiInputs, kept as ManagedAmiInputs).replaces.length === 0) return kept;
  }
  return { ...n, name: freshName(n[RESOURCE_NAME_KEY]) };
}
