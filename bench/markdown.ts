/**
 * Results files are written as Prettier formats them, so that `npm run bench` leaves a tree that
 * passes `prettier --check` (CI) without a manual step.
 */
import { writeFileSync } from "node:fs";
import { format, resolveConfig } from "prettier";

/** Write `doc` to `path`, formatted by the repository's Prettier settings. */
export async function writeMarkdown(path: string, doc: string): Promise<void> {
  const options = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(doc, { ...options, filepath: path }));
}
