import { useState } from 'react';
import type { ToolProduct } from '@shared/contract/toolResults';
import { formatVnd } from '../format';
import { useT } from '../i18n';
import { useCartStore } from '../store/cartStore';

/** A product as a tool result carries it (contract/toolResults.ts). */
export function ProductCard({ product, canAdd }: { product: ToolProduct; canAdd: boolean }) {
  const t = useT();
  const add = useCartStore((state) => state.add);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<number | null>(null);
  const quantityId = `qty-${product.sku}`;

  async function addToCart() {
    await add(product.sku, quantity);
    if (useCartStore.getState().sync === 'synced') setAdded(quantity);
  }

  return (
    <article className="product-card" aria-label={product.name} data-sku={product.sku}>
      {product.imageUrl ? <img src={product.imageUrl} alt="" loading="lazy" width={72} height={72} /> : <div className="product-noimage" />}
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
