import { describe, expect, it } from 'vitest';
import { nextDue } from '../../src/main/memory/maintenance/scheduler';
import { ExtractiveSummarizer } from '../../src/main/memory/summarizer';
import type { MaintenanceReport, SessionEvent } from '@shared/contract/memory';
import { tempDir } from '../helpers/tempDir';
import { DAY, HOUR, ManualClock, openMemory } from './helpers';

/** Monday 5 January 2026, 08:00 local time. */
const monday8 = new Date(2026, 0, 5, 8, 0, 0, 0).getTime();
const STEP = 10 * 60_000;

describe('maintenance scheduler', () => {
  it('catches up across a simulated week and a half with the app closed every night', async () => {
    const dir = tempDir();
    const clock = new ManualClock(monday8 - 60_000);
    const all: MaintenanceReport[] = [];

    // Day 0, before the first start: a conversation and an entry nobody reads again.
    const seed = openMemory(dir, { clock });
    seed.memory.memorize({ userId: 'c1' }, 'ghi chú', 'Giao hàng buổi chiều');
    seed.sessions.createSession({ userId: 'c1', sessionId: 'monday' });
    seed.sessions.appendEvent({
      userId: 'c1',
      sessionId: 'monday',
      event: { author: 'user', kind: 'message', content: 'Tôi thích sữa tươi không đường. Giao 2 thùng.' },
    });
    await seed.shutdown();

    for (let day = 0; day < 9; day++) {
      const opening = monday8 + day * DAY;
      clock.advanceTo(opening);
      const m = openMemory(dir, { clock });
      await m.start();
      for (let t = opening + STEP; t <= opening + 14 * HOUR; t += STEP) {
        clock.advanceTo(t);
        await m.scheduler.idle();
      }
      all.push(...m.reports);
      await m.shutdown();
      expect(clock.pending).toBe(0);
    }

    const runs = (task: string) => all.filter((report) => report.task === task);
    // Summarization is due at 02:00 when the app is always closed: it runs once a day, at opening, to catch up.
    expect(runs('summarize').map((report) => [report.trigger, report.startedAt])).toEqual(
      Array.from({ length: 9 }, (_, day) => ['catch-up', monday8 + day * DAY]),
    );
    // Compression: first start, then a week later.
    expect(runs('compress').map((report) => report.startedAt)).toEqual([monday8, monday8 + 7 * DAY]);
    expect(runs('compress')[1]!.demoted).toBe(1);
    // Cleanup: caught up at each opening, then hourly while open (08:00 … 22:00).
    for (let day = 0; day < 9; day++) {
      const ofDay = runs('cleanup').filter((report) => report.startedAt >= monday8 + day * DAY && report.startedAt < monday8 + (day + 1) * DAY);
      expect(ofDay[0]!.trigger).toBe('catch-up');
      expect(ofDay.map((report) => (report.startedAt - monday8 - day * DAY) / HOUR)).toEqual(Array.from({ length: 15 }, (_, h) => h));
    }
    // The conversation (07:59 on day 0) became a summary at the day-7 catch-up, once older than 7 days,
    // in the same step that removed its events.
    expect(runs('summarize').map((report) => report.summarized)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0]);
    const m = openMemory(dir, { clock });
    const exported = m.memory.exportUserData('c1');
    expect(exported.sessions[0]!.events).toEqual([]);
    expect(exported.sessions[0]!.summaries[0]).toMatchObject({
      user_preferences: { thich: 'Tôi thích sữa tươi không đường.' },
      key_facts: ['Giao 2 thùng.'],
    });
    expect(exported.sessions[0]!.summaries[0]!.events[0]).toMatchObject({ content: 'Tôi thích sữa tươi không đường. Giao 2 thùng.' });
    expect(m.memory.searchMemory({ userId: 'c1' }, 'sua tuoi')).toEqual([expect.objectContaining({ kind: 'summary', sessionId: 'monday' })]);
    expect(m.memory.stats().lastRuns).toEqual({ cleanup: monday8 + 8 * DAY + 14 * HOUR, summarize: monday8 + 8 * DAY, compress: monday8 + 7 * DAY });
    await m.shutdown();
  });

  it('never summarizes an open session, and summarizes it once closed', async () => {
    const clock = new ManualClock(monday8);
    const m = openMemory(tempDir(), { clock });
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    m.sessions.appendEvent({
      userId: 'c1',
      sessionId: 's1',
      event: { author: 'user', kind: 'message', content: 'xin chào', timestamp: monday8 - 10 * DAY },
    });
    expect(await m.memory.runMaintenance('summarize')).toMatchObject({ summarized: 0, skipped: 1, recent: 0 });
    expect(m.sessions.getSession({ userId: 'c1', sessionId: 's1' }).events).toHaveLength(1);
    m.sessions.closeSession({ userId: 'c1', sessionId: 's1' });
    expect(await m.memory.runMaintenance('summarize')).toMatchObject({ summarized: 1 });
    expect(m.sessions.getSession({ userId: 'c1', sessionId: 's1' }).events).toEqual([]);
    expect(m.usage('c1', 'warm')).toEqual({ bytes: 0, entries: 0 });
    expect(m.usage('c1', 'cold').entries).toBe(1);
    await m.shutdown();
  });

  it('leaves a long conversation from this week whole when "summarize now" runs, and says so', async () => {
    // "Tóm tắt ngay" on a 48-message conversation summarized nothing: it had messages today, and only
    // conversations quiet for 7 days are summarized. The report counts it as recent (the UI says why).
    const clock = new ManualClock(monday8);
    const m = openMemory(tempDir(), { clock });
    m.sessions.createSession({ userId: 'c1', sessionId: 'today' });
    for (let i = 0; i < 48; i++) {
      m.sessions.appendEvent({
        userId: 'c1',
        sessionId: 'today',
        event: { author: i % 2 ? 'root_agent' : 'user', kind: 'message', content: `tin nhắn ${i}`, timestamp: monday8 - HOUR + i * 60_000 },
      });
    }
    m.sessions.closeSession({ userId: 'c1', sessionId: 'today' });
    expect(await m.memory.runMaintenance('summarize')).toMatchObject({ summarized: 0, skipped: 0, recent: 1 });
    expect(m.sessions.getSession({ userId: 'c1', sessionId: 'today' }).events).toHaveLength(48);
    // (Once quiet for 7 days it is summarized: the week-and-a-half test above.)
    await m.shutdown();
  });

  it('runs jobs one at a time, in slices, and reports what each did', async () => {
    const clock = new ManualClock(monday8);
    const m = openMemory(tempDir(), { clock, limits: { sliceBudgetMs: 1 } });
    for (let i = 0; i < 3000; i++) m.memory.memorize({ userId: `c${i % 7}` }, `k${i}`, `giá trị ${i}`, { ttlMs: HOUR });
    clock.advanceTo(monday8 + 2 * HOUR);
    const order: string[] = [];
    const jobs = (['cleanup', 'compress', 'summarize'] as const).map((task) =>
      m.memory.runMaintenance(task).then((report) => {
        order.push(`${task}:${report.finishedAt >= report.startedAt}`);
        return report;
      }),
    );
    const [cleanup] = await Promise.all(jobs);
    expect(order).toEqual(['cleanup:true', 'compress:true', 'summarize:true']);
    expect(cleanup!.expiredDeleted).toBe(3000);
    expect(cleanup!.slices).toBeGreaterThan(1);
    expect((m.db.prepare('SELECT count(*) AS n FROM memory_entries').get() as { n: number }).n).toBe(0);
    await m.shutdown();
  });

  it('computes the next due time: hourly, daily at 02:00 local, weekly', () => {
    const at = new Date(2026, 0, 5, 1, 30).getTime();
    expect(nextDue('cleanup', at)).toBe(at + HOUR);
    expect(nextDue('summarize', at)).toBe(new Date(2026, 0, 5, 2, 0).getTime());
    expect(nextDue('summarize', new Date(2026, 0, 5, 2, 0).getTime())).toBe(new Date(2026, 0, 6, 2, 0).getTime());
    expect(nextDue('compress', at)).toBe(at + 7 * DAY);
  });
});

