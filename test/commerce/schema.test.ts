import fs from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  parse,
  validate,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildOperations } from '../../src/main/commerce/operations';
import { buildDemoSchema } from '../../src/main/commerce/demo/schema';
import { demoSchemaSdl } from '../../src/main/commerce/demo/schemaSource';

// The real Adobe Commerce schemas, kept in the repository (see test/fixtures/magento/README.md).
const fixtures = path.resolve(import.meta.dirname, '../fixtures/magento');
const readSchema = (file: string): GraphQLSchema => buildSchema(fs.readFileSync(path.join(fixtures, file), 'utf8'));

const magento247 = readSchema('adobe-commerce-2.4.7.graphql');
const magento246 = readSchema('adobe-commerce-2.4.6.graphql');

const errorsOf = (schema: GraphQLSchema, document: string) => validate(schema, parse(document)).map((error) => error.message);

describe('operations against the real Magento schema', () => {
  const stock = buildOperations(false);

  it.each(Object.entries(stock))('%s validates against Adobe Commerce 2.4.7', (_name, document) => {
    expect(errorsOf(magento247, document)).toEqual([]);
  });

  it.each(Object.entries(stock).filter(([name]) => name !== 'createGuestCart'))(
    '%s also validates against 2.4.6 (older stores)',
    (_name, document) => {
      expect(errorsOf(magento246, document)).toEqual([]);
    },
  );

  it('createGuestCart is 2.4.7-only, which is why the client falls back to createEmptyCart', () => {
    expect(errorsOf(magento246, stock.createGuestCart)).toEqual([expect.stringContaining('createGuestCart')]);
  });

  it('keeps MM fields out unless asked: with them the stock schema rejects the operation, the MM demo schema accepts it', () => {
    const mm = buildOperations(true);
    expect(stock.searchProducts).not.toMatch(/ecom_name|unit_ecom|art_no/);
    expect(errorsOf(magento247, mm.searchProducts).join('\n')).toMatch(/ecom_name/);
    const mmSchema = buildDemoSchema(demoSchemaSdl, { mmExtensions: true });
    for (const document of Object.values(mm)) expect(errorsOf(mmSchema, document)).toEqual([]);
  });

  it('the bundled demo store schema is a subset of Adobe Commerce 2.4.7: every type, field, argument and value as in 2.4.7', () => {
    const demo = buildSchema(demoSchemaSdl);
    expect(demo.getQueryType()?.name).toBe(magento247.getQueryType()?.name);
    expect(demo.getMutationType()?.name).toBe(magento247.getMutationType()?.name);
    const names = Object.keys(demo.getTypeMap()).filter((name) => !name.startsWith('__'));
    expect(names.length).toBeGreaterThan(100);
    expect(names.flatMap((name) => differencesFrom247(demo.getType(name)!))).toEqual([]);
  });
});

/** What the demo store schema's `type` has that 2.4.7's type of the same name does not (or has differently). */
function differencesFrom247(type: GraphQLNamedType): string[] {
  const real = magento247.getType(type.name);
  if (!real) return [`${type.name}: not in 2.4.7`];
  if (real.constructor !== type.constructor) return [`${type.name}: a different kind of type in 2.4.7`];
  const differences: string[] = [];
  if ((isObjectType(type) || isInterfaceType(type)) && (isObjectType(real) || isInterfaceType(real))) {
    const realInterfaces = new Set(real.getInterfaces().map((item) => item.name));
    for (const item of type.getInterfaces()) if (!realInterfaces.has(item.name)) differences.push(`${type.name} implements ${item.name}`);
    const realFields = real.getFields();
    for (const field of Object.values(type.getFields())) {
      const realField = realFields[field.name];
      if (!realField) differences.push(`${type.name}.${field.name}: not in 2.4.7`);
      else if (String(realField.type) !== String(field.type)) differences.push(`${type.name}.${field.name}: ${String(field.type)}`);
      else
        for (const arg of field.args) {
          const realArg = realField.args.find((item) => item.name === arg.name);
          if (String(realArg?.type) !== String(arg.type)) differences.push(`${type.name}.${field.name}(${arg.name}: ${String(arg.type)})`);
        }
    }
  } else if (isInputObjectType(type) && isInputObjectType(real)) {
    const realFields = real.getFields();
    for (const field of Object.values(type.getFields()))
      if (String(realFields[field.name]?.type) !== String(field.type)) differences.push(`${type.name}.${field.name}: ${String(field.type)}`);
  } else if (isEnumType(type) && isEnumType(real)) {
    for (const value of type.getValues()) if (!real.getValue(value.name)) differences.push(`${type.name}.${value.name}: not in 2.4.7`);
  } else if (isUnionType(type) && isUnionType(real)) {
    const members = new Set(real.getTypes().map((item) => item.name));
    for (const member of type.getTypes()) if (!members.has(member.name)) differences.push(`${type.name} | ${member.name}: not in 2.4.7`);
  }
  return differences;
}
