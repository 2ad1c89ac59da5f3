/**
 * What the Gemini API accepts, as far as this app's requests go, written from the API reference
 * (function declarations, thought signatures, multi-turn contents). The stand-in checks every
 * request against these rules and answers 400 like the API when one is broken.
 */

/**
 * Keywords the API documents for a function declaration's schema (the `Schema` object of the
 * function-calling reference, which `parametersJsonSchema` also takes). `additionalProperties` is
 * allowed only as a boolean, as in the reference's example. Anything else — `$ref`, `$defs`,
 * `oneOf`, `allOf`, `const`, `exclusiveMinimum`, `propertyNames`, ... — is outside the documented list.
 */
export const DOCUMENTED_SCHEMA_KEYWORDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'items',
  'minItems',
  'maxItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'anyOf',
  'propertyOrdering',
  'default',
  'minimum',
  'maximum',
  'additionalProperties',
]);

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);

/** Problems of one declaration's schema: undocumented keywords, references, non-boolean maps, bad types. */
export function schemaProblems(schema: unknown, path = '$'): string[] {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return [`${path} is not a schema object`];
  const problems: string[] = [];
  for (const [keyword, value] of Object.entries(schema)) {
    const at = `${path}.${keyword}`;
    if (!DOCUMENTED_SCHEMA_KEYWORDS.has(keyword)) {
      problems.push(`${at}: keyword "${keyword}" is not in the documented list`);
      continue;
    }
    switch (keyword) {
      case 'properties':
        for (const [name, child] of Object.entries(value as Record<string, unknown>))
          problems.push(...schemaProblems(child, `${path}.properties.${name}`));
        break;
      case 'items':
        problems.push(...schemaProblems(value, at));
        break;
      case 'anyOf':
        if (!Array.isArray(value) || value.length === 0) problems.push(`${at} must be a non-empty list`);
        else value.forEach((child, index) => problems.push(...schemaProblems(child, `${at}[${index}]`)));
        break;
      case 'additionalProperties':
        if (typeof value !== 'boolean') problems.push(`${at} must be a boolean`);
        break;
      case 'type':
        if (typeof value !== 'string' || !JSON_TYPES.has(value)) problems.push(`${at}: "${String(value)}" is not a single JSON type`);
        break;
      case 'required':
        if (!Array.isArray(value) || value.some((name) => typeof name !== 'string')) problems.push(`${at} must list property names`);
        break;
      case 'enum':
        if (!Array.isArray(value) || value.length === 0) problems.push(`${at} must be a non-empty list`);
        break;
    }
  }
  return problems;
}

export interface RequestPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { id?: string; name?: string; args?: unknown };
  functionResponse?: { id?: string; name?: string; response?: unknown };
}

export interface RequestContent {
  role?: string;
  parts?: RequestPart[];
}

/**
 * Problems with the contents' shape: they start with the user, roles alternate (the API takes
 * consecutive same-role turns badly; this app merges them), no content is empty, and every model
 * turn with function calls is followed by one user turn answering exactly those calls, in order.
 */
export function contentsProblems(contents: readonly RequestContent[]): string[] {
  const problems: string[] = [];
  if (contents.length === 0) return ['contents are empty'];
  if (contents[0]!.role !== 'user') problems.push('contents[0] is not a user turn');
  contents.forEach((content, index) => {
    if (content.role !== 'user' && content.role !== 'model') problems.push(`contents[${index}] has role ${String(content.role)}`);
    if (!content.parts || content.parts.length === 0) problems.push(`contents[${index}] has no parts`);
    if (index > 0 && contents[index - 1]!.role === content.role)
      problems.push(`contents[${index - 1}] and contents[${index}] are both ${String(content.role)} turns`);
    const calls = (content.parts ?? []).filter((part) => part.functionCall).map((part) => part.functionCall!);
    const responses = (content.parts ?? []).filter((part) => part.functionResponse).map((part) => part.functionResponse!);
    if (content.role === 'model' && calls.length > 0) {
      const next = contents[index + 1];
      const answers = (next?.parts ?? []).filter((part) => part.functionResponse).map((part) => part.functionResponse!);
      const same =
        next?.role === 'user' &&
        answers.length === calls.length &&
        answers.every((answer, at) => answer.name === calls[at]!.name && (calls[at]!.id === undefined || answer.id === calls[at]!.id));
      if (!same) problems.push(`contents[${index}]: ${calls.length} function call(s) not answered in order by the next user turn`);
    }
    if (content.role === 'user' && responses.length > 0) {
      const previous = contents[index - 1];
      const called = (previous?.parts ?? []).filter((part) => part.functionCall).length;
      if (previous?.role !== 'model' || called !== responses.length) problems.push(`contents[${index}]: function responses without their calls`);
    }
    if (content.role === 'user' && calls.length > 0) problems.push(`contents[${index}]: a user turn carries function calls`);
  });
  return problems;
}

/**
 * Gemini 3's rule: in the current turn (everything after the last user turn with staff text),
 * the first function call of each model step must carry the thought signature the model gave it.
 * `issued` holds the signatures this stand-in handed out.
 */
/** The API reference's value for function calls a client injected itself. */
export const INJECTED_SIGNATURE = 'skip_thought_signature_validator';

export function signatureProblems(contents: readonly RequestContent[], issued: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  let start = 0;
  contents.forEach((content, index) => {
    if (content.role === 'user' && (content.parts ?? []).some((part) => typeof part.text === 'string')) start = index + 1;
  });
  contents.forEach((content, index) => {
    for (const part of content.parts ?? []) {
      if (part.thoughtSignature && part.thoughtSignature !== INJECTED_SIGNATURE && !issued.has(part.thoughtSignature))
        problems.push(`contents[${index}]: thought signature was not issued by the model`);
    }
    if (index < start || content.role !== 'model') return;
    const first = (content.parts ?? []).find((part) => part.functionCall);
    if (first && !first.thoughtSignature) {
      problems.push(
        `Function call is missing a thought_signature in functionCall parts (contents[${index}], function ${first.functionCall!.name ?? '?'})`,
      );
    }
  });
  return problems;
}
