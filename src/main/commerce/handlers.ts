import type { commerceChannels } from '@shared/contract/commerce';
import type { Language } from '@shared/settings';
import { inStaffLanguage } from '@shared/storeErrors';
import type { HandlersFor } from '../core/dispatch';
import type { StoreApi } from './service';

/** The catalog and cart channels; a store failure answers in the staff's language (Settings), the store's own words kept in `details.original`. */
export function createCommerceHandlers(commerce: StoreApi, language: () => Language = () => 'vi'): HandlersFor<keyof typeof commerceChannels> {
  const staff = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw inStaffLanguage(error, language());
    }
  };
  return {
    'catalog.search': (request) => staff(() => commerce.searchProducts(request)),
    'catalog.product': (request) => staff(() => commerce.getProduct(request)),
    'catalog.categories': () => staff(() => commerce.categories()),
    'cart.get': (request) => staff(() => commerce.getCart(request)),
    'cart.add': (request) => staff(() => commerce.addToCart(request)),
    'cart.update': (request) => staff(() => commerce.updateCartItem(request)),
    'cart.remove': (request) => staff(() => commerce.removeCartItem(request)),
  };
}