describe('extractive summarizer', () => {
  it('keeps preferences, facts and actions from a Vietnamese or English conversation, deterministically', async () => {
    const events: SessionEvent[] = [
      { id: '1', author: 'user', kind: 'message', content: 'Chào em. Anh không thích bia có cồn cao.', turnId: 't1', timestamp: 1 },
      { id: '2', author: 'root_agent', kind: 'message', content: 'Dạ em hiểu ạ.', turnId: 't1', timestamp: 2 },
      {
        id: '3',
        author: 'user',
        kind: 'message',
        content: 'Cho anh 3 thùng nước suối Lavie. I prefer delivery after 5pm.',
        turnId: 't2',
        timestamp: 3,
      },
      {
        id: '4',
        author: 'cart_agent',
        kind: 'tool_call',
        content: { name: 'add_to_cart', args: { sku: 'LAVIE', qty: 3 } },
        turnId: 't2',
        timestamp: 4,
      },
    ];
    const summarizer = new ExtractiveSummarizer();
    const summary = await summarizer.summarize({ userId: 'c1', sessionId: 's1', events });
    expect(summary).toEqual(await summarizer.summarize({ userId: 'c1', sessionId: 's1', events }));
    expect(summary.user_preferences).toEqual({ 'khong thich': 'Anh không thích bia có cồn cao.', prefer: 'I prefer delivery after 5pm.' });
    expect(summary.key_facts).toEqual(['Cho anh 3 thùng nước suối Lavie.']);
    expect(summary.important_events).toEqual(['tool_call: add_to_cart {"sku":"LAVIE","qty":3}']);
    expect(summary.timestamp).toBe(new Date(4).toISOString());
    expect(summary.summary).toContain('3 messages');
  });
});
