// A local, scripted stand-in for the Anthropic Messages API, for driving the real Claude Code
// offline (ANTHROPIC_BASE_URL=<url>). It answers `POST /v1/messages` (server-sent events when
// `stream` is true, one JSON message otherwise) and `POST /v1/messages/count_tokens`; anything
// else gets an API-style 404. Every request is recorded, so tests can look at what Claude Code
// sent (e.g. that no hook output reached the model).
//
// What to answer is up to a Responder. `scriptedResponder` covers the usual case: each
// conversation is named by a marker in its prompt (`[[e2e:NAME]]`, see `marker()`), and its
// script is the list of assistant turns to give, one per request: the step is the number of
// assistant messages after the prompt, so the answer follows the conversation, not the order
// of requests (a subagent's requests interleave with its parent's; a resumed session carries
// the earlier turns). A subagent is a conversation of its own: give its prompt its own marker.
// Compaction requests (Claude Code asks for "<analysis>…</analysis><summary>…</summary>") get
// the scripted summary.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  /** Default: `toolu_<conversation>_<step>_<index>` (deterministic, so tests can look it up). */
  id?: string;
}

/** One assistant turn. */
export interface Reply {
  text?: string;
  toolCalls?: ToolCall[];
  /** Default: `tool_use` when there are tool calls, else `end_turn`. */
  stopReason?: string;
}

export type RequestKind = 'conversation' | 'compact' | 'count_tokens' | 'other';

export interface RecordedRequest {
  /** 0-based, in arrival order. */
  index: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: any;
  rawBody: string;
  kind: RequestKind;
  /** For scripted conversations: the conversation's name and the step answered. */
  conversation?: string;
  step?: number;
  receivedAt: number;
}

/** Returns the turn to answer a Messages request with. */
export type Responder = (request: RecordedRequest) => Reply | Promise<Reply>;

