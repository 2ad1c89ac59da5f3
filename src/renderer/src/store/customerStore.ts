import { create } from 'zustand';
import type { SessionView } from '@shared/contract/memory';
import { canonicalCustomerId, type CustomerIdProblem } from '@shared/identity';
import { call } from '../api/client';

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

interface CustomerState {
  customerId: string | null;
  sessionId: string | null;
  sessions: SessionView[];
  recent: string[];
  error: string | null;
  /** Why what the staff typed is not a customer id (shown in their language); null when it is. */
  identityProblem: CustomerIdProblem | null;
  openCustomer(customerId: string): Promise<void>;
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

  async openCustomer(raw) {
    // The same canonical id the main process keys on: "0901 234 567" and "+84901234567" are one customer.
    const canonical = canonicalCustomerId(raw);
    if (!canonical.ok) {
      set({ identityProblem: canonical.problem });
      return;
    }
    const customerId = canonical.id;
    const recent = [customerId, ...get().recent.filter((id) => id !== customerId)].slice(0, MAX_RECENT);
    localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
    set({ customerId, sessionId: null, sessions: [], recent, error: null, identityProblem: null });
    await get().refreshSessions();
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
      set({ error: error instanceof Error ? error.message : String(error) });
    }
  },
  selectSession: (sessionId) => set({ sessionId }),
  async newSession() {
    const { customerId } = get();
    if (!customerId) return;
    const session = await call('sessions.create', { userId: customerId });
    set({ sessions: [session, ...get().sessions], sessionId: session.sessionId });
  },
  async deleteSession(sessionId) {
    const { customerId } = get();
    if (!customerId) return;
    await call('sessions.delete', { userId: customerId, sessionId });
    const sessions = get().sessions.filter((session) => session.sessionId !== sessionId);
    set({ sessions, sessionId: get().sessionId === sessionId ? (sessions[0]?.sessionId ?? null) : get().sessionId });
  },
  forgetCustomer(customerId) {
    const recent = get().recent.filter((id) => id !== customerId);
    localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
    set({ recent, ...(get().customerId === customerId ? { customerId: null, sessionId: null, sessions: [] } : {}) });
  },
}));
