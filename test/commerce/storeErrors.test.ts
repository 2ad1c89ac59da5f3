import { describe, expect, it } from 'vitest';
import { AppError, type AppErrorShape } from '@shared/errors';
import {
  describeStoreError,
  inStaffLanguage,
  magentoCartErrorCodes,
  magentoErrorCategories,
  storeCauseTexts,
  storeErrorCodes,
  storeErrorKinds,
  storeErrorMessage,
  storeErrorTexts,
} from '@shared/storeErrors';
import { languages } from '@shared/settings';
import { createProductTools, triedInWords } from '../../src/main/agent/tools/productTools';
import type { ToolContext } from '../../src/main/agent/tool';
import { createCommerceHandlers } from '../../src/main/commerce/handlers';
import { clientFor, startStandin } from './helpers';

const vietnamese = /[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]/i;
const facts = { seconds: 12, status: 503, cause: 'x' };

function toolContext(language: 'vi' | 'en'): ToolContext {
  return {
    userId: 'kh-a',
    sessionId: 's1',
    runId: 'r1',
    agentName: 'product_agent',
    language,
    signal: new AbortController().signal,
    runState: new Map(),
  };
}

describe('store errors in the staff language', () => {
  it('has a Vietnamese and an English text for every kind of store error, and for every cause', () => {
    for (const kind of storeErrorKinds) {
      const vi = storeErrorTexts[kind].vi(facts);
      const en = storeErrorTexts[kind].en(facts);
      expect(vi.trim(), kind).not.toBe('');
      expect(en.trim(), kind).not.toBe('');
      expect(vi, `${kind} is Vietnamese`).toMatch(vietnamese);
      expect(en, `${kind} is English`).not.toMatch(vietnamese);
    }
    for (const [cause, texts] of Object.entries(storeCauseTexts)) {
      expect(texts.vi, cause).toMatch(vietnamese);
      expect(texts.en, cause).not.toMatch(vietnamese);
    }
  });

  it("maps every Magento user_errors code, every error category and every one of the app's store codes to a text in both languages", () => {
    const shapes: AppErrorShape[] = [
      ...Object.keys(magentoCartErrorCodes).map((code) => ({ code: 'cart_error' as const, message: 'x', details: { code } })),
      ...Object.keys(magentoErrorCategories).map((category) => ({ code: 'store_error' as const, message: 'x', details: { category } })),
      ...storeErrorCodes.map((code) => ({ code, message: 'x' })),
    ];
    for (const shape of shapes) {
      for (const language of languages) {
        const { text } = describeStoreError(shape, language);
        expect(text.trim(), JSON.stringify(shape)).not.toBe('');
        expect(/[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]/i.test(text), `${language}: ${JSON.stringify(shape)}`).toBe(
          language === 'vi',
        );
      }
    }
  });

  it("turns Magento's English into the staff's words, never quoting a cart or line id", () => {
    const missingLine = {
      code: 'store_not_found' as const,
      message: 'Could not find cart item with id: Mg==',
      details: { category: 'graphql-no-such-entity' },
    };
    expect(describeStoreError(missingLine, 'vi')).toEqual({
      kind: 'cart_item_missing',
      text: 'Dòng hàng này không còn trong giỏ (có thể đã được xóa).',
      original: null,
    });
    expect(storeErrorMessage(missingLine, 'en')).not.toContain('Mg==');
    const notSalable = {
      code: 'cart_error' as const,
      message: 'Product that you are trying to add is not available.',
      details: { code: 'NOT_SALABLE' },
    };
    expect(describeStoreError(notSalable, 'vi').text).toBe('Sản phẩm này đang hết hàng hoặc tạm ngừng bán.');
    const maintenance = {
      code: 'store_unavailable' as const,
      message: 'The store is under maintenance',
      details: { status: 503, maintenance: true },
    };
    expect(describeStoreError(maintenance, 'vi').kind).toBe('maintenance');
    const refused = {
      code: 'store_unavailable' as const,
      message: 'Cannot reach the store: connect ECONNREFUSED',
      details: { cause: 'ECONNREFUSED' },
    };
    expect(describeStoreError(refused, 'en').text).toBe('The store server refused the connection (it may be down, or the address is wrong).');
  });

  it('shows an error it does not know with a lead-in in the staff language and the store’s own words after it', () => {
    const strange = { code: 'store_error' as const, message: 'Something odd happened in module X', details: { category: 'graphql-weird' } };
    expect(describeStoreError(strange, 'vi')).toEqual({ kind: 'unknown', text: 'Cửa hàng báo lỗi:', original: 'Something odd happened in module X' });
    expect(storeErrorMessage(strange, 'en')).toBe('The store reported an error: “Something odd happened in module X”');
    const localized = inStaffLanguage(
      new AppError('store_error', 'Something odd happened in module X', { category: 'graphql-weird' }),
      'vi',
    ) as AppError;
    expect(localized).toMatchObject({ code: 'store_error', message: 'Cửa hàng báo lỗi: “Something odd happened in module X”' });
    expect(localized.details).toMatchObject({ original: 'Something odd happened in module X', category: 'graphql-weird' });
    expect(inStaffLanguage(localized, 'en')).toBe(localized);
    const notAStoreError = new AppError('storage_full', 'The disk is full');
    expect(inStaffLanguage(notAStoreError, 'vi')).toBe(notAStoreError);
  });

  it('answers the UI’s cart and catalog calls in the language of the settings', async () => {
    const client = clientFor(await startStandin());
    let language: 'vi' | 'en' = 'vi';
    const handlers = createCommerceHandlers(client, () => language);
    const context = { transport: 'ipc' as const };
    await handlers['cart.get']({ customerId: 'kh-a' }, context);
    await expect(handlers['cart.update']({ customerId: 'kh-a', uid: 'Mg==', quantity: 2 }, context)).rejects.toMatchObject({
      code: 'store_not_found',
      message: 'Dòng hàng này không còn trong giỏ (có thể đã được xóa).',
      details: { original: 'Could not find cart item with id: Mg==' },
    });
    language = 'en';
    await expect(handlers['catalog.product']({ sku: '999999999' }, context)).rejects.toMatchObject({ message: 'The store has no such product.' });
  });

  it('tells the model and the staff what the search tried in words, never in notation', async () => {
    const tools = createProductTools(clientFor(await startStandin()));
    const result = (await tools.search.execute({ query: 'xyzabc123', limit: 5 }, toolContext('vi'))) as { tried: string[]; items: unknown[] };
    expect(result.items).toEqual([]);
    expect(result.tried).toContain('tên sản phẩm có “xyzabc123”');
    expect(JSON.stringify(result)).not.toMatch(/~|name_match|category /);
    expect(
      triedInWords(
        [
          { step: 'exact', text: 'thung bia tiger xyz' },
          { step: 'fewer_terms', text: 'bia tiger thùng', dropped: ['xyz'] },
          { step: 'category', text: 'Bia' },
        ],
        'en',
      ),
    ).toEqual(['“thung bia tiger xyz”', '“bia tiger thùng” (without “xyz”)', 'the “Bia” department']);
  });
});
