import standinSchemaSdl from './schema.graphql?raw';

/** The stand-in's SDL (Adobe Commerce 2.4.7, pruned), bundled so the demo store needs no files at run time. */
export { standinSchemaSdl };
