import { useId } from 'react';
import type { ToolProduct } from '@shared/contract/toolResults';
import { APP_ORIGIN, productImageSrc } from '@shared/security';
import { formatVnd } from '../format';
import { useT } from '../i18n';
import { useCartStore } from '../store/cartStore';
import { useChatStore } from '../store/chatStore';

/**
 * Where an `<img>` finds a store image: through the app (main keeps it on disk, so it shows
 * offline), never from the store itself, which the CSP forbids. The page's own origin in the
 * built app (`mm-app://app`) and the bridge; the app scheme under Electron's dev server.
 */
export function imageSrc(storeUrl: string): string {
  return productImageSrc(storeUrl, import.meta.env.DEV ? APP_ORIGIN : '');
}

/**
 * A product as a tool result carries it (contract/toolResults.ts). Its quantity and "Đã thêm 2" are
 * kept in the chat store under `stateKey` (the conversation item and the SKU), so they survive the
 * card leaving the screen and pane switches.
 */
export function ProductCard({ product, canAdd, stateKey }: { product: ToolProduct; canAdd: boolean; stateKey: string }) {
  const t = useT();
  const add = useCartStore((state) => state.add);
  const quantity = useChatStore((state) => state.cards[stateKey]?.quantity ?? 1);
  const added = useChatStore((state) => state.cards[stateKey]?.added ?? null);
  const setCard = useChatStore((state) => state.setCard);
  const setQuantity = (value: number) => setCard(stateKey, { quantity: value });
  const setAdded = (value: number) => setCard(stateKey, { added: value });
  const quantityId = `qty-${useId()}`;

  async function addToCart() {
    await add(product.sku, quantity);
    if (useCartStore.getState().sync === 'synced') setAdded(quantity);
  }

  return (
    <article className="product-card" aria-label={product.name} data-sku={product.sku}>
      {product.imageUrl ? <img src={imageSrc(product.imageUrl)} alt="" loading="lazy" width={72} height={72} /> : <div className="product-noimage" />}
      <div className="product-body">
        <h3 className="product-name">{product.name}</h3>
        <div className="muted">
          {product.brand ? `${product.brand} · ` : ''}
          {product.unit ?? ''} · SKU {product.sku}
        </div>
        <div className="product-price">
          <strong>{formatVnd(product.price)}</strong>
          {product.originalPrice > product.price && (
            <>
              <s className="muted">{formatVnd(product.originalPrice)}</s>
              <span className="badge">{t('product.discount', { percent: product.discountPercent })}</span>
            </>
          )}
        </div>
        <div className={product.inStock ? 'stock in' : 'stock out'}>{product.inStock ? t('product.inStock') : t('product.outOfStock')}</div>
        {canAdd && (
          <div className="row product-actions">
            <label className="visually-hidden" htmlFor={quantityId}>
              {t('product.quantity')}
            </label>
            <input
              id={quantityId}
              type="number"
              min={1}
              max={999}
              value={quantity}
              onChange={(event) => setQuantity(Math.max(1, Math.min(999, Math.floor(Number(event.target.value) || 1))))}
              className="qty-input"
            />
            <button type="button" disabled={!product.inStock} onClick={() => void addToCart()}>
              {t('product.addToCart')}
            </button>
            {added !== null && (
              <span className="muted" role="status">
                {t('product.added', { quantity: added })}
              </span>
            )}
          </div>
        )}
      </div>
    </article>
  );
}
