import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_NAMES, CART_TOOL_NAMES, MEMORY_TOOL_NAMES, PRODUCT_TOOL_NAMES, TOOL_NAMES } from '@shared/agentNames';
import { channelNames, contract, events, eventNames, isChannelName, isEventName } from '@shared/contract';
import * as names from '@shared/contract/names';
import { createAgentTree, createSummarizerAgent } from '../../src/main/agent/agents';
import type { Agent } from '../../src/main/agent/agent';
import { createMemoryTools } from '../../src/main/memory/tools';
import type { Services } from '../../src/main/app/services';
import { snapshotDatabase } from '../helpers/dbSnapshot';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

let services: Services | null = null;
afterEach(async () => {
  await services?.close();
  services = null;
});

const malformedRequests: unknown[] = [42, 'text', [], { unexpected_field_that_no_schema_has: true }];

describe('IPC contract', () => {
  it('lists in names.ts (zod-free, what the preload bundles) exactly the channels and events the schemas declare', () => {
    expect([...names.channelNames].sort()).toEqual(Object.keys(contract).sort());
    expect([...names.eventNames].sort()).toEqual(Object.keys(events).sort());
    expect(new Set(names.channelNames).size).toBe(names.channelNames.length);
    expect(new Set(names.eventNames).size).toBe(names.eventNames.length);
    // The contract's index re-exports the same lists and checks.
    expect(channelNames).toBe(names.channelNames);
    expect(eventNames).toBe(names.eventNames);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'chat.history']) {
      expect(isChannelName(name), name).toBe(false);
      expect(isEventName(name), name).toBe(false);
    }
    expect(channelNames.every(isChannelName) && eventNames.every(isEventName)).toBe(true);
  });

  it('names the agents and tools main declares with the shared constants the renderer labels them by', async () => {
    services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    const root = createAgentTree({ commerce: services.commerce, memoryTools: Object.values(createMemoryTools(services.memory!.memory)) });
    const agents: Agent[] = [];
    const walk = (agent: Agent) => {
      agents.push(agent);
      agent.subAgents.forEach(walk);
    };
    walk(root);
    agents.push(createSummarizerAgent());
    expect(agents.map((agent) => agent.name).sort()).toEqual(Object.values(AGENT_NAMES).sort());
    const toolsOf = (name: string) =>
      agents
        .find((agent) => agent.name === name)!
        .allTools()
        .map((tool) => tool.name);
    const declared = new Set(agents.flatMap((agent) => agent.allTools().map((tool) => tool.name)));
    expect([...declared].sort()).toEqual(Object.values(TOOL_NAMES).sort());
    expect(
      toolsOf(AGENT_NAMES.root)
        .filter((name) => name !== TOOL_NAMES.transferToAgent)
        .sort(),
    ).toEqual([...MEMORY_TOOL_NAMES].sort());
    expect(
      toolsOf(AGENT_NAMES.product)
        .filter((name) => name !== TOOL_NAMES.transferToAgent)
        .sort(),
    ).toEqual([...PRODUCT_TOOL_NAMES].sort());
    expect(toolsOf(AGENT_NAMES.cart)).toEqual(expect.arrayContaining([...CART_TOOL_NAMES]));
  });

  it("is reached from the renderer's components only through their stores, by selector", () => {
    const root = path.resolve(import.meta.dirname, '../../src/renderer/src/components');
    const files = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.tsx'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = fs.readFileSync(path.join(root, file), 'utf8');
      expect(source, `${file} calls window.api`).not.toMatch(/window\.api|globalThis\.api/);
      expect(source, `${file} calls the contract`).not.toMatch(/\bcall\(|\.invoke\(|import \{[^}]*\bcall\b[^}]*\} from '[./]+api\/client'/);
      // `useXStore()` re-renders on every change of the store; components select what they show.
      expect(source, `${file} subscribes to a whole store`).not.toMatch(/\buse\w+Store\(\s*\)/);
    }
  });

  it('declares a strict zod schema for every channel', () => {
    expect(channelNames.length).toBeGreaterThanOrEqual(4);
    for (const name of channelNames) {
      const parsed = contract[name].request.safeParse({ unexpected_field_that_no_schema_has: true });
      expect(parsed.success, `${name} accepted an unknown field`).toBe(false);
    }
  });

  it('refuses a malformed request on every channel with invalid_request and changes nothing', async () => {
    services = await startServices(tempDir());
    const before = snapshotDatabase(services.db!);
    for (const name of channelNames) {
      for (const request of malformedRequests) {
        const result = await services.dispatch(name, request, { transport: 'test' });
        expect(result.ok, `${name} accepted ${JSON.stringify(request)}`).toBe(false);
        if (!result.ok) expect(result.error.code).toBe('invalid_request');
      }
    }
    expect(snapshotDatabase(services.db!)).toBe(before);
  });

  it('names the offending field of a refused settings change and keeps the old value', async () => {
    services = await startServices(tempDir());
    const result = await services.dispatch('settings.set', { storeEndpoint: 'not a url', language: 'fr' }, { transport: 'test' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid_request');
    const paths = (result.error.details as { path: string[] }[]).map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['storeEndpoint', 'language']));
    const current = await services.dispatch('settings.get', {}, { transport: 'test' });
    expect(current).toMatchObject({ ok: true, value: { language: 'vi', storeEndpoint: 'https://online.mmvietnam.com/graphql' } });
  });

  it('refuses unknown channels, including prototype names', async () => {
    services = await startServices(tempDir());
    for (const name of ['settings.drop', '__proto__', 'constructor', 'toString', '', 42]) {
      const result = await services.dispatch(name, {}, { transport: 'test' });
      expect(result).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    }
  });

  it('never returns the API key, only whether one is set', async () => {
    services = await startServices(tempDir());
    const key = 'AIzaSyTESTKEY_abcdefghijklmnopqrstu';
    const saved = await services.dispatch('settings.setApiKey', { apiKey: key }, { transport: 'test' });
    expect(saved).toMatchObject({ ok: true, value: { apiKeySet: true } });
    for (const name of ['settings.get', 'app.info'] as const) {
      const result = await services.dispatch(name, {}, { transport: 'test' });
      expect(JSON.stringify(result)).not.toContain(key);
    }
    const info = await services.dispatch('app.info', {}, { transport: 'test' });
    expect(info).toMatchObject({ ok: true, value: { modelProvider: 'gemini' } });
  });
});
