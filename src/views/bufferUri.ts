// Addresses of the read-only recovered documents: `nexus-buffer:/<agent>.md` (readable
// Markdown) and `nexus-buffer:/<agent>.json` (the raw crate-format JSON).
import * as vscode from 'vscode';
import { isExistingBufferName } from '../core/agentName';

export const BUFFER_SCHEME = 'nexus-buffer';

export type BufferDocumentKind = 'md' | 'json';

export function bufferUri(agentType: string, kind: BufferDocumentKind = 'md'): vscode.Uri {
  return vscode.Uri.from({ scheme: BUFFER_SCHEME, path: `/${agentType}.${kind}` });
}

/** The agent and kind of a recovered-document URI; undefined for any other URI. */
export function parseBufferUri(uri: vscode.Uri): { agentType: string; kind: BufferDocumentKind } | undefined {
  if (uri.scheme !== BUFFER_SCHEME) return undefined;
  const match = /^\/(.+)\.(md|json)$/.exec(uri.path);
  if (!match || !isExistingBufferName(match[1])) return undefined;
  return { agentType: match[1], kind: match[2] as BufferDocumentKind };
}