export interface FakeMessagesApi {
  /** For ANTHROPIC_BASE_URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  requests: RecordedRequest[];
  /** Resolves with the first recorded request (past or future) that matches. */
  waitForRequest(match: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

const MARKER = /\[\[e2e:([A-Za-z0-9_.-]+)\]\]/;

/** The text to put in a prompt so that `scriptedResponder` knows the conversation. */
export function marker(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad conversation name "${name}"`);
  return `[[e2e:${name}]]`;
}

/** The text blocks of a message (not tool results): what a person or Claude Code wrote. */
export function messageText(message: any): string {
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  if (!Array.isArray(message.content)) return '';
  return message.content.filter((b: any) => b && b.type === 'text' && typeof b.text === 'string').map((b: any) => b.text).join('\n');
}

/** Claude Code's compaction request: the last user message asks for an analysis and a summary. */
export function isCompactionRequest(body: any): boolean {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const last = [...messages].reverse().find((m) => m?.role === 'user');
  const text = messageText(last);
  return /create a detailed summary of the conversation/i.test(text) || /<summary> block/.test(text);
}

/**
 * The conversation a Messages request belongs to and its step: the last user message whose text
 * holds a marker names it, and the step is the number of assistant messages after it.
 */
export function conversationOf(body: any): { name: string; step: number } | undefined {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== 'user') continue;
    const found = MARKER.exec(messageText(m));
    if (!found) continue;
    const step = messages.slice(i + 1).filter((x) => x?.role === 'assistant').length;
    return { name: found[1], step };
  }
  return undefined;
}

export interface Script {
  /** Conversation name -> its turns. Past the end, the last turn is given again. */
  conversations: Record<string, Reply[]>;
  /** The summary a compaction gets (inside <summary>). */
  compactSummary?: string;
  /** A request of no known conversation. Default: a short text. */
  fallback?: Reply;
}

export function scriptedResponder(script: Script): Responder {
  return (request) => {
    if (request.kind === 'compact') {
      const summary = script.compactSummary ?? 'A summary of the conversation.';
      return { text: `<analysis>\nThe conversation so far.\n</analysis>\n\n<summary>\n${summary}\n</summary>` };
    }
    const found = conversationOf(request.body);
    const turns = found ? script.conversations[found.name] : undefined;
    if (!found || !turns || turns.length === 0) return script.fallback ?? { text: 'Nothing scripted for this request.' };
    request.conversation = found.name;
    request.step = found.step;
    const turn = turns[Math.min(found.step, turns.length - 1)];
    return {
      ...turn,
      toolCalls: turn.toolCalls?.map((call, i) => ({ ...call, id: call.id ?? toolUseId(found.name, found.step, i) })),
    };
  };
}

/** The id scriptedResponder gives the i-th tool call of a conversation's step. */
export function toolUseId(conversation: string, step: number, index = 0): string {
  return `toolu_${conversation.replace(/[^A-Za-z0-9_]/g, '_')}_${step}_${index}`;
}

let messageCounter = 0;

function messageFor(body: any, reply: Reply): any {
  const content: any[] = [];
  if (reply.text !== undefined && reply.text !== '') content.push({ type: 'text', text: reply.text });
  for (const [i, call] of (reply.toolCalls ?? []).entries()) {
    content.push({ type: 'tool_use', id: call.id ?? `toolu_fake_${messageCounter}_${i}`, name: call.name, input: call.input });
  }
  if (content.length === 0) content.push({ type: 'text', text: '' });
  return {
    id: `msg_fake_${process.pid}_${++messageCounter}`,
    type: 'message',
    role: 'assistant',
    model: typeof body?.model === 'string' ? body.model : 'claude-fake',
    content,
    stop_reason: reply.stopReason ?? ((reply.toolCalls ?? []).length > 0 ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: { input_tokens: estimateTokens(body), output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

function estimateTokens(body: any): number {
  return Math.max(1, Math.round(JSON.stringify(body?.messages ?? []).length / 4));
}

function writeSse(res: http.ServerResponse, message: any): void {
  const event = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  event('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } } });
  message.content.forEach((block: any, index: number) => {
    if (block.type === 'text') {
      event('content_block_start', { index, content_block: { type: 'text', text: '' } });
      if (block.text) event('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      event('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      // Two halves, as the real API streams partial JSON.
      const json = JSON.stringify(block.input);
      const half = Math.floor(json.length / 2);
      event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(0, half) } });
      event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(half) } });
    }
    event('content_block_stop', { index });
  });
  event('message_delta', { delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: message.usage.output_tokens } });
  event('message_stop', {});
  res.end();
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the server on 127.0.0.1 (a free port). */
export async function startFakeMessagesApi(responder: Responder): Promise<FakeMessagesApi> {
  const requests: RecordedRequest[] = [];
  const waiters = new Set<{ match: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: any;
        try {
          body = rawBody ? JSON.parse(rawBody) : undefined;
        } catch {
          body = undefined;
        }
        const url = new URL(req.url ?? '/', 'http://localhost');
        const isMessages = req.method === 'POST' && url.pathname === '/v1/messages';
        const kind: RequestKind = req.method === 'POST' && url.pathname === '/v1/messages/count_tokens' ? 'count_tokens'
          : isMessages ? (isCompactionRequest(body) ? 'compact' : 'conversation') : 'other';
        const request: RecordedRequest = {
          index: requests.length, method: req.method ?? '', path: url.pathname, headers: req.headers,
          body, rawBody, kind, receivedAt: Date.now(),
        };
        requests.push(request);
        try {
          if (kind === 'count_tokens') {
            sendJson(res, 200, { input_tokens: estimateTokens(body) });
          } else if (kind === 'other') {
            sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `${req.method} ${url.pathname}: not served by the fake Messages API` } });
          } else {
            const message = messageFor(body, await responder(request));
            if (body?.stream === true) writeSse(res, message);
            else sendJson(res, 200, message);
          }
        } catch (error) {
          sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: String((error as Error)?.stack ?? error) } });
        }
        for (const waiter of [...waiters]) {
          if (waiter.match(request)) {
            waiters.delete(waiter);
            waiter.resolve(request);
          }
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitForRequest(match, timeoutMs = 120_000) {
      const found = requests.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (r: RecordedRequest) => { clearTimeout(timer); resolve(r); } };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching request to the fake Messages API within ${timeoutMs} ms (${requests.length} requests so far)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}
