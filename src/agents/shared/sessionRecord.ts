// Turning what a session reader understood of one line into a SessionRecord. The readers map a
// line by handing the agent's hook mapping the payload its hook would have received for the
// same moment (a tool call and its result, a prompt, a compaction summary): one mapping of
// commands, files, errors and subagents per agent, whether the event came live or from the file.
// Here the entry is then marked as imported: `capture` names the session file, the file and the
// line are in `custom`, and its times are the line's own.
import type { PartialSessionContext } from '../../core/schema';
import type { SessionRecord } from '../types';
import type { Json } from './payload';

export interface LineSource {
  agent: string;
  file: string;
  line: number;
  /** The line's kind in the agent's format, e.g. `user`, `response_item/function_call`. */
  lineType: string;
}

/** `native-<agent>-<the agent's own id>`: the same line always gives the same entry id. */
export function nativeId(agent: string, ownId: string): string {
  const id = `native-${agent}-${ownId}`;
  return id.length <= 200 ? id : id.slice(0, 200);
}

export function sessionRecord(
  source: LineSource, ownId: string, timestamp: string, sessionId: string | null,
  mapped: { context: PartialSessionContext; contextType: string },
): SessionRecord {
  const custom: Json = { ...((mapped.context.custom as Json | undefined) ?? {}) };
  delete custom.capture;
  delete custom.hook_event_name;
  const context: PartialSessionContext = {
    ...mapped.context,
    agent_type: source.agent,
    session_id: sessionId,
    extraction_started: timestamp,
    extraction_completed: timestamp,
    extraction_source: 'native',
    custom: { capture: `${source.agent}-session-file`, source_file: source.file, source_line: source.line, line_type: source.lineType, ...custom },
  };
  return { id: nativeId(source.agent, ownId), timestamp, contextType: mapped.contextType, context };
}

/** A record with nothing but its line's facts (a session start, a line kept only to restore the file). */
export function bareRecord(source: LineSource, ownId: string, timestamp: string, sessionId: string | null, contextType: string, custom: Json = {}): SessionRecord {
  return sessionRecord(source, ownId, timestamp, sessionId, { context: { custom }, contextType });
}
