import { FunctionTool, type ToolResult } from '../tool';
import type { MemoryToolSpec } from '../ports';

/** The memory service's tools as agent tools: the scope is the run's customer and session, never a model argument. */
export function createMemoryTools(specs: readonly MemoryToolSpec[]): FunctionTool[] {
  return specs.map(
    (spec) =>
      new FunctionTool({
        name: spec.name,
        description: spec.description,
        parameters: spec.parameters,
        execute: async (args, context) =>
          (await spec.execute(args as never, { userId: context.userId, sessionId: context.sessionId, turnId: context.runId })) as ToolResult,
      }),
  );
}
