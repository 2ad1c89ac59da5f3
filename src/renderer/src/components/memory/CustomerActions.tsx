import { useState } from 'react';
import { ApiError } from '../../api/client';
import { errorText, useT } from '../../i18n';
import { useCustomerStore } from '../../store/customerStore';
import { useMemoryStore } from '../../store/memoryStore';

/** Export of everything kept about the customer, and its deletion once the staff type the customer's id. */
export function CustomerActions({ userId }: { userId: string }) {
  const t = useT();
  const exportCustomer = useMemoryStore((state) => state.exportCustomer);
  const deleteCustomer = useMemoryStore((state) => state.deleteCustomer);
  const forgetCustomer = useCustomerStore((state) => state.forgetCustomer);
  const [confirmText, setConfirmText] = useState('');
  const [outcome, setOutcome] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function attempt(action: () => Promise<void>) {
    setProblem(null);
    try {
      await action();
    } catch (error) {
      setProblem(errorText(t, error instanceof ApiError ? error.code : 'internal'));
    }
  }

  async function exportData() {
    const data = await exportCustomer(userId);
    const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `mm-assistant-${userId}.json`;
    link.click();
    URL.revokeObjectURL(url);
  }

  async function deleteAll() {
    const counts = await deleteCustomer(userId);
    setOutcome(t('memory.deleteDone', { memories: counts.memories, sessions: counts.sessions, events: counts.events }));
    setConfirmText('');
    forgetCustomer(userId);
  }

  return (
    <section className="customer-actions" aria-labelledby="customer-data-title">
      <h3 id="customer-data-title">{t('memory.customerData')}</h3>
      {userId ? (
        <>
          <div>
            <button type="button" onClick={() => void attempt(exportData)}>
              {t('memory.export')}
            </button>
          </div>
          <label htmlFor="delete-confirm">{t('memory.deleteConfirm', { customer: userId })}</label>
          <div className="row">
            <input id="delete-confirm" value={confirmText} onChange={(event) => setConfirmText(event.target.value)} autoComplete="off" />
            <button type="button" className="danger" disabled={confirmText !== userId} onClick={() => void attempt(deleteAll)}>
              {t('memory.deleteCustomer')}
            </button>
          </div>
        </>
      ) : (
        <p className="muted" data-testid="export-hint">
          {t('memory.selectCustomer')}
        </p>
      )}
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {outcome && (
        <p role="status" className="muted">
          {outcome}
        </p>
      )}
    </section>
  );
}
