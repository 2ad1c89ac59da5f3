import {
  buildSchema,
  extendSchema,
  GraphQLBoolean,
  GraphQLObjectType,
  GraphQLSchema,
  isObjectType,
  parse,
  type GraphQLFieldConfigMap,
} from 'graphql';

export interface DemoSchemaOptions {
  /** MM Mega Market's own fields (`ecom_name`, `unit_ecom`, `art_no`, ..., `addProductsToCart(use_art_no:)`). */
  mmExtensions: boolean;
}

const mmProductFieldsSdl = `
  ecom_name: String
  unit_ecom: String
  art_no: String
  mm_product_type: String
  is_alcohol: Boolean
  allow_pickup: Boolean
`;

/** The demo store's schema: the 2.4.7 subset in `schema.graphql`, plus MM's fields on request. */
export function buildDemoSchema(sdl: string, options: DemoSchemaOptions): GraphQLSchema {
  const schema = buildSchema(sdl);
  if (!options.mmExtensions) return schema;
  const implementations = schema.getImplementations(schema.getType('ProductInterface') as never).objects;
  const extension = [
    `extend interface ProductInterface { ${mmProductFieldsSdl} }`,
    ...implementations.map((type) => `extend type ${type.name} { ${mmProductFieldsSdl} }`),
    'extend type Cart { is_guest: Boolean }',
  ].join('\n');
  const extended = extendSchema(schema, parse(extension));
  return withMutationFields(extended, (fields) => {
    if (fields.addProductsToCart) {
      fields.addProductsToCart = {
        ...fields.addProductsToCart,
        args: { ...fields.addProductsToCart.args, use_art_no: { type: GraphQLBoolean } },
      };
    }
  });
}

/** The schema with its mutation type's fields changed by `change` (graphql-js schemas are immutable). */
export function withMutationFields(schema: GraphQLSchema, change: (fields: GraphQLFieldConfigMap<unknown, unknown>) => void): GraphQLSchema {
  const config = schema.toConfig();
  const mutation = schema.getMutationType();
  if (!mutation) return schema;
  const fields: GraphQLFieldConfigMap<unknown, unknown> = { ...mutation.toConfig().fields };
  change(fields);
  const newMutation = new GraphQLObjectType({ ...mutation.toConfig(), fields });
  return new GraphQLSchema({
    ...config,
    mutation: newMutation,
    types: config.types.map((type) => (isObjectType(type) && type.name === mutation.name ? newMutation : type)),
  });
}
