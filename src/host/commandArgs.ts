// What a command that acts on one buffer was given: a tree node (anything with `agentType`), an
// agent-type string, or a `nexus-buffer:` document URI.
import * as vscode from 'vscode';
import { existingBufferNameProblem } from '../core/agentName';
import { parseBufferUri } from '../views/bufferUri';

/** The agent named by a command argument, if any; throws when it names an invalid agent. */
export function agentFromArgument(arg: unknown): string | undefined {
  if (arg === undefined || arg === null) return undefined;
  let agent: unknown;
  if (typeof arg === 'string') agent = arg;
  else if (arg instanceof vscode.Uri) agent = parseBufferUri(arg)?.agentType;
  else if (typeof arg === 'object' && typeof (arg as { agentType?: unknown }).agentType === 'string') agent = (arg as { agentType: string }).agentType;
  else return undefined;
  if (agent === undefined) return undefined;
  const problem = existingBufferNameProblem(agent);
  if (problem) throw new Error(problem);
  return agent as string;
}
