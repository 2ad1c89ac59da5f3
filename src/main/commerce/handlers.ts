import type { commerceChannels } from '@shared/contract/commerce';
import type { HandlersFor } from '../core/dispatch';
import type { StoreApi } from './service';

export function createCommerceHandlers(commerce: StoreApi): HandlersFor<keyof typeof commerceChannels> {
  return {
    'catalog.search': (request) => commerce.searchProducts(request),
    'catalog.product': (request) => commerce.getProduct(request),
    'catalog.categories': () => commerce.categories(),
    'cart.get': (request) => commerce.getCart(request),
    'cart.add': (request) => commerce.addToCart(request),
    'cart.update': (request) => commerce.updateCartItem(request),
    'cart.remove': (request) => commerce.removeCartItem(request),
  };
}
