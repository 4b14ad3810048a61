/**
 * The paper keeps only traces that run locally. The rule, explicit and testable:
 * a trace needs an external API (and is excluded) when
 *  1. a code block calls a tool from `denyTools` (web_search, visit_webpage, ...), or
 *  2. a code block calls a tool the system prompt declares (`- name: ...` or
 *     `def name(...)` lines) that is not in `localTools`, or
 *  3. a code block imports a network module from `denyModules` (requests, urllib,
 *     http, ...), or
 *  4. an observation matches one of `networkObservations` (search results pages,
 *     HTTP errors, connection failures).
 * Each reason found is reported, so a filter's decisions can be audited.
 */
import type { Trace } from './types.js';

export interface ExternalApiRule {
  denyTools: string[];
  localTools: string[];
  denyModules: string[];
  networkObservations: RegExp[];
}

export const DEFAULT_EXTERNAL_API_RULE: ExternalApiRule = {
  denyTools: [
    'web_search',
    'visit_webpage',
    'google_search',
    'duckduckgo_search',
    'wikipedia_search',
    'search',
    'navigational_web_search',
    'inspect_file_as_text',
    'image_generator',
    'transcriber',
    'ask_search_agent',
  ],
  localTools: ['final_answer', 'python_interpreter', 'print'],
  denyModules: [
    'requests',
    'urllib',
    'urllib2',
    'urllib3',
    'http',
    'httpx',
    'aiohttp',
    'socket',
    'ftplib',
    'smtplib',
    'websocket',
    'websockets',
    'selenium',
    'bs4',
    'duckduckgo_search',
    'googlesearch',
    'wikipedia',
    'yfinance',
  ],
  networkObservations: [
    /## Search Results/,
    /\bHTTPError\b/,
    /\bConnectionError\b/,
    /Max retries exceeded with url/,
    /Address: https?:\/\//,
    /\b(?:403|404|429|500) Client Error\b/,
  ],
};

export interface ExternalApiVerdict {
  external: boolean;
  reasons: string[];
}

/** Tool names the system prompt declares, smolagents style (`- name: ...` or `def name(`). */
export function declaredTools(systemPrompt: string): string[] {
  const names = new Set<string>();
  for (const m of systemPrompt.matchAll(/^\s*-\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/gm)) names.add(m[1]!);
  for (const m of systemPrompt.matchAll(/^\s*def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/gm)) names.add(m[1]!);
  return [...names];
}

function callsName(code: string, name: string): boolean {
  return new RegExp(`(?<![A-Za-z0-9_.])${name}\\s*\\(`).test(code);
}

function importedModules(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/^\s*import\s+([^\n#]+)/gm)) {
    for (const part of m[1]!.split(',')) out.push(part.trim().split(/\s+/)[0]!.split('.')[0]!);
  }
  for (const m of code.matchAll(/^\s*from\s+([A-Za-z_][A-Za-z0-9_.]*)\s+import\b/gm)) out.push(m[1]!.split('.')[0]!);
  return out;
}

/** Whether a trace needs an external API, with the reasons. */
export function externalApiUse(
  trace: Pick<Trace, 'system' | 'steps'>,
  rule: ExternalApiRule = DEFAULT_EXTERNAL_API_RULE,
): ExternalApiVerdict {
  if (typeof trace !== 'object' || trace === null || !Array.isArray(trace.steps))
    throw new TypeError(
      `externalApiUse: expected a parsed Trace ({ system, steps }), got ${trace === null ? 'null' : typeof trace}`,
    );
  const reasons: string[] = [];
  const declared = declaredTools(trace.system).filter((t) => !rule.localTools.includes(t));
  trace.steps.forEach((step, s) => {
    for (const code of step.code) {
      for (const tool of rule.denyTools) if (callsName(code, tool)) reasons.push(`step ${s + 1}: calls ${tool}()`);
      for (const tool of declared)
        if (!rule.denyTools.includes(tool) && callsName(code, tool))
          reasons.push(`step ${s + 1}: calls non-local tool ${tool}()`);
      for (const mod of importedModules(code))
        if (rule.denyModules.includes(mod)) reasons.push(`step ${s + 1}: imports ${mod}`);
    }
    for (const pattern of rule.networkObservations)
      if (pattern.test(step.feedback))
        reasons.push(`step ${s + 1}: observation shows network access (${pattern.source})`);
  });
  return { external: reasons.length > 0, reasons: [...new Set(reasons)] };
}
