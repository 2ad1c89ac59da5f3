import { z } from 'zod';
import { customerIdentitySchema } from '../identity';
import type { CartChanged, CartResult, CategorySummary, ProductDetail, ProductSearchResult } from '../commerce';
import { channel, event } from './define';

/** A Magento SKU as MM uses them (digits, letters, `-`, `_`, `.`). */
export const skuSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'SKU: letters, digits, -, _ and . only (at most 64)');

/** The customer whose cart it is, canonicalised as everywhere else (`@shared/identity`). */
export const customerIdSchema = customerIdentitySchema;

export const quantitySchema = z.number().int('quantity must be a whole number').positive('quantity must be at least 1').max(999);

/** A cart line's uid as the store gives it. */
export const cartLineUidSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9+/=_-]+$/, 'not a cart line id');

export const searchRequestSchema = z
  .object({
    query: z.string().trim().min(1, 'type something to search for').max(200),
    pageSize: z.number().int().min(1).max(50).optional(),
    currentPage: z.number().int().min(1).max(100).optional(),
  })
  .strict();

export const productRequestSchema = z.object({ sku: skuSchema }).strict();
export const cartRequestSchema = z.object({ customerId: customerIdSchema }).strict();
export const cartAddSchema = z.object({ customerId: customerIdSchema, sku: skuSchema, quantity: quantitySchema }).strict();
export const cartUpdateSchema = z.object({ customerId: customerIdSchema, uid: cartLineUidSchema, quantity: quantitySchema }).strict();
export const cartRemoveSchema = z.object({ customerId: customerIdSchema, uid: cartLineUidSchema }).strict();

export const commerceChannels = {
  'catalog.search': channel<ProductSearchResult>()(searchRequestSchema),
  'catalog.product': channel<ProductDetail>()(productRequestSchema),
  'catalog.categories': channel<CategorySummary[]>()(z.object({}).strict()),
  'cart.get': channel<CartResult>()(cartRequestSchema),
  'cart.add': channel<CartResult>()(cartAddSchema),
  'cart.update': channel<CartResult>()(cartUpdateSchema),
  'cart.remove': channel<CartResult>()(cartRemoveSchema),
};

export const commerceEvents = {
  /** The cart changed (from the UI or the agent); `recreated` when the store had lost it. */
  'cart.changed': event<CartChanged>(),
};
