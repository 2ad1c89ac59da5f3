import { AGENT_NAMES } from '@shared/agentNames';
import { Agent } from './agent';
import { instructionFor } from './instructions';
import type { CommercePort, MemoryToolSpec } from './ports';
import { createCartTools } from './tools/cartTools';
import { createMemoryTools } from './tools/memoryTools';
import { createProductTools } from './tools/productTools';

export { AGENT_NAMES };

export interface AgentTreeDeps {
  commerce: CommercePort;
  memoryTools: readonly MemoryToolSpec[];
}

/** The root agent (greets, routes, owns the memory tools) with the product and cart agents below it. */
export function createAgentTree(deps: AgentTreeDeps): Agent {
  const product = createProductTools(deps.commerce);
  const productAgent = new Agent({
    name: AGENT_NAMES.product,
    description: 'Finds products, shows details, compares them and suggests ingredients for a dish.',
    instruction: ({ language }) => instructionFor('product', language),
    tools: [product.search, product.details, product.compare, product.ingredients],
  });
  const cartAgent = new Agent({
    name: AGENT_NAMES.cart,
    description: "Creates the customer's cart, adds, changes quantities, removes and shows it.",
    instruction: ({ language }) => instructionFor('cart', language),
    tools: [...createCartTools(deps.commerce), product.search],
  });
  return new Agent({
    name: AGENT_NAMES.root,
    description: 'Greets, understands the request, remembers things about the customer and routes.',
    instruction: ({ language }) => instructionFor('root', language),
    tools: createMemoryTools(deps.memoryTools),
    subAgents: [productAgent, cartAgent],
  });
}

/** Summarises a conversation into `{summary, key_facts, user_preferences, important_events, timestamp}`. */
export function createSummarizerAgent(): Agent {
  return new Agent({
    name: AGENT_NAMES.summarizer,
    description: 'Summarises a conversation for long-term storage.',
    instruction: ({ language }) => instructionFor('summarizer', language),
    jsonOutput: true,
  });
}
