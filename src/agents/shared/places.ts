// Where an agent lives on this machine, for every installer: which file a scope means, and
// whether the agent is found (one of its folders exists, or one of its programs is on PATH).
import * as fsp from 'node:fs/promises';
import { findExecutableOnPath } from '../../integrations/executables';
import type { HookPlaces, HookScope } from '../types';

/** The user file or the project's, by scope; project scope needs a project folder. */
export function fileForScope(scope: HookScope, places: HookPlaces, user: (places: HookPlaces) => string, project: (folder: string) => string): string {
  if (scope === 'user') return user(places);
  if (!places.project) throw new Error('Project scope needs a project folder');
  return project(places.project);
}

/** True when one of `folders` exists or one of `programs` is on PATH (folders first: no PATH walk). */
export async function agentFound(places: HookPlaces, folders: readonly string[], programs: readonly string[]): Promise<boolean> {
  for (const folder of folders) {
    if (await fsp.stat(folder).then(() => true, () => false)) return true;
  }
  const env = places.env ?? process.env;
  for (const program of programs) {
    if ((await findExecutableOnPath(program, env)) !== undefined) return true;
  }
  return false;
}
