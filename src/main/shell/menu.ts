import type { MenuItemConstructorOptions } from 'electron';

/** The usual roles; on macOS the app menu comes first. */
export function menuTemplate(platform: NodeJS.Platform, appName: string): MenuItemConstructorOptions[] {
  const template: MenuItemConstructorOptions[] = [{ role: 'fileMenu' }, { role: 'editMenu' }, { role: 'viewMenu' }, { role: 'windowMenu' }];
  if (platform === 'darwin') template.unshift({ label: appName, role: 'appMenu' });
  return template;
}
