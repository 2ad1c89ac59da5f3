import type { WindowApi } from '@shared/contract';

declare global {
  interface Window {
    api: WindowApi;
  }
}
