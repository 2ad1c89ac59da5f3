import type { z } from 'zod';
import { AppError } from '@shared/errors';

/** Validates input of direct callers (the agent) with the contract's schemas: bad input never reaches the store. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new AppError('invalid_request', result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '), {
      issues: result.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
    });
  }
  return result.data;
}
