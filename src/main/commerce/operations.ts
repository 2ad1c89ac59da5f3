/**
 * Every GraphQL document the client sends. Stock fields only, valid on Magento 2.4.6 and 2.4.7
 * (deprecated `Cart.items` rather than 2.4.7-only `itemsV2`); MM Mega Market's own fields are added
 * only when `mmExtensions` is on, so the client also works on a stock store.
 */

export interface Operations {
  searchProducts: string;
  productBySku: string;
  categories: string;
  storeConfig: string;
  createGuestCart: string;
  createEmptyCart: string;
  cart: string;
  addProductsToCart: string;
  updateCartItems: string;
  removeItemFromCart: string;
}

/** MM's extension fields on products; not in the stock schema. */
export const mmProductFields = ['ecom_name', 'unit_ecom', 'art_no'] as const;

const compact = (document: string): string => document.replace(/\s+/g, ' ').trim();

export function buildOperations(mmExtensions: boolean): Operations {
  const mmFields = mmExtensions ? mmProductFields.join(' ') : '';
  const productCard = `fragment ProductCard on ProductInterface {
    uid sku name url_key url_suffix canonical_url stock_status
    thumbnail { url label }
    price_range { minimum_price {
      regular_price { value currency } final_price { value currency } discount { amount_off percent_off }
    } }
    ${mmFields}
  }`;
  const cartFields = `fragment CartFields on Cart {
    id total_quantity
    items { uid quantity
      prices { price { value } row_total { value } }
      product { sku name thumbnail { url } ${mmExtensions ? 'unit_ecom' : ''} }
    }
    prices {
      subtotal_including_tax { value }
      grand_total { value currency }
      discounts { amount { value } label }
    }
  }`;
  const cartMutation = (name: string, args: string, call: string) =>
    compact(`mutation ${name}(${args}) { ${call} { cart { ...CartFields } } } ${cartFields}`);

  return {
    searchProducts:
      compact(`query SearchProducts($search: String, $filter: ProductAttributeFilterInput, $pageSize: Int, $currentPage: Int, $sort: ProductAttributeSortInput) {
      products(search: $search, filter: $filter, pageSize: $pageSize, currentPage: $currentPage, sort: $sort) {
        total_count
        page_info { current_page page_size total_pages }
        suggestions { search }
        items { ...ProductCard }
      }
    } ${productCard}`),
    productBySku: compact(`query ProductBySku($sku: String!) {
      products(filter: { sku: { eq: $sku } }, pageSize: 1) {
        items { ...ProductCard description { html } categories { uid name } }
      }
    } ${productCard}`),
    categories: compact(`query Categories {
      categories(pageSize: 50) { items {
        uid name url_path product_count
        children { uid name url_path product_count children { uid name url_path product_count } }
      } }
    }`),
    storeConfig: compact(`query StoreConfig {
      storeConfig { store_code store_name base_currency_code default_display_currency_code locale secure_base_url }
    }`),
    createGuestCart: compact(`mutation CreateGuestCart { createGuestCart { cart { id } } }`),
    createEmptyCart: compact(`mutation CreateEmptyCart { createEmptyCart }`),
    cart: compact(`query Cart($cartId: String!) { cart(cart_id: $cartId) { ...CartFields } } ${cartFields}`),
    addProductsToCart: compact(`mutation AddProductsToCart($cartId: String!, $cartItems: [CartItemInput!]!) {
      addProductsToCart(cartId: $cartId, cartItems: $cartItems) { cart { ...CartFields } user_errors { code message } }
    } ${cartFields}`),
    updateCartItems: cartMutation(
      'UpdateCartItems',
      '$cartId: String!, $uid: ID!, $quantity: Float!',
      'updateCartItems(input: { cart_id: $cartId, cart_items: [{ cart_item_uid: $uid, quantity: $quantity }] })',
    ),
    removeItemFromCart: cartMutation(
      'RemoveItemFromCart',
      '$cartId: String!, $uid: ID!',
      'removeItemFromCart(input: { cart_id: $cartId, cart_item_uid: $uid })',
    ),
  };
}
