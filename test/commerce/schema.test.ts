import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildOperations } from '../../src/main/commerce/operations';
import { buildStandinSchema } from '../../src/main/commerce/standin/schema';
import { standinSchemaSdl } from '../../src/main/commerce/standin/schemaSource';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const readSchema = (file: string): GraphQLSchema =>
  buildSchema(fs.readFileSync(path.resolve(repoRoot, '../shared/magento', file), 'utf8'));

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

  it('keeps MM fields out unless asked: with them the stock schema rejects the operation, the MM stand-in accepts it', () => {
    const mm = buildOperations(true);
    expect(stock.searchProducts).not.toMatch(/ecom_name|unit_ecom|art_no/);
    expect(errorsOf(magento247, mm.searchProducts).join('\n')).toMatch(/ecom_name/);
    const mmSchema = buildStandinSchema(standinSchemaSdl, { mmExtensions: true, withoutCreateGuestCart: false });
    for (const document of Object.values(mm)) expect(errorsOf(mmSchema, document)).toEqual([]);
  });

  it('the bundled stand-in schema is the shared 2.4.7 subset, byte for byte', () => {
    expect(standinSchemaSdl).toBe(fs.readFileSync(path.resolve(repoRoot, '../shared/magento/standin-subset-2.4.7.graphql'), 'utf8'));
  });
});
