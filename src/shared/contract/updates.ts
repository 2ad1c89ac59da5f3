import { z } from 'zod';
import { channel, event } from './define';

/**
 * Where the desktop app's automatic update stands. `unsupported`: this app cannot update itself
 * (the web bridge, or a development build that was not installed); `disabled`: switched off in
 * Settings, so nothing is checked, downloaded or installed.
 */
export const updateStates = ['unsupported', 'disabled', 'idle', 'checking', 'up_to_date', 'downloading', 'downloaded', 'error'] as const;
export type UpdateState = (typeof updateStates)[number];

export interface UpdateStatus {
  state: UpdateState;
  /** Why the app cannot update itself, with `unsupported`. */
  unsupportedReason: 'bridge' | 'not_packaged' | null;
  /** The setting (`updatesEnabled`). */
  enabled: boolean;
  currentVersion: string;
  /** The update server in use: the Settings one, else the one set at build time; '' when there is none. */
  feedUrl: string;
  /** The update server set at build time (electron-builder `publish`); '' when unknown. */
  buildFeedUrl: string;
  /** The newer version found (downloading or downloaded), else null. */
  availableVersion: string | null;
  /** Download progress, 0–100, while `downloading`. */
  percent: number | null;
  /** The staff agreed to install the downloaded update when the app quits ("Cập nhật khi thoát"). */
  installOnQuit: boolean;
  /** When the last check ended (ms since the epoch), null before the first. */
  lastCheckedAt: number | null;
  /** What went wrong, with `error` (the updater's own words). */
  error: string | null;
}

const empty = z.object({}).strict();

export const updateChannels = {
  'updates.status': channel<UpdateStatus>()(empty),
  /** Checks now (when updates are on); the answer is the status as the check starts. */
  'updates.check': channel<UpdateStatus>()(empty),
  /** Install the downloaded update when the app quits (true), or not (false). Refused unless one is downloaded. */
  'updates.consent': channel<UpdateStatus>()(z.object({ installOnQuit: z.boolean() }).strict()),
};

export const updateEvents = {
  'updates.changed': event<UpdateStatus>(),
};

/** The status of an app that does not update itself (the web bridge); the desktop shell answers with its own. */
export function notUpdatingStatus(currentVersion: string, settings: { updatesEnabled: boolean; updateFeedUrl: string }): UpdateStatus {
  return {
    state: 'unsupported',
    unsupportedReason: 'bridge',
    enabled: settings.updatesEnabled,
    currentVersion,
    feedUrl: settings.updateFeedUrl,
    buildFeedUrl: '',
    availableVersion: null,
    percent: null,
    installOnQuit: false,
    lastCheckedAt: null,
    error: null,
  };
}
