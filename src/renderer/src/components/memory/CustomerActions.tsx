import { useState } from 'react';
import { useT } from '../../i18n';
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
    <>
      {userId && (
        <div className="customer-actions">
          <button type="button" onClick={() => void exportData()}>
            {t('memory.export')}
          </button>
          <label htmlFor="delete-confirm">{t('memory.deleteConfirm', { customer: userId })}</label>
          <div className="row">
            <input id="delete-confirm" value={confirmText} onChange={(event) => setConfirmText(event.target.value)} autoComplete="off" />
            <button type="button" className="danger" disabled={confirmText !== userId} onClick={() => void deleteAll()}>
              {t('memory.deleteCustomer')}
            </button>
          </div>
        </div>
      )}
      {outcome && (
        <p role="status" className="muted">
          {outcome}
        </p>
      )}
    </>
  );
}
