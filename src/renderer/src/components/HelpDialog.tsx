import { useEffect, useRef } from 'react';
import { useT } from '../i18n';
import type { StringKey } from '../i18n/strings';
import { useAppStore } from '../store/appStore';

/** Every shortcut of the desk, as the help lists it (App.tsx and ChatPane.tsx handle them). */
const shortcuts: { keys: string[]; what: StringKey }[] = [
  { keys: ['Alt', 'K'], what: 'help.customer' },
  { keys: ['Alt', 'C'], what: 'help.chat' },
  { keys: ['Enter'], what: 'help.send' },
  { keys: ['Shift', 'Enter'], what: 'help.newline' },
  { keys: ['Esc'], what: 'help.stop' },
  { keys: ['Alt', '1'], what: 'help.paneChat' },
  { keys: ['Alt', '2'], what: 'help.paneCart' },
  { keys: ['Alt', '3'], what: 'help.paneMemory' },
  { keys: ['←', '→'], what: 'help.tabs' },
  { keys: ['F1'], what: 'help.help' },
  { keys: ['?'], what: 'help.helpOutsideFields' },
];

/** The keyboard help (F1, or ? outside a text field). */
export function HelpDialog() {
  const t = useT();
  const open = useAppStore((state) => state.helpOpen);
  const setOpen = useAppStore((state) => state.setHelpOpen);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  return (
    <dialog
      ref={dialog}
      className="help-dialog"
      aria-labelledby="help-title"
      // Esc fires `cancel` at once and `close` a task later: a "?" pressed in between opens it again,
      // and the late `close` of the dialog it closed must not close the one open now.
      onCancel={() => setOpen(false)}
      onClose={(event) => {
        if (!event.currentTarget.open) setOpen(false);
      }}
      data-testid="help-dialog"
    >
      <h2 id="help-title">{t('help.title')}</h2>
      <table className="shortcuts">
        <thead>
          <tr>
            <th scope="col">{t('help.keys')}</th>
            <th scope="col">{t('help.what')}</th>
          </tr>
        </thead>
        <tbody>
          {shortcuts.map(({ keys, what }) => (
            <tr key={what}>
              <td>
                {keys.map((key, index) => (
                  <span key={key}>
                    {index > 0 && ' + '}
                    <kbd>{key}</kbd>
                  </span>
                ))}
              </td>
              <td>{t(what)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row dialog-actions">
        <button type="button" className="primary" onClick={() => setOpen(false)} autoFocus>
          {t('common.close')}
        </button>
      </div>
    </dialog>
  );
}
