import { create } from 'zustand';
import type { CustomerRecord } from '@shared/contract/customers';
import type { SessionView } from '@shared/contract/memory';
import type { ErrorCode } from '@shared/errors';
import {
  canonicalCustomerId,
  canonicalDisplayName,
  canonicalMembershipNumber,
  canonicalPhone,
  type CanonicalField,
  type CustomerField,
  type CustomerFieldProblem,
  type CustomerIdProblem,
} from '@shared/identity';
import { foldAccents } from '@shared/text';
import { ApiError, call, fieldErrors } from '../api/client';

const RECENT_KEY = 'mm-recent-customers';
const MAX_RECENT = 20;

function loadRecent(): string[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string').slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

/** What is wrong with a record field staff typed (shown in their language); `invalid` when only the contract said so. */
export interface RecordProblem {
  field: CustomerField;
  problem: CustomerFieldProblem | 'invalid';
}

/** The record form's fields as typed; an empty field clears what the record keeps. */
export type RecordDraft = Record<CustomerField, string>;

const recordFields: Record<CustomerField, (input: string) => CanonicalField> = {
  displayName: canonicalDisplayName,
  phone: canonicalPhone,
  membershipNumber: canonicalMembershipNumber,
};
const isRecordField = (field: string | undefined): field is CustomerField => field !== undefined && field in recordFields;

const errorCodeOf = (error: unknown): ErrorCode => (error instanceof ApiError ? error.code : 'internal');

/** Latest `findCustomers` call: answers to older queries are dropped. */
let findSeq = 0;

interface CustomerState {
  customerId: string | null;
  sessionId: string | null;
  sessions: SessionView[];
  recent: string[];
  /** Why the customer's conversations could not be read or changed (an error code), or null. */
  error: ErrorCode | null;
  /** Why what the staff typed is not a customer id (shown in their language); null when it is. */
  identityProblem: CustomerIdProblem | null;
  /** What staff recorded about the open customer (name, phone, membership number); null until loaded or without a data file. */
  record: CustomerRecord | null;
  /** Records matching what staff are typing in the customer box. */
  matches: CustomerRecord[];
  /** The query `matches` answer, or null when there are none to show. */
  matchesFor: string | null;
  recordProblem: RecordProblem | null;
  /** A contract failure reading or saving records (its code, shown in the staff's language). */
  recordError: ErrorCode | null;
  /** Opens a customer by what staff typed or picked; a record already at hand (a picked match) is shown at once. */
  openCustomer(customerId: string, known?: CustomerRecord): Promise<void>;
  /** Enter in the customer box: the record the text names exactly (phone, membership number, id or whole name), else a customer with that id. */
  openTyped(text: string): Promise<void>;
  findCustomers(query: string): Promise<void>;
  clearMatches(): void;
  /** Saves the open customer's name, phone and membership number; false (with the problem set) when refused. */
  saveRecord(draft: RecordDraft): Promise<boolean>;
  clearRecordProblem(): void;
  refreshSessions(): Promise<void>;
  selectSession(sessionId: string | null): void;
  newSession(): Promise<void>;
  deleteSession(sessionId: string): Promise<void>;
  forgetCustomer(customerId: string): void;
}

/** The customer the staff member is serving, and which of their conversations is open. */
export const useCustomerStore = create<CustomerState>()((set, get) => ({
  customerId: null,
  sessionId: null,
  sessions: [],
  recent: loadRecent(),
  error: null,
  identityProblem: null,
  record: null,
  matches: [],
  matchesFor: null,
  recordProblem: null,
  recordError: null,

  async openCustomer(raw, known) {
    // The same canonical id the main process keys on: "0901 234 567" and "+84901234567" are one customer.
    const canonical = canonicalCustomerId(raw);
    if (!canonical.ok) {
      set({ identityProblem: canonical.problem });
      return;
    }
    const customerId = canonical.id;
    const recent = [customerId, ...get().recent.filter((id) => id !== customerId)].slice(0, MAX_RECENT);
    localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
    set({
      customerId,
      sessionId: null,
      sessions: [],
      recent,
      error: null,
      identityProblem: null,
      record: known?.customerId === customerId ? known : null,
      recordProblem: null,
      recordError: null,
    });
    get().clearMatches();
    await Promise.all([get().refreshSessions(), loadRecord(customerId)]);
    const newest = get().sessions[0];
    if (newest && get().customerId === customerId) set({ sessionId: newest.sessionId });
  },
  async refreshSessions() {
    const { customerId } = get();
    if (!customerId) return;
    try {
      const { sessions } = await call('sessions.list', { userId: customerId });
      if (get().customerId !== customerId) return;
      const ordered = [...sessions].sort((a, b) => (b.lastEventAt ?? b.createdAt) - (a.lastEventAt ?? a.createdAt));
      set({ sessions: ordered, error: null });
    } catch (error) {
      set({ error: errorCodeOf(error) });
    }
  },
  async openTyped(text) {
    const canonical = canonicalCustomerId(text);
    if (canonical.ok) {
      try {
        const found = await call('customers.find', { query: text.trim().slice(0, 128), limit: 10 });
        // The id itself, else the one phone or membership number, else the one whole name; two alike are not guessed between.
        const folded = foldAccents(canonical.id);
        const only = (records: CustomerRecord[]) => (records.length === 1 ? records[0] : undefined);
        const exact =
          found.find((record) => record.customerId === canonical.id) ??
          only(found.filter((record) => record.phone === canonical.id || record.membershipNumber === canonical.id)) ??
          only(found.filter((record) => record.displayName !== null && foldAccents(record.displayName) === folded));
        if (exact) return await get().openCustomer(exact.customerId, exact);
      } catch {
        // No records to look in (no data file, a refused query): the text is the customer id, as it always was.
      }
    }
    await get().openCustomer(text);
  },
  async findCustomers(query) {
    const seq = ++findSeq;
    const trimmed = query.trim();
    if (trimmed === '') {
      get().clearMatches();
      return;
    }
    try {
      const matches = await call('customers.find', { query: trimmed.slice(0, 128) });
      if (seq === findSeq) set({ matches, matchesFor: query, recordError: null });
    } catch (error) {
      // A half-typed id that is not one yet is refused as invalid_request: nothing to offer, nothing to report.
      if (seq === findSeq) set({ matches: [], matchesFor: null, recordError: errorCodeOf(error) === 'invalid_request' ? null : errorCodeOf(error) });
    }
  },
  clearMatches() {
    findSeq++;
    set({ matches: [], matchesFor: null });
  },
  async saveRecord(draft) {
    const { customerId } = get();
    if (!customerId) return false;
    const fields: Partial<Record<CustomerField, string | null>> = {};
    for (const field of Object.keys(recordFields) as CustomerField[]) {
      if (draft[field].trim() === '') {
        fields[field] = null;
        continue;
      }
      const canonical = recordFields[field](draft[field]);
      if (!canonical.ok) {
        set({ recordProblem: { field, problem: canonical.problem } });
        return false;
      }
      fields[field] = canonical.value;
    }
    try {
      const record = await call('customers.save', { customerId, ...fields });
      if (get().customerId === customerId) set({ record, recordProblem: null, recordError: null });
      return true;
    } catch (error) {
      const field = [...fieldErrors(error).keys()].map((path) => path.split('.')[0]).find(isRecordField);
      set(field ? { recordProblem: { field, problem: 'invalid' } } : { recordError: errorCodeOf(error) });
      return false;
    }
  },
  clearRecordProblem: () => set({ recordProblem: null, recordError: null }),
  selectSession: (sessionId) => set({ sessionId }),
  async newSession() {
    const { customerId } = get();
    if (!customerId) return;
    try {
      const session = await call('sessions.create', { userId: customerId });
      set({ sessions: [session, ...get().sessions], sessionId: session.sessionId, error: null });
    } catch (error) {
      set({ error: errorCodeOf(error) });
    }
  },
  async deleteSession(sessionId) {
    const { customerId } = get();
    if (!customerId) return;
    try {
      await call('sessions.delete', { userId: customerId, sessionId });
    } catch (error) {
      set({ error: errorCodeOf(error) });
      return;
    }
    const sessions = get().sessions.filter((session) => session.sessionId !== sessionId);
    set({ sessions, error: null, sessionId: get().sessionId === sessionId ? (sessions[0]?.sessionId ?? null) : get().sessionId });
  },
  forgetCustomer(customerId) {
    const recent = get().recent.filter((id) => id !== customerId);
    localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
    set({ recent, ...(get().customerId === customerId ? { customerId: null, sessionId: null, sessions: [], record: null } : {}) });
  },
}));

/**
 * The open customer's record, made on first use (`customers.save` with the id only changes
 * nothing of an existing record). Without a data file there is none, and the desk shows the id.
 */
async function loadRecord(customerId: string): Promise<void> {
  try {
    const record = await call('customers.save', { customerId });
    if (useCustomerStore.getState().customerId === customerId) useCustomerStore.setState({ record });
  } catch {
    // The storage banner and the sessions' error already say why; the desk shows the id meanwhile.
  }
}
