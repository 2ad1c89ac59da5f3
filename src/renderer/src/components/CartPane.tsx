import { useEffect, useLayoutEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { customerLabel } from '@shared/identity';
import type { CartLine } from '@shared/commerce';
import { formatTime, formatVnd } from '../format';
import { errorText, useT } from '../i18n';
import { imageSrc } from './ProductCard';
import { useAppStore } from '../store/appStore';
import { useCartStore } from '../store/cartStore';
import { useCustomerStore } from '../store/customerStore';

/** How long "Đã xoá … · Hoàn tác" stays after a line was removed. */
const UNDO_MS = 10_000;

type LineControl = 'decrease' | 'increase' | 'remove';

/**
 * The customer's cart as the store has it. Its badge says "synced" only after the store answered;
 * a line the store no longer has is shown as such, with "Thêm lại" and "Bỏ qua". The steppers and
 * "Xoá" keep the focus while the store answers (they are never disabled under it); when a line
 * goes, the focus moves to the same button of the next line, else the previous one, else "Hoàn tác".
 */
export function CartPane() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const customerId = useCustomerStore((state) => state.customerId);
  const record = useCustomerStore((state) => state.record);
  const { cart, sync, syncedAt, error, recreated, resyncReason, missing, removed } = useCartStore(
    useShallow((state) => ({
      cart: state.cart,
      sync: state.sync,
      syncedAt: state.syncedAt,
      error: state.error,
      recreated: state.recreated,
      resyncReason: state.resyncReason,
      missing: state.missing,
      removed: state.removed,
    })),
  );
  const { update, remove, retry, load, undoRemove, dismissRemoved, addBack, dismissMissing, dismissRecreated } = useCartStore(
    useShallow((state) => ({
      update: state.update,
      remove: state.remove,
      retry: state.retry,
      load: state.load,
      undoRemove: state.undoRemove,
      dismissRemoved: state.dismissRemoved,
      addBack: state.addBack,
      dismissMissing: state.dismissMissing,
      dismissRecreated: state.dismissRecreated,
    })),
  );
  const list = useRef<HTMLUListElement>(null);
  const undoButton = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  /** Where focus goes once the store has answered: a removed line's place (its neighbour's "Xoá"), or a line added back. */
  const focusNext = useRef<{ index: number } | { sku: string } | null>(null);
  const busy = sync === 'syncing';

  // "Hoàn tác" goes after a while.
  useEffect(() => {
    if (!removed) return;
    const timer = setTimeout(dismissRemoved, UNDO_MS);
    return () => clearTimeout(timer);
  }, [removed, dismissRemoved]);

  useLayoutEffect(() => {
    const next = focusNext.current;
    if (next === null || busy) return;
    focusNext.current = null;
    const buttons = list.current ? [...list.current.querySelectorAll<HTMLButtonElement>('button[data-control="remove"]')] : [];
    const target =
      'sku' in next
        ? (buttons.find((button) => button.closest('li')?.dataset.sku === next.sku) ?? heading.current)
        : (buttons[next.index] ?? buttons[next.index - 1] ?? undoButton.current ?? heading.current);
    target?.focus();
  }, [cart, busy, removed]);

  if (!customerId) {
    return (
      <div className="cart-pane">
        <h2 className="visually-hidden">{t('nav.cart')}</h2>
        <p className="empty-state muted">{t('cart.noCustomer')}</p>
      </div>
    );
  }

  function act(control: LineControl, line: CartLine, index: number) {
    // Not disabled while the store answers (focus would fall to the page): a press then does nothing.
    if (busy) return;
    if (control === 'decrease' && line.quantity > 1) void update(line.uid, line.quantity - 1);
    if (control === 'increase' && line.quantity < 999) void update(line.uid, line.quantity + 1);
    if (control === 'remove') {
      focusNext.current = { index };
      void remove(line.uid);
    }
  }

  const who = record && record.customerId === customerId ? customerLabel(record) : customerId;
  const badge = sync === 'synced' && syncedAt !== null ? t('cart.sync.syncedAt', { time: formatTime(syncedAt, language) }) : t(`cart.sync.${sync}`);

  return (
    <div className="cart-pane">
      <div className="row wrap cart-header">
        <h2 ref={heading} tabIndex={-1}>
          {t('cart.title', { customer: who })}
        </h2>
        <span className={`sync sync-${sync}`} role="status" data-testid="cart-sync" data-state={sync}>
          {badge}
        </span>
        {(sync === 'failed' || sync === 'idle') && (
          <button type="button" onClick={() => void (sync === 'idle' ? load(customerId) : retry())}>
            {sync === 'idle' ? t('cart.load') : t('chat.retry')}
          </button>
        )}
      </div>
      {resyncReason && sync !== 'synced' && (
        <p className="muted" data-testid="cart-resync-reason">
          {t(`cart.resync.${resyncReason}`)}
        </p>
      )}
      {error && (
        <div className="field-error" role="alert" data-testid="cart-error">
          {errorText(t, error)}
        </div>
      )}
      {recreated && (
        <div className="banner banner-warning" role="status">
          {t('cart.recreated')}
          <button type="button" className="banner-close" aria-label={t('common.dismiss')} onClick={dismissRecreated}>
            ×
          </button>
        </div>
      )}
      {missing.length > 0 && (
        <ul className="cart-missing" aria-label={t('cart.missing.title')} data-testid="cart-missing">
          {missing.map((line) => (
            <li key={line.uid} className="cart-line cart-line-missing" data-sku={line.sku}>
              <div className="cart-line-main">
                <div className="product-name">{line.name}</div>
                <div className="missing-note">{t('cart.missing.note', { quantity: line.quantity })}</div>
              </div>
              <div className="row">
                <button type="button" className="primary" aria-disabled={busy} onClick={() => !busy && void addBack(line.uid)}>
                  {t('cart.missing.addBack', { quantity: line.quantity })}
                </button>
                <button type="button" onClick={() => dismissMissing(line.uid)}>
                  {t('cart.missing.dismiss')}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {removed && (
        <div className="undo-bar" role="status" data-testid="cart-removed">
          <span>{t('cart.removed', { name: removed.name, quantity: removed.quantity })}</span>
          <button
            type="button"
            ref={undoButton}
            onClick={() => {
              focusNext.current = { sku: removed.sku };
              void undoRemove();
            }}
          >
            {t('common.undo')}
          </button>
        </div>
      )}
      {cart && cart.lines.length === 0 && <p className="muted">{t('cart.emptyCart')}</p>}
      {cart && cart.lines.length > 0 && (
        <>
          <ul className={`cart-lines${sync === 'stale' ? ' cart-lines-stale' : ''}`} aria-label={t('cart.lines')} ref={list} aria-busy={busy}>
            {cart.lines.map((line, index) => (
              <li key={line.uid} className="cart-line" data-sku={line.sku}>
                {line.imageUrl ? (
                  <img src={imageSrc(line.imageUrl)} alt="" width={48} height={48} loading="lazy" />
                ) : (
                  <div className="product-noimage small" />
                )}
                <div className="cart-line-main">
                  <div className="product-name">{line.name}</div>
                  <div className="muted">
                    {line.unit ? `${line.unit} · ` : ''}
                    {t('cart.unitPrice')} {formatVnd(line.unitPrice)}
                  </div>
                </div>
                <div className="stepper" role="group" aria-label={t('cart.quantityOf', { name: line.name })}>
                  <button
                    type="button"
                    data-control="decrease"
                    aria-label={t('cart.decrease', { name: line.name })}
                    aria-disabled={busy || line.quantity <= 1}
                    onClick={() => act('decrease', line, index)}
                  >
                    −
                  </button>
                  <output data-testid="line-quantity" aria-live="polite">
                    {line.quantity}
                  </output>
                  <button
                    type="button"
                    data-control="increase"
                    aria-label={t('cart.increase', { name: line.name })}
                    aria-disabled={busy || line.quantity >= 999}
                    onClick={() => act('increase', line, index)}
                  >
                    +
                  </button>
                </div>
                <div className="line-total" data-testid="line-total">
                  {formatVnd(line.lineTotal)}
                </div>
                <button
                  type="button"
                  data-control="remove"
                  aria-label={t('cart.removeLine', { name: line.name })}
                  aria-disabled={busy}
                  onClick={() => act('remove', line, index)}
                >
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
