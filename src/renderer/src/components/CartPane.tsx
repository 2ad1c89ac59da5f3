import { useShallow } from 'zustand/react/shallow';
import { formatVnd } from '../format';
import { useT } from '../i18n';
import { useCartStore } from '../store/cartStore';
import { useCustomerStore } from '../store/customerStore';

export function CartPane() {
  const t = useT();
  const customerId = useCustomerStore((state) => state.customerId);
  const { cart, sync, error, recreated } = useCartStore(
    useShallow((state) => ({ cart: state.cart, sync: state.sync, error: state.error, recreated: state.recreated })),
  );
  const { update, remove, retry, load } = useCartStore(
    useShallow((state) => ({ update: state.update, remove: state.remove, retry: state.retry, load: state.load })),
  );

  if (!customerId) return <p className="empty-state muted">{t('cart.noCustomer')}</p>;

  return (
    <div className="cart-pane">
      <div className="row cart-header">
        <h2>{t('cart.title', { customer: customerId })}</h2>
        <span className={`sync sync-${sync}`} role="status" data-testid="cart-sync">
          {t(`cart.sync.${sync}`)}
        </span>
        {sync === 'failed' && (
          <button type="button" onClick={() => void (cart ? retry() : load(customerId))}>
            {t('chat.retry')}
          </button>
        )}
        {sync === 'idle' && (
          <button type="button" onClick={() => void load(customerId)}>
            {t('cart.load')}
          </button>
        )}
      </div>
      {error && (
        <div className="field-error" role="alert">
          {error}
        </div>
      )}
      {recreated && (
        <div className="banner banner-warning" role="status">
          {t('cart.recreated')}
        </div>
      )}
      {cart && cart.lines.length === 0 && <p className="muted">{t('cart.emptyCart')}</p>}
      {cart && cart.lines.length > 0 && (
        <>
          <ul className="cart-lines" aria-label={t('nav.cart')}>
            {cart.lines.map((line) => (
              <li key={line.uid} className="cart-line" data-sku={line.sku}>
                {line.imageUrl ? <img src={line.imageUrl} alt="" width={48} height={48} loading="lazy" /> : <div className="product-noimage small" />}
                <div className="cart-line-main">
                  <div className="product-name">{line.name}</div>
                  <div className="muted">
                    {line.unit ? `${line.unit} · ` : ''}
                    {t('cart.unitPrice')} {formatVnd(line.unitPrice)}
                  </div>
                </div>
                <div className="stepper" role="group" aria-label={t('product.quantity')}>
                  <button
                    type="button"
                    aria-label={t('cart.decrease', { name: line.name })}
                    disabled={line.quantity <= 1 || sync === 'syncing'}
                    onClick={() => void update(line.uid, line.quantity - 1)}
                  >
                    −
                  </button>
                  <output data-testid="line-quantity" aria-live="polite">
                    {line.quantity}
                  </output>
                  <button
                    type="button"
                    aria-label={t('cart.increase', { name: line.name })}
                    disabled={line.quantity >= 999 || sync === 'syncing'}
                    onClick={() => void update(line.uid, line.quantity + 1)}
                  >
                    +
                  </button>
                </div>
                <div className="line-total" data-testid="line-total">
                  {formatVnd(line.lineTotal)}
                </div>
                <button type="button" onClick={() => void remove(line.uid)} disabled={sync === 'syncing'}>
                  {t('cart.remove')}
                </button>
              </li>
            ))}
          </ul>
          <dl className="cart-totals">
            <dt>{t('cart.subtotal')}</dt>
            <dd>{formatVnd(cart.subtotal)}</dd>
            {cart.discount > 0 && (
              <>
                <dt>{t('cart.discount')}</dt>
                <dd>−{formatVnd(cart.discount)}</dd>
              </>
            )}
            <dt>{t('cart.grandTotal')}</dt>
            <dd data-testid="grand-total">
              <strong>{formatVnd(cart.grandTotal)}</strong>
            </dd>
          </dl>
        </>
      )}
    </div>
  );
}
