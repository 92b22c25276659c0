// "Nexus Buffer: Show Timeline" (palette, a buffer's item, a recovered document's title bar)
// and "Nexus Buffer: Search…" (palette, the Buffers view's title bar).
import * as vscode from 'vscode';
import type { SearchHit } from '../../core/search';
import type { BufferSearch } from '../../host/bufferSearch';
import type { BufferStatuses } from '../../host/bufferStatuses';
import { agentFromArgument } from '../../host/commandArgs';
import { messageOf } from '../../host/notifyOnce';
import { bufferDescription } from '../buffersTree';
import type { RecoveredDocumentProvider } from '../recoveredDocument';
import { showSearchPick } from '../searchPick';
import type { TimelinePanels } from './timelinePanel';

export const TimelineCommandIds = {
  showTimeline: 'nexusBuffer.showTimeline',
  search: 'nexusBuffer.search',
} as const;

export interface TimelineCommandDeps {
  panels: TimelinePanels;
  search: BufferSearch;
  statuses: BufferStatuses;
  documents: RecoveredDocumentProvider;
  log: vscode.LogOutputChannel;
}

export function registerTimelineCommands(deps: TimelineCommandDeps): vscode.Disposable[] {
  const { panels, search, statuses, documents, log } = deps;

  const pickAgent = async (): Promise<string | undefined> => {
    const list = (await statuses.refresh()).filter((s) => s.entriesCount > 0 || s.inMemory);
    if (list.length === 0) {
      void vscode.window.showInformationMessage('There is no buffer yet: a timeline appears once an agent buffered entries.');
      return undefined;
    }
    if (list.length === 1) return list[0].agentType;
    const picked = await vscode.window.showQuickPick(
      list.map((s) => ({ label: s.agentType, description: bufferDescription(s) })),
      { placeHolder: 'Show the timeline of which buffer?' },
    );
    return picked?.label;
  };

  const showInTimeline = (hit: SearchHit) => panels.show(hit.agentType, { entryId: hit.id, entryIndex: hit.entryIndex });

  const handlers: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    [TimelineCommandIds.showTimeline]: async (arg) => {
      const agent = agentFromArgument(arg) ?? (await pickAgent());
      if (!agent) return undefined;
      await panels.show(agent);
      return agent;
    },
    [TimelineCommandIds.search]: async (arg) => showSearchPick(search, {
      showInTimeline,
      showInDocument: (hit) => documents.openRendered(hit.agentType),
    }, typeof arg === 'string' ? arg : ''),
  };

  return Object.entries(handlers).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        log.error(`${id} failed: ${messageOf(error)}`);
        void vscode.window.showErrorMessage(`Nexus Buffer: ${messageOf(error)}`);
        return undefined;
      }
    }));
}
