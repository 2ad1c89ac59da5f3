import demoSchemaSdl from './schema.graphql?raw';

/** The demo store's SDL (Adobe Commerce 2.4.7, pruned), bundled so the demo store needs no files at run time. */
export { demoSchemaSdl };
