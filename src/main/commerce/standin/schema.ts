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

export interface StandinSchemaOptions {
  /** MM Mega Market's own fields (`ecom_name`, `unit_ecom`, `art_no`, ..., `addProductsToCart(use_art_no:)`). */
  mmExtensions: boolean;
  /** Behave like 2.4.6, which has no `createGuestCart`. */
  withoutCreateGuestCart: boolean;
}

const mmProductFieldsSdl = `
  ecom_name: String
  unit_ecom: String
  art_no: String
  mm_product_type: String
  is_alcohol: Boolean
  allow_pickup: Boolean
`;

/** The stand-in's schema: the 2.4.7 subset, plus MM's fields or minus 2.4.7's additions on request. */
export function buildStandinSchema(sdl: string, options: StandinSchemaOptions): GraphQLSchema {
  let schema = buildSchema(sdl);
  if (options.mmExtensions) {
    const implementations = schema.getImplementations(schema.getType('ProductInterface') as never).objects;
    const extension = [
      `extend interface ProductInterface { ${mmProductFieldsSdl} }`,
      ...implementations.map((type) => `extend type ${type.name} { ${mmProductFieldsSdl} }`),
      'extend type Cart { is_guest: Boolean }',
    ].join('\n');
    schema = extendSchema(schema, parse(extension));
  }
  if (!options.mmExtensions && !options.withoutCreateGuestCart) return schema;

  const config = schema.toConfig();
  const mutation = schema.getMutationType();
  if (!mutation) return schema;
  const fields: GraphQLFieldConfigMap<unknown, unknown> = { ...mutation.toConfig().fields };
  if (options.withoutCreateGuestCart) delete fields.createGuestCart;
  if (options.mmExtensions && fields.addProductsToCart) {
    fields.addProductsToCart = {
      ...fields.addProductsToCart,
      args: { ...fields.addProductsToCart.args, use_art_no: { type: GraphQLBoolean } },
    };
  }
  const newMutation = new GraphQLObjectType({ ...mutation.toConfig(), fields });
  return new GraphQLSchema({
    ...config,
    mutation: newMutation,
    types: config.types.map((type) => (isObjectType(type) && type.name === mutation.name ? newMutation : type)),
  });
}
